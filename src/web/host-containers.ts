/**
 * What the host panel asks about a host's containers and pods, and their rows as the panel shows
 * them. The statements go through the query path like every other answer on the page (live, every
 * 2 s); a container's pod is read from its kubelet tags (`io_kubernetes_pod_namespace/…_name`),
 * since `| pod |` in a statement is the traversal to pods, not the attribute.
 */
import type { JsonValue, ResultRow } from '../protocol/index.js';
import { parseTagsText } from '../protocol/index.js';

/** A container as the panel's table shows it. */
export interface ContainerRow {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly state: string;
  /** `namespace/name` of its pod, or empty. */
  readonly pod: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly cpu: number | undefined;
  /** Working set bytes: what the kubelet and the OOM killer weigh. */
  readonly mem: number | undefined;
  readonly restarts: number | undefined;
  /** Seconds since the Unix epoch. */
  readonly created: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

/** A pod as the panel's table shows it. */
export interface PodRow {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly containers: number | undefined;
  readonly cpu: number | undefined;
  readonly mem: number | undefined;
}

const onHost = (host: string) => `host | name = ${JSON.stringify(host)}`;

/**
 * The live statement for a host's containers.
 *
 * @example
 * containerStatement('web-1') // 'host | name = "web-1" | container | name | image | state | cpu_usage | …'
 */
export function containerStatement(host: string): string {
  return `${onHost(host)} | container | name | image | state | cpu_usage | mem_working_set_bytes | restart_count | created | tags`;
}

/** The live statement for a host's pods (their CPU and memory are their containers' summed by the agent). */
export function podStatement(host: string): string {
  return `${onHost(host)} | pod | namespace | name | containers | cpu_usage | mem_working_set_bytes`;
}

/**
 * The Console's URL for a statement on one of the host's containers or pods (or all of them).
 *
 * @example
 * consoleHref('web-1', 'container', { name: 'api' }) // '/console?q=host%20%7C%20name%20%3D%20%22web-1%22%20%7C%20container%20%7C%20name%20%3D%20%22api%22'
 */
export function consoleHref(host: string, type: 'container' | 'pod', only?: { readonly name: string; readonly namespace?: string }): string {
  const filter = only ? ` | ${only.namespace === undefined ? '' : `namespace = ${JSON.stringify(only.namespace)} and `}name = ${JSON.stringify(only.name)}` : '';
  return `/console?q=${encodeURIComponent(`${onHost(host)} | ${type}${filter}`)}`;
}

const num = (v: JsonValue | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: JsonValue | undefined) => (typeof v === 'string' ? v : '');

/** The answer's container rows (a host that did not answer is a failure row of the host: see {@link failureText}). */
export function containerRows(rows: readonly ResultRow[]): ContainerRow[] {
  return rows.flatMap((r) => {
    if (r.resource?.type !== 'container' || r.status !== 'ok') return [];
    const tags = parseTagsText(r.values.tags);
    const podName = tags.io_kubernetes_pod_name ?? '';
    const podNamespace = podName ? tags.io_kubernetes_pod_namespace || 'default' : '';
    const pod = podName ? `${podNamespace}/${podName}` : '';
    const name = str(r.values.name) || r.resource.name;
    return [{ id: r.resource.id, name, image: str(r.values.image), state: str(r.values.state), pod, podNamespace, podName, cpu: num(r.values.cpu_usage), mem: num(r.values.mem_working_set_bytes), restarts: num(r.values.restart_count), created: num(r.values.created), tags }];
  });
}

/** The answer's rows as pods. */
export function podRows(rows: readonly ResultRow[]): PodRow[] {
  return rows.flatMap((r) => (r.resource?.type === 'pod' && r.status === 'ok' ? [{ id: r.resource.id, namespace: str(r.values.namespace), name: str(r.values.name) || r.resource.name, containers: num(r.values.containers), cpu: num(r.values.cpu_usage), mem: num(r.values.mem_working_set_bytes) }] : []));
}

/** Why an answer has no rows to show: the host's failure (offline, timeout, error), or undefined. */
export function failureText(failures: readonly ResultRow[]): string | undefined {
  const f = failures[0];
  return f ? `${f.resource?.name ?? 'the host'} did not answer: ${f.status}${f.error ? `: ${f.error}` : ''}` : undefined;
}

/** What the panel says when the host has no containers: whether its agent looks for them at all. */
export function noContainersText(host: string, discovery: unknown): string {
  if (discovery === 'off') return `Container discovery is off on ${host}'s agent (--containers off): its containers and pods are not listed.`;
  if (discovery === 'on') return `No containers on ${host} (container discovery is on).`;
  return `No containers on ${host}. Its agent does not say whether it discovers containers (an agent older than this control plane).`;
}

/** What the panel says when the host has no pods. */
export function noPodsText(host: string, discovery: unknown): string {
  return `No pods on ${host}${discovery === 'off' ? ' (container discovery is off)' : ''}: pods come from the labels the kubelet puts on containers.`;
}
