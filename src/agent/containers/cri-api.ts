import type { ContainerMetadata } from './engine-api.js';
import { ENGINE_LIMITS, isContainerId } from './engine-api.js';
import { grpcUnary } from './grpc-unix.js';
import { KUBE_LABELS } from './pods.js';
import { encodeMessage, readFields, readMapEntry } from './protobuf.js';

/** Where Kubernetes' runtimes serve the CRI by default: containerd, then CRI-O (the first that exists is asked). */
export const DEFAULT_CRI_SOCKETS: readonly string[] = ['/run/containerd/containerd.sock', '/run/crio/crio.sock', '/var/run/crio/crio.sock'];

const SERVICE = '/runtime.v1.RuntimeService';
/** CRI's ContainerState enum, by number. */
const CONTAINER_STATES = ['created', 'running', 'exited', 'unknown'] as const;
const CONTAINER_RUNNING = 1;

/** What a pod sandbox tells of its pod (PodSandboxMetadata). */
export interface CriSandbox {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}

/** ListContainersRequest{filter: ContainerFilter{state: ContainerStateValue{state: RUNNING}}}: the kernel shows running containers only, and exited ones can be many. */
const LIST_RUNNING = encodeMessage([[1, encodeMessage([[2, encodeMessage([[1, CONTAINER_RUNNING]])]])]]);

/**
 * The running containers from a runtime's CRI (containerd, CRI-O) over its Unix socket, by id:
 * `ListContainers` and `ListPodSandbox` of `runtime.v1.RuntimeService`, in one HTTP/2 connection,
 * bounded in size ({@link ENGINE_LIMITS}.maxBodyBytes each) and time. The kubelet's labels are
 * completed from the pod sandbox (its name, namespace and uid) and the container's CRI name, and
 * `restartCount` is CRI's attempt number (the kubelet's count of the container's restarts).
 * Rejects with a message that names the socket.
 *
 * @example
 * const byId = await listCriContainers('/run/containerd/containerd.sock');
 */
export async function listCriContainers(socketPath: string, timeoutMs: number = ENGINE_LIMITS.timeoutMs): Promise<Map<string, ContainerMetadata>> {
  const [sandboxes, containers] = await grpcUnary(
    socketPath,
    [
      { method: `${SERVICE}/ListPodSandbox`, request: Buffer.alloc(0) },
      { method: `${SERVICE}/ListContainers`, request: LIST_RUNNING },
    ],
    { maxAnswerBytes: ENGINE_LIMITS.maxBodyBytes, timeoutMs },
  );
  try {
    return parseCriContainers(containers as Buffer, parseCriSandboxes(sandboxes as Buffer));
  } catch (err) {
    throw new Error(`container runtime at ${socketPath}: ${(err as Error).message}`);
  }
}

const text = (bytes: Buffer, max: number = ENGINE_LIMITS.maxText): string => bytes.subarray(0, max * 4).toString('utf8').slice(0, max);

/** A ListPodSandboxResponse: the sandboxes (field 1, repeated PodSandbox) by id. Throws on a malformed answer. */
export function parseCriSandboxes(answer: Buffer): Map<string, CriSandbox> {
  const out = new Map<string, CriSandbox>();
  for (const item of readFields(answer)) {
    if (item.field !== 1 || !('bytes' in item) || out.size >= ENGINE_LIMITS.maxContainers) continue;
    let id = '';
    const pod = { name: '', namespace: '', uid: '' };
    for (const f of readFields(item.bytes)) {
      if (!('bytes' in f)) continue;
      if (f.field === 1) id = text(f.bytes, 64);
      else if (f.field === 2) {
        for (const m of readFields(f.bytes)) {
          if (!('bytes' in m)) continue;
          if (m.field === 1) pod.name = text(m.bytes, 253);
          else if (m.field === 2) pod.uid = text(m.bytes, 64);
          else if (m.field === 3) pod.namespace = text(m.bytes, 63);
        }
      }
    }
    if (id) out.set(id, pod);
  }
  return out;
}

/**
 * A ListContainersResponse (field 1, repeated Container), by container id, with each container's
 * pod from `sandboxes`. Entries without a 64-hex-digit id are skipped; strings and labels are cut
 * to {@link ENGINE_LIMITS}. Throws on a malformed answer.
 */
export function parseCriContainers(answer: Buffer, sandboxes: ReadonlyMap<string, CriSandbox>): Map<string, ContainerMetadata> {
  const out = new Map<string, ContainerMetadata>();
  for (const item of readFields(answer)) {
    if (item.field !== 1 || !('bytes' in item) || out.size >= ENGINE_LIMITS.maxContainers) continue;
    const c = { id: '', sandbox: '', name: '', attempt: 0, image: '', specifiedImage: '', state: 'unknown', created: undefined as number | undefined };
    const labels: Record<string, string> = {};
    let labelCount = 0;
    for (const f of readFields(item.bytes)) {
      if ('varint' in f) {
        if (f.field === 6) c.state = CONTAINER_STATES[Number(f.varint)] ?? 'unknown';
        else if (f.field === 7 && f.varint > 0n) c.created = Number(BigInt.asIntN(64, f.varint) / 1_000_000_000n) || undefined;
        continue;
      }
      if (f.field === 1) c.id = text(f.bytes, 64);
      else if (f.field === 2) c.sandbox = text(f.bytes, 64);
      else if (f.field === 3) {
        for (const m of readFields(f.bytes)) {
          if (m.field === 1 && 'bytes' in m) c.name = text(m.bytes, 253);
          else if (m.field === 2 && 'varint' in m) c.attempt = Number(BigInt.asUintN(32, m.varint));
        }
      } else if (f.field === 4) {
        for (const m of readFields(f.bytes)) {
          if (!('bytes' in m)) continue;
          if (m.field === 1) c.image = text(m.bytes);
          else if (m.field === 18) c.specifiedImage = text(m.bytes);
        }
      } else if (f.field === 8 && labelCount < ENGINE_LIMITS.maxLabels) {
        const [key, value] = readMapEntry(f.bytes);
        if (key.length === 0 || key.length > ENGINE_LIMITS.maxLabelKey || key === '__proto__') continue;
        labels[key] = value.slice(0, ENGINE_LIMITS.maxText);
        labelCount++;
      }
    }
    if (!isContainerId(c.id)) continue;
    const pod = sandboxes.get(c.sandbox);
    // The kubelet sets these labels itself; a container another CRI client made has only its sandbox.
    if (pod?.name && labels[KUBE_LABELS.podName] === undefined) {
      Object.assign(labels, { [KUBE_LABELS.podName]: pod.name, [KUBE_LABELS.podNamespace]: pod.namespace, [KUBE_LABELS.podUid]: pod.uid });
      if (c.name && labels[KUBE_LABELS.containerName] === undefined) labels[KUBE_LABELS.containerName] = c.name;
    }
    // The image as the pod spec names it, when the runtime says (newer CRI); else its reference or id.
    out.set(c.id, { name: c.name, image: c.specifiedImage || c.image, state: c.state, created: c.created, labels, restartCount: c.attempt });
  }
  return out;
}
