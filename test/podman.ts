/**
 * Real containers for the tests: podman with runc and a busybox root filesystem (src/lab/podman.ts,
 * shared with the benchmarks). Installed by .ci/run; without them the suites skip loudly, unless
 * BREAKWATER_REQUIRE_SERVICES=1 (CI), where they fail.
 */
import { podmanMissing } from '../src/lab/index.js';

export { PODMAN, PodmanContainers, ROOTFS_MARKER } from '../src/lab/index.js';

/** Why containers cannot run here, or undefined when they can. Throws on CI (BREAKWATER_REQUIRE_SERVICES=1). */
export function podmanUnavailable(suite: string): string | undefined {
  const reason = podmanMissing();
  if (!reason) return undefined;
  if (process.env.BREAKWATER_REQUIRE_SERVICES === '1') throw new Error(`${suite}: ${reason}; BREAKWATER_REQUIRE_SERVICES=1 makes this a failure`);
  console.warn(`\n⚠  SKIPPING ${suite}: ${reason}.\n`);
  return reason;
}

/** The labels the kubelet puts on a container of a pod (the agent reads pods from them). */
export function kubeletLabels(pod: { name: string; namespace: string; uid: string }, container: string): Record<string, string> {
  return { 'io.kubernetes.pod.name': pod.name, 'io.kubernetes.pod.namespace': pod.namespace, 'io.kubernetes.pod.uid': pod.uid, 'io.kubernetes.container.name': container };
}
