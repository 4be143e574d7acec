import { ENGINE_LIMITS, boundedLabels, engineGet, jsonList } from './engine-api.js';

/**
 * A podman pod (`podman pod create`, `podman kube play`) as podman describes it. Its containers
 * carry none of the kubelet's `io.kubernetes.*` labels; the kernel shows which pod each is in
 * (its cgroup, see cgroup.ts), and podman's own API names the pod and gives its labels (a
 * Kubernetes manifest's `metadata.labels` under kube play).
 */
export interface LibpodPod {
  readonly name: string;
  /** Its libpod namespace; usually empty. */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Its infrastructure container, which holds its namespaces; empty when it has none. */
  readonly infraId: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');

/**
 * The pods podman knows, by pod id, from its libpod API (`GET /v4.0.0/libpod/pods/json`) on the
 * socket `podman system service` serves. Docker answers 404 there: the caller asks only when the
 * kernel shows a container in a podman pod.
 *
 * @example
 * const pods = await listLibpodPods('/run/podman/podman.sock');
 */
export function listLibpodPods(socketPath: string, timeoutMs: number = ENGINE_LIMITS.timeoutMs): Promise<Map<string, LibpodPod>> {
  return engineGet(socketPath, '/v4.0.0/libpod/pods/json', parseLibpodPods, timeoutMs);
}

/**
 * The body of `GET /libpod/pods/json`, by pod id. Entries without a 64-hex-digit `Id` are skipped;
 * names and labels are bounded like a container's. Throws only when the body is not a JSON array.
 */
export function parseLibpodPods(body: string): Map<string, LibpodPod> {
  const out = new Map<string, LibpodPod>();
  // As many pods as containers at the most.
  for (const item of jsonList(body, 'pods')) {
    if (typeof item !== 'object' || item === null) continue;
    const p = item as Record<string, unknown>;
    if (typeof p.Id !== 'string' || !HEX64.test(p.Id)) continue;
    const infraId = text(p.InfraId, 64);
    out.set(p.Id, { name: text(p.Name, 253), namespace: text(p.Namespace, 63), labels: boundedLabels(p.Labels), infraId: HEX64.test(infraId) ? infraId : '' });
  }
  return out;
}
