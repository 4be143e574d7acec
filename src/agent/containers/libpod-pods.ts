import { ENGINE_LIMITS, boundedLabels, engineGet } from './engine-api.js';

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

/** At most this many pods are believed from one answer (as many containers as the container list). */
const MAX_PODS = ENGINE_LIMITS.maxContainers;
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('answer is not JSON');
  }
  if (!Array.isArray(parsed)) throw new Error('answer is not a list of pods');
  const out = new Map<string, LibpodPod>();
  for (const item of parsed.slice(0, MAX_PODS) as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const p = item as Record<string, unknown>;
    if (typeof p.Id !== 'string' || !HEX64.test(p.Id)) continue;
    const infraId = text(p.InfraId, 64);
    out.set(p.Id, { name: text(p.Name, 253), namespace: text(p.Namespace, 63), labels: boundedLabels(p.Labels), infraId: HEX64.test(infraId) ? infraId : '' });
  }
  return out;
}
