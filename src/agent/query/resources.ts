import type { ResourceRef } from '../../protocol/index.js';
import { tagsText } from '../../protocol/index.js';
import type { ContainerInfo } from '../containers/catalog.js';
import type { PodInfo } from '../containers/pods.js';
import { kubeContainerName, labelTags, podKey, podNameOf, podNamespace } from '../containers/pods.js';
import type { HostFacts, ProcessInfo } from '../metrics/types.js';

/** A resource on this agent, with what filters and commands need to know about it. */
export interface AgentResource {
  readonly ref: ResourceRef;
  readonly attrs: Readonly<Record<string, string | number>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Key of its series in the local time-series store. */
  readonly seriesKey: string;
  readonly pid?: number;
  /** A container's processes (host pids) when it was listed, for `container | process`. */
  readonly pids?: readonly number[];
  /** A container's pod (the pod's ref id), for `pod | container` and `container | pod`. */
  readonly podId?: string;
  /** A container's pod's namespace, for bots' `${pod.namespace}`. */
  readonly podNamespace?: string;
  /** Environment every command on this resource gets from the agent (BW_TAG_DIR). */
  readonly env?: Readonly<Record<string, string>>;
}

export function hostResource(name: string, facts: HostFacts & { readonly containerDiscovery?: 'on' | 'off' }, tags: Readonly<Record<string, string>>, agentVersion: string, env?: Readonly<Record<string, string>>): AgentResource {
  return {
    ...(env ? { env } : {}),
    ref: { type: 'host', id: name, name, host: name },
    attrs: { name, id: facts.machineId, os: facts.os, distro: facts.distro, arch: facts.arch, kernel: facts.kernel, ip: facts.ip, agent_version: agentVersion, status: 'connected', container_discovery: facts.containerDiscovery ?? '' },
    tags,
    seriesKey: 'host',
  };
}

export function processResource(host: string, info: ProcessInfo, tags: Readonly<Record<string, string>>, env?: Readonly<Record<string, string>>): AgentResource {
  return {
    ...(env ? { env } : {}),
    ref: { type: 'process', id: `${host}/${info.pid}`, name: info.name, host },
    attrs: { pid: info.pid, ppid: info.ppid, name: info.name, cmdline: info.cmdline, user: info.user, state: info.state, start_time: info.startTime, host },
    // Processes carry their host's tags, so `env = "prod"` works after `| process`.
    tags,
    seriesKey: processSeriesKey(info.pid),
    pid: info.pid,
  };
}

export const processSeriesKey = (pid: number) => `process/${pid}`;

/**
 * A container: its labels are its tags (not its host's), under the names {@link labelTags} gives
 * them. Its name is the kubelet's container name when it has one (the runtime's is `k8s_…`).
 */
export function containerResource(host: string, info: ContainerInfo, env?: Readonly<Record<string, string>>): AgentResource {
  const key = podKey(info);
  const name = kubeContainerName(info.labels) || info.name || info.id.slice(0, 12);
  const tags = labelTags(info.labels);
  return {
    ...(env ? { env } : {}),
    ref: { type: 'container', id: `${host}/${info.id}`, name, host },
    attrs: { id: info.id, name, image: info.image, state: info.state, host, pod: podNameOf(info) ?? '', runtime: info.runtime, init_pid: info.initPid, ...(info.created !== undefined ? { created: info.created } : {}), tags: tagsText(tags) },
    tags,
    seriesKey: `container/${info.id}`,
    pids: info.pids,
    ...(key ? { podId: podRefId(host, key), podNamespace: podNamespace(info) } : {}),
  };
}

/** Within the protocol's 512 characters: a host name and a pod's namespace and name can make more. */
const podRefId = (host: string, key: string): string => `${host}/${key}`.slice(0, 512);

/** A pod, from its containers' kubelet labels (tags: those all its containers share) or podman's pod (tags: its labels). */
export function podResource(host: string, pod: PodInfo, env?: Readonly<Record<string, string>>): AgentResource {
  const id = podRefId(host, `${pod.namespace}/${pod.name}`);
  return {
    ...(env ? { env } : {}),
    ref: { type: 'pod', id, name: pod.name, host },
    // Only running containers are seen, so a pod listed is running.
    attrs: { name: pod.name, namespace: pod.namespace, node: host, phase: 'Running', containers: pod.containers.length, tags: tagsText(pod.tags) },
    tags: pod.tags,
    seriesKey: `pod/${pod.uid || id}`,
  };
}

/**
 * What a command on the resource receives in its environment. Tags come as
 * BW_TAG_<NAME> (upper-cased, non-alphanumerics as `_`).
 */
export function resourceEnv(r: AgentResource): Record<string, string> {
  const env: Record<string, string> = { ...r.env, BW_HOST: r.ref.host, BW_RESOURCE_TYPE: r.ref.type, BW_RESOURCE_ID: r.ref.id };
  if (r.ref.type === 'host') env.BW_HOST_ID = String(r.attrs.id ?? '');
  if (r.ref.type === 'process') {
    env.BW_PID = String(r.pid);
    env.BW_PROCESS_NAME = String(r.attrs.name ?? '');
  } else if (r.ref.type === 'container') {
    env.BW_CONTAINER_ID = String(r.attrs.id);
    env.BW_CONTAINER_NAME = String(r.attrs.name);
  } else if (r.ref.type === 'pod') {
    env.BW_POD = String(r.attrs.name);
    env.BW_NAMESPACE = String(r.attrs.namespace);
  }
  for (const [k, v] of Object.entries(r.tags)) env[`BW_TAG_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = v;
  return env;
}
