import type { ContainerInfo } from './catalog.js';

/** The labels the kubelet puts on every container it creates (read by the agent; no API server is asked). */
export const KUBE_LABELS = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;

/** A Kubernetes pod as its containers' labels describe it, or a podman pod as podman does. */
export interface PodInfo {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** Its containers' ids, in the order of the list they came from. */
  readonly containers: readonly string[];
  /** The tags all its containers share (a podman pod's: its own labels). */
  readonly tags: Readonly<Record<string, string>>;
}

/** What says which pod a container is in: the kubelet's labels, else podman's pod (from its cgroup). */
type PodMember = Pick<ContainerInfo, 'labels' | 'podmanPod'>;

/** The pod a container belongs to, by its kubelet labels or its podman pod: `namespace/name`, or undefined. */
export function podKey(c: PodMember): string | undefined {
  const name = podNameOf(c);
  return name ? `${podNamespace(c)}/${name}` : undefined;
}

/** The name of a container's pod (the kubelet's label, else its podman pod's), or undefined. */
export const podNameOf = (c: PodMember): string | undefined => podName(c.labels) ?? c.podmanPod?.name.slice(0, 253);

/*
 * Labels are set by whoever starts a container: names are cut to Kubernetes' own limits (a pod's
 * name 253, a namespace and a container's name 63), so a resource's id stays within the protocol's.
 */
/** A container's pod's name (the kubelet's label, bounded), or undefined. */
export const podName = (labels: Readonly<Record<string, string>>): string | undefined => labels[KUBE_LABELS.podName]?.slice(0, 253);
/** A container's pod's namespace (the kubelet's label, bounded; a podman pod's is `default`, as `podman kube play` reads a manifest without one). */
export const podNamespace = (c: PodMember): string => ((podName(c.labels) === undefined ? c.podmanPod?.namespace : c.labels[KUBE_LABELS.podNamespace]) ?? 'default').slice(0, 63) || 'default';

/** A container's name in its pod (the kubelet's label), or undefined. */
export const kubeContainerName = (labels: Readonly<Record<string, string>>): string | undefined => labels[KUBE_LABELS.containerName]?.slice(0, 63);

/** The pods of these containers (those with kubelet labels), each with the tags all its containers share. */
export function podsOf(containers: readonly ContainerInfo[]): PodInfo[] {
  const pods = new Map<string, { first: ContainerInfo; ids: string[]; tags: Record<string, string> }>();
  for (const c of containers) {
    const key = podKey(c);
    if (!key) continue;
    const tags = labelTags(c.labels);
    const pod = pods.get(key);
    if (!pod) {
      // A copy: the pod keeps only the tags its containers share, and the container's are cached.
      pods.set(key, { first: c, ids: [c.id], tags: { ...tags } });
      continue;
    }
    pod.ids.push(c.id);
    for (const [k, v] of Object.entries(pod.tags)) if (tags[k] !== v) delete pod.tags[k];
  }
  return [...pods.values()].map(({ first, ids, tags }) => {
    // The container name differs between a pod's containers, so it is no tag of the pod.
    delete tags[labelTagName(KUBE_LABELS.containerName)];
    const kubelet = podName(first.labels) !== undefined;
    return {
      name: podNameOf(first) as string,
      namespace: podNamespace(first),
      uid: kubelet ? (first.labels[KUBE_LABELS.podUid] ?? first.podUid ?? '') : (first.podmanPod?.id ?? ''),
      containers: ids,
      // A podman pod has labels of its own (a manifest's); its infra container shares none of the others'.
      tags: kubelet || !first.podmanPod ? tags : labelTags(first.podmanPod.labels),
    };
  });
}

/**
 * The tag a label becomes: the language's names are letters, digits and `_`, so every other
 * character becomes `_` (`io.kubernetes.pod.name` → `io_kubernetes_pod_name`), cut to 64
 * characters, with a leading `_` when it would start with a digit.
 */
export function labelTagName(label: string): string {
  const name = label.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64);
  return /^[0-9]/.test(name) ? `_${name.slice(0, 63)}` : name;
}

/**
 * Tags by labels object. The catalog hands out one labels object per container until it asks the
 * runtime again (every 30 s), and each pass would otherwise rename every label of every container:
 * a cost that counts in an agent without an optimising compiler.
 */
const tagsOfLabels = new WeakMap<Readonly<Record<string, string>>, Readonly<Record<string, string>>>();

/** A container's labels as tags ({@link labelTagName}); when two labels make one name, the first in sorted order wins. Frozen: the same object for the same labels object. */
export function labelTags(labels: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const cached = tagsOfLabels.get(labels);
  if (cached) return cached;
  const tags: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) {
    const name = labelTagName(key);
    if (name && !Object.hasOwn(tags, name) && name !== '__proto__') tags[name] = labels[key] as string;
  }
  tagsOfLabels.set(labels, Object.freeze(tags));
  return tags;
}
