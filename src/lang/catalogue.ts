import { attr, m } from './catalogue-build.js';
import { CONTAINER, POD } from './catalogue-containers.js';
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

export type ParamType = 'number' | 'integer' | 'fraction' | 'duration' | 'string' | 'bool' | 'command' | 'range' | 'condition' | 'column' | 'numeric' | 'sortkey' | 'batch';

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

const p = (name: string, type: ParamType, description: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name,
  type,
  description,
  required: true,
  ...extra,
});

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
    m('net_rx_bytes_rate', 'bytes_per_second', 'Bytes received per second on a network interface.', 'host | net_rx_bytes_rate{iface="eth0"} > 100MB', ['iface'], 'sum'),
    m('net_tx_bytes_rate', 'bytes_per_second', 'Bytes sent per second on a network interface.', 'host | net_tx_bytes_rate{iface=~"eth.*"} > 100MB', ['iface'], 'sum'),
    m('process_count', 'count', 'Number of processes.', 'host | process_count > 1000'),
    m('zombie_count', 'count', 'Number of zombie (defunct) processes.', 'host | zombie_count > 0 | count'),
    m('fd_usage', 'percent', 'Open file handles as a share of the system limit (fs.file-max), 0–100.', 'host | fd_usage > 80'),
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
    m('fd_count', 'count', 'Open file descriptors.', 'host | process | fd_count > 10000'),
    m('thread_count', 'count', 'Threads.', 'host | process | thread_count > 500'),
    m('uptime_seconds', 'seconds', 'Time since the process started.', 'host | process | name = "nginx" | uptime_seconds < 1m'),
  ],
};

const range = p('x', 'range', 'A metric over a window, e.g. `cpu_usage[5m]`.');
const rangeFn = (name: string, returns: FunctionSpec['returns'], description: string, example: string): FunctionSpec => ({
  name,
  kind: 'range',
  params: [range],
  returns,
  description,
  example,
});

const FUNCTIONS: readonly FunctionSpec[] = [
  rangeFn('avg', 'same', 'Mean of the samples in the window.', 'host | avg(cpu_usage[5m]) > 80'),
  rangeFn('min', 'same', 'Smallest sample in the window.', 'host | min(mem_available_bytes[10m]) < 100MB'),
  rangeFn('max', 'same', 'Largest sample in the window.', 'host | max(cpu_usage[1m])'),
  rangeFn('sum', 'same', 'Sum of the samples in the window.', 'host | sum(net_rx_bytes_rate[1m])'),
  rangeFn('count', 'number', 'Number of samples in the window (gaps show as fewer than the window\'s seconds).', 'host | count(cpu_usage[1m]) < 50'),
  rangeFn('last', 'same', 'Newest sample in the window.', 'host | last(load1[5m])'),
  rangeFn('rate', 'rate', 'Per-second increase over the window, from the first and last samples.', 'host | rate(uptime_seconds[1m])'),
  rangeFn('delta', 'same', 'Last sample minus first sample in the window.', 'host | delta(disk_usage{mount="/"}[10m]) > 5'),
  rangeFn('stddev', 'same', 'Standard deviation of the samples in the window.', 'host | stddev(cpu_usage[10m]) > 20'),
  {
    name: 'quantile',
    kind: 'range',
    params: [p('q', 'fraction', 'The quantile, from 0 to 1 (0.99 for p99).'), range],
    returns: 'same',
    description: 'The q-quantile of the samples in the window.',
    example: 'host | quantile(0.99, cpu_usage[5m]) > 95',
  },
  {
    name: 'count_true',
    kind: 'window',
    params: [p('condition', 'condition', 'A condition on metrics, evaluated on each sample.'), p('window', 'duration', 'How far back to look, e.g. `60s`.')],
    returns: 'seconds',
    description: 'Seconds within the window in which the condition held (one sample per second).',
    example: 'host | count_true(cpu_usage > 40, 60s) >= 48',
  },
  {
    name: 'ok',
    kind: 'check',
    params: [p('command', 'command', 'A shell command, in backticks.')],
    returns: 'bool',
    description: 'Runs the command on the resource\'s host: true when it exits with code 0.',
    example: 'host | not ok(`touch /var/tmp/.bw-rw-check`)',
  },
  {
    name: 'number',
    kind: 'check',
    params: [p('command', 'command', 'A shell command, in backticks, printing one number.')],
    returns: 'number',
    description: 'Runs the command on the resource\'s host and reads its output as a number; a per-resource error when it is not one.',
    example: 'host | number(`cat /proc/sys/fs/file-nr | cut -f1`) > 100000',
  },
  {
    name: 'http_ok',
    kind: 'check',
    params: [p('url', 'string', 'The URL to GET, from the resource\'s host.'), p('timeout', 'duration', 'How long to wait for an answer.', { required: false, default: '2s' })],
    returns: 'bool',
    description: 'True when a GET of the URL answers with a 2xx status within the timeout.',
    example: 'host | not http_ok("http://localhost:8080/health")',
  },
  {
    name: 'tcp_ok',
    kind: 'check',
    params: [p('address', 'string', 'host:port to connect to, from the resource\'s host.'), p('timeout', 'duration', 'How long to wait for the connection.', { required: false, default: '2s' })],
    returns: 'bool',
    description: 'True when a TCP connection to the address opens within the timeout.',
    example: 'host | tcp_ok("localhost:5432")',
  },
];

const col = p('x', 'numeric', 'A numeric column or metric, e.g. `cpu_usage`.');
const REDUCTIONS: readonly ReductionSpec[] = [
  { name: 'count', kind: 'aggregate', params: [], description: 'Number of rows (per group after `group_by`).', example: 'host | group_by(region) | count' },
  { name: 'sum', kind: 'aggregate', params: [col], description: 'Sum of a numeric column over the rows (per group).', example: 'host | process | name = "nginx" | sum(mem_rss_bytes)' },
  { name: 'avg', kind: 'aggregate', params: [col], description: 'Mean of a numeric column over the rows (per group).', example: 'host | group_by(zone) | avg(cpu_usage)' },
  { name: 'min', kind: 'aggregate', params: [col], description: 'Smallest value of a numeric column (per group).', example: 'host | min(disk_free_bytes{mount="/"})' },
  { name: 'max', kind: 'aggregate', params: [col], description: 'Largest value of a numeric column (per group).', example: 'host | max(load1)' },
  {
    name: 'distinct',
    kind: 'aggregate',
    params: [p('x', 'column', 'Columns to keep; all output columns when none is given.', { required: false, variadic: true })],
    description: 'One row per distinct combination of values, with how many rows had it.',
    example: 'host | distinct(kernel)',
  },
  {
    name: 'group_by',
    kind: 'group',
    params: [p('key', 'column', 'A tag, attribute or column to group on.', { variadic: true })],
    description: 'Groups rows by the keys; the next reduction runs per group. Alone, it lists each group with its members.',
    example: 'host | group_by(region, zone) | count',
  },
  { name: 'top', kind: 'select', params: [p('n', 'integer', 'How many rows to keep.'), col], description: 'The n rows with the largest values of x.', example: 'host | top(5, mem_usage)' },
  {
    name: 'sort',
    kind: 'select',
    params: [p('key', 'sortkey', 'A column; prefix with `-` for descending.', { variadic: true })],
    description: 'Orders the rows by the keys.',
    example: 'host | cpu_usage | sort(-cpu_usage)',
  },
  { name: 'limit', kind: 'select', params: [p('n', 'integer', 'How many rows to keep.')], description: 'The first n rows.', example: 'host | sort(name) | limit(3)' },
  { name: 'sample', kind: 'select', params: [p('n', 'integer', 'How many rows to keep.')], description: 'n rows picked at random: canaries, spot checks.', example: 'host | app = "api" | sample(1) | `systemctl status api`' },
];

const ROLLING: readonly ParamSpec[] = [
  p('batch', 'batch', 'Resources per batch: a count (`2`) or a share of the targets (`25%`).'),
  p('pause', 'duration', 'Wait after each batch before checking health.', { required: false, default: '0s', allowZero: true }),
  p('until', 'condition', 'Health check that must hold on every resource of a batch before the next batch starts.', { required: false }),
  p('timeout', 'duration', 'How long a batch may take to become healthy.', { required: false, default: '5m' }),
];

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
