import { attr, m } from './catalogue-build.js';
import { CONTAINER, POD } from './catalogue-containers.js';
import { FUNCTIONS, REDUCTIONS, ROLLING } from './catalogue-functions.js';
import type { Dimension } from './units.js';

/*
 * The catalogue: every resource type, attribute, metric, function and
 * reduction the language knows, as data. The checker, planner, CLI help,
 * the language reference and the web UI's completion all read this one table.
 * Custom metrics and actions from a fleet's definitions extend it at run time.
 */

export type ResourceTypeName = 'host' | 'process' | 'container' | 'pod';

/** Numbers that are not measures: shown as dates or as they are, and left out of min/avg/max. */
export type ShownAs = 'timestamp' | 'identifier';

export interface AttributeSpec {
  readonly name: string;
  readonly type: 'string' | 'number';
  readonly dim?: Dimension;
  /** How answers show it: a point in time (seconds since the Unix epoch) as a date; an identifier as is, never summarised. */
  readonly shownAs?: ShownAs;
  readonly description: string;
}

export interface MetricSpec {
  readonly name: string;
  readonly dim: Dimension;
  readonly labels: readonly string[];
  /** How series of one resource collapse when no selector picks one (the fullest disk). */
  readonly collapse?: 'max' | 'min' | 'sum';
  readonly description: string;
  readonly example: string;
  /** Set for metrics a fleet defines (from a command or a scraped endpoint). */
  readonly custom?: boolean;
}

export interface ResourceSpec {
  readonly name: ResourceTypeName;
  readonly description: string;
  readonly attributes: readonly AttributeSpec[];
  readonly metrics: readonly MetricSpec[];
  /** Resource types reachable in one traversal stage (`host | process`). */
  readonly related: readonly ResourceTypeName[];
  /** Whether the control plane's inventory knows these, so filters on attributes and tags need no agent. */
  readonly inventory: boolean;
  /** The environment variables a command on this resource receives. */
  readonly env: readonly string[];
  readonly example: string;
}

export type ParamType = 'number' | 'integer' | 'fraction' | 'duration' | 'string' | 'bool' | 'command' | 'range' | 'condition' | 'column' | 'numeric' | 'sortkey' | 'batch' | 'errors' | 'word';

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly required: boolean;
  readonly description: string;
  /** For the last parameter: may repeat (`group_by(region, zone)`). */
  readonly variadic?: boolean;
  readonly default?: string | number | boolean;
  /** For durations: whether 0s is allowed (a pause may be zero, a timeout may not). */
  readonly allowZero?: boolean;
  /** For `word` parameters: the bare words it takes (`ramp = exponential`). */
  readonly words?: readonly string[];
}

export interface FunctionSpec {
  readonly name: string;
  readonly kind: 'range' | 'check' | 'window';
  readonly params: readonly ParamSpec[];
  /** `same` keeps the dimension of the range argument; `rate` divides it by seconds. */
  readonly returns: 'number' | 'bool' | 'same' | 'rate' | 'seconds';
  readonly description: string;
  readonly example: string;
}

export interface ReductionSpec {
  readonly name: string;
  /** `aggregate` folds rows into groups; `select` keeps resource rows, reordered or fewer. */
  readonly kind: 'aggregate' | 'select' | 'group';
  readonly params: readonly ParamSpec[];
  readonly description: string;
  readonly example: string;
}

export interface ActionParamSpec {
  readonly name: string;
  readonly type: 'string' | 'number' | 'duration' | 'bool';
  readonly required: boolean;
  readonly default?: string | number | boolean;
  readonly description?: string;
}

export interface ActionSpec {
  readonly name: string;
  readonly description: string;
  readonly params: readonly ActionParamSpec[];
  /** The resource types it may run on. */
  readonly resources: readonly ResourceTypeName[];
}

export interface EventFieldSpec {
  readonly name: string;
  readonly type: 'string' | 'number';
  readonly dim?: Dimension;
  /** How answers show it: a point in time (seconds since the Unix epoch) as a date; an identifier as is, never summarised. */
  readonly shownAs?: ShownAs;
  readonly description: string;
}

export interface Catalogue {
  readonly resources: Readonly<Record<ResourceTypeName, ResourceSpec>>;
  readonly functions: Readonly<Record<string, FunctionSpec>>;
  readonly reductions: Readonly<Record<string, ReductionSpec>>;
  readonly actions: Readonly<Record<string, ActionSpec>>;
  readonly eventFields: readonly EventFieldSpec[];
  readonly eventTypes: readonly string[];
}



const HOST: ResourceSpec = {
  name: 'host',
  description: 'A Linux machine running a Breakwater agent (VM, bare metal, Kubernetes node).',
  inventory: true,
  related: ['process', 'container', 'pod'],
  env: ['BW_HOST', 'BW_HOST_ID', 'BW_RESOURCE_TYPE'],
  example: 'host | env = "prod" | cpu_usage',
  attributes: [
    attr('name', 'string', 'Host name as the agent reports it (or `--name`).'),
    attr('id', 'string', 'Stable host id (machine-id).'),
    attr('os', 'string', 'Operating system, e.g. `linux`.'),
    attr('distro', 'string', 'Distribution and version from /etc/os-release, e.g. `debian 12`.'),
    attr('arch', 'string', 'CPU architecture, e.g. `x64`, `arm64`.'),
    attr('kernel', 'string', 'Kernel release, e.g. `6.1.0-18-amd64`.'),
    attr('ip', 'string', 'Primary IP address.'),
    attr('agent_version', 'string', 'Version of the Breakwater agent.'),
    attr('status', 'string', 'Agent connection state: `connected` or `disconnected`.'),
    attr('container_discovery', 'string', 'Whether its agent discovers containers and pods: `on` or `off` (`--containers`); empty for an agent that does not say.'),
  ],
  metrics: [
    m('cpu_usage', 'percent', 'CPU busy time over the last second, all cores, 0–100.', 'host | cpu_usage > 80'),
    m('cpu_iowait', 'percent', 'CPU time waiting for I/O over the last second, 0–100.', 'host | cpu_iowait > 20'),
    m('load1', 'none', 'Load average over 1 minute.', 'host | load1 > 4'),
    m('load5', 'none', 'Load average over 5 minutes.', 'host | load5 > 4'),
    m('load15', 'none', 'Load average over 15 minutes.', 'host | load15 > 4'),
    m('mem_usage', 'percent', 'Memory in use (total minus available), 0–100.', 'host | mem_usage > 90'),
    m('mem_available_bytes', 'bytes', 'Memory available for new work (MemAvailable).', 'host | mem_available_bytes < 500MB'),
    m('swap_usage', 'percent', 'Swap in use, 0–100 (0 without swap).', 'host | swap_usage > 50'),
    m('disk_usage', 'percent', 'Space used on a mounted filesystem, 0–100, as `df` counts it.', 'host | disk_usage{mount="/"} > 90', ['mount', 'device', 'fstype'], 'max'),
    m('disk_free_bytes', 'bytes', 'Space available to unprivileged users on a mounted filesystem.', 'host | disk_free_bytes{mount="/var"} < 1GB', ['mount', 'device', 'fstype'], 'min'),
    m('inode_usage', 'percent', 'Inodes used on a mounted filesystem, 0–100.', 'host | inode_usage{mount="/"} > 90', ['mount', 'device', 'fstype'], 'max'),
    m('inode_used', 'count', 'Inodes (files, directories, links) in use on a mounted filesystem, as `df -i` counts them.', 'host | inode_used{mount="/var/spool"} > 1000000', ['mount', 'device', 'fstype'], 'max'),
    m('inode_free', 'count', 'Inodes still free on a mounted filesystem: how many more files can be created.', 'host | inode_free{mount="/"} < 10000', ['mount', 'device', 'fstype'], 'min'),
    m('net_rx_bytes_rate', 'bytes_per_second', 'Bytes received per second on a network interface.', 'host | net_rx_bytes_rate{iface="eth0"} > 100MB', ['iface'], 'sum'),
    m('net_tx_bytes_rate', 'bytes_per_second', 'Bytes sent per second on a network interface.', 'host | net_tx_bytes_rate{iface=~"eth.*"} > 100MB', ['iface'], 'sum'),
    m('process_count', 'count', 'Number of processes.', 'host | process_count > 1000'),
    m('zombie_count', 'count', 'Number of zombie (defunct) processes.', 'host | zombie_count > 0 | count'),
    m('fd_usage', 'percent', 'Open file handles as a share of the system limit (fs.file-max), 0–100.', 'host | fd_usage > 80'),
    m('oom_kills', 'count', 'Processes the kernel\'s OOM killer killed since boot (host or cgroup out of memory; Linux 4.13+). A counter: watch its change.', 'host | delta(oom_kills[10m]) > 0'),
    m('uptime_seconds', 'seconds', 'Time since boot.', 'host | uptime_seconds < 10m'),
  ],
};

const PROCESS: ResourceSpec = {
  name: 'process',
  description: 'A process on a host. Carries its host\'s tags.',
  inventory: false,
  related: ['host', 'container'],
  env: ['BW_HOST', 'BW_PID', 'BW_PROCESS_NAME', 'BW_RESOURCE_TYPE'],
  example: 'host | process | name = "java" | mem_rss_bytes',
  attributes: [
    { ...attr('pid', 'number', 'Process id.'), shownAs: 'identifier' },
    { ...attr('ppid', 'number', 'Parent process id.'), shownAs: 'identifier' },
    attr('name', 'string', 'Command name (comm), e.g. `nginx`.'),
    attr('cmdline', 'string', 'Full command line, arguments joined by spaces.'),
    attr('user', 'string', 'Name of the process\'s real user.'),
    attr('state', 'string', 'Kernel state letter: R running, S sleeping, D disk wait, Z zombie, T stopped.'),
    { ...attr('start_time', 'number', 'Start time, seconds since the Unix epoch.', 'seconds'), shownAs: 'timestamp' },
    attr('host', 'string', 'Name of the host it runs on.'),
  ],
  metrics: [
    m('cpu_usage', 'percent', 'CPU time used over the last second, as a share of one core (can exceed 100 on several cores).', 'host | process | cpu_usage > 90'),
    m('mem_rss_bytes', 'bytes', 'Resident memory.', 'host | process | mem_rss_bytes > 2GB'),
    m('fd_count', 'count', 'Open file descriptors (read when a statement asks, for the processes selected by then).', 'host | process | fd_count > 10000'),
    m('fd_limit', 'count', 'The soft limit on its open file descriptors (RLIMIT_NOFILE, `ulimit -n`), read like fd_count.', 'host | process | fd_limit < 4096'),
    m('fd_usage', 'percent', 'Open file descriptors as a share of its own limit (fd_count / fd_limit), 0–100, read like fd_count: near 100 it gets EMFILE.', 'host | process | name = "api" | fd_usage > 80'),
    m('thread_count', 'count', 'Threads.', 'host | process | thread_count > 500'),
    m('uptime_seconds', 'seconds', 'Time since the process started.', 'host | process | name = "nginx" | uptime_seconds < 1m'),
  ],
};

const EVENT_FIELDS: readonly EventFieldSpec[] = [
  { name: 'type', type: 'string', description: 'What happened: one of the event types.' },
  { name: 'time', type: 'number', dim: 'seconds', shownAs: 'timestamp', description: 'When, seconds since the Unix epoch.' },
  { name: 'age', type: 'number', dim: 'seconds', description: 'How long ago, in seconds (`age < 1h`).' },
  { name: 'host', type: 'string', description: 'Host the event concerns.' },
  { name: 'resource', type: 'string', description: 'Resource the event concerns, e.g. `host/web-1` or `process/web-1/4242`.' },
  { name: 'alarm', type: 'string', description: 'Alarm name, for alarm events.' },
  { name: 'bot', type: 'string', description: 'Bot name, for bot events.' },
  { name: 'action', type: 'string', description: 'Action name, for runs.' },
  { name: 'severity', type: 'string', description: 'Alarm severity: `info`, `warning`, `critical`.' },
  { name: 'run', type: 'string', description: 'Run id, for events about a run.' },
  { name: 'principal', type: 'string', description: 'Who caused it (a user, a bot, a schedule).' },
  { name: 'message', type: 'string', description: 'Human-readable summary.' },
  { name: 'value', type: 'number', description: 'The value that caused it (the metric at fire time).' },
];

/** Restates protocol's `EventType`, the one list (lang may not import it): src/definitions/shared-lists.test.ts keeps them equal. */
const EVENT_TYPES: readonly string[] = [
  'alarm_fired',
  'alarm_cleared',
  'bot_ran',
  'bot_skipped',
  'escalated',
  'approval_requested',
  'approved',
  'denied',
  'agent_joined',
  'agent_reconnected',
  'agent_left',
  'definitions_applied',
  'run_started',
  'run_finished',
  'file_failed',
  'permit_refused',
  'silence_created',
  'silence_ended',
  'maintenance_started',
  'maintenance_ended',
  'bot_disabled',
  'bot_enabled',
  'schedule_skipped',
];

const byName = <V extends { name: string }>(items: readonly V[]): Readonly<Record<string, V>> =>
  Object.freeze(Object.fromEntries(items.map((i) => [i.name, i])));

/** The built-in catalogue: what every fleet has before it defines anything. */
export const BUILTIN_CATALOGUE: Catalogue = deepFreeze({
  resources: { host: HOST, process: PROCESS, container: CONTAINER, pod: POD },
  functions: byName(FUNCTIONS),
  reductions: byName(REDUCTIONS),
  actions: {},
  eventFields: EVENT_FIELDS,
  eventTypes: EVENT_TYPES,
});

/** Parameters of `rolling(...)`. */
export const ROLLING_PARAMS: readonly ParamSpec[] = ROLLING;

/** Stage words the parser recognises without a catalogue lookup. */
export const RESOURCE_TYPES: readonly ResourceTypeName[] = ['host', 'process', 'container', 'pod'];

/** Metrics, per resource type, that a fleet adds (custom metrics from commands or scrapes). */
export interface CatalogueExtension {
  readonly metrics?: readonly (Omit<MetricSpec, 'custom' | 'example'> & { readonly resource: ResourceTypeName; readonly example?: string })[];
  readonly actions?: readonly ActionSpec[];
}

/**
 * A catalogue with a fleet's custom metrics and actions added. The base is left
 * untouched; a custom metric with a built-in's name replaces it for that type.
 *
 * @example
 * const cat = extendCatalogue(BUILTIN_CATALOGUE, {
 *   actions: [{ name: 'restart_service', description: '', resources: ['host'], params: [{ name: 'name', type: 'string', required: true }] }],
 * });
 */
export function extendCatalogue(base: Catalogue, ext: CatalogueExtension): Catalogue {
  const resources = { ...base.resources };
  for (const metric of ext.metrics ?? []) {
    const { resource, ...rest } = metric;
    const spec = resources[resource];
    const added: MetricSpec = { ...rest, example: rest.example ?? `${resource} | ${rest.name}`, custom: true };
    resources[resource] = { ...spec, metrics: [...spec.metrics.filter((x) => x.name !== metric.name), added] };
  }
  const actions = { ...base.actions, ...byName(ext.actions ?? []) };
  return deepFreeze({ ...base, resources, actions });
}

export function findMetric(catalogue: Catalogue, resource: ResourceTypeName, name: string): MetricSpec | undefined {
  return catalogue.resources[resource].metrics.find((x) => x.name === name);
}

export function findAttribute(catalogue: Catalogue, resource: ResourceTypeName, name: string): AttributeSpec | undefined {
  return catalogue.resources[resource].attributes.find((x) => x.name === name);
}

function deepFreeze<V>(value: V): V {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
