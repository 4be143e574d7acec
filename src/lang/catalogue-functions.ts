import type { FunctionSpec, ParamSpec, ParamType, ReductionSpec } from './catalogue.js';

/* The functions, reductions and `rolling(...)` parameters of the catalogue (src/lang/catalogue.ts), apart for size. */

const p = (name: string, type: ParamType, description: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name,
  type,
  description,
  required: true,
  ...extra,
});

const range = p('x', 'range', 'A metric over a window, e.g. `cpu_usage[5m]`.');
const rangeFn = (name: string, returns: FunctionSpec['returns'], description: string, example: string): FunctionSpec => ({
  name,
  kind: 'range',
  params: [range],
  returns,
  description,
  example,
});

export const FUNCTIONS: readonly FunctionSpec[] = [
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
  rangeFn('deriv', 'rate', 'Per-second slope of the least-squares line through the samples in the window.', 'host | deriv(disk_usage{mount="/"}[10m]) > 0.01'),
  {
    name: 'predict_linear',
    kind: 'range',
    params: [range, p('horizon', 'duration', 'How far past the newest sample to extrapolate, e.g. `4h`.', { allowZero: true })],
    returns: 'same',
    description: 'The least-squares line through the window, extrapolated `horizon` past the newest sample.',
    example: 'host | predict_linear(disk_usage{mount="/"}[1h], 4h) > 100',
  },
  rangeFn('zscore', 'number', 'How many standard deviations the newest sample lies from the window\'s mean (0 for a constant window).', 'host | zscore(cpu_usage[10m]) > 3'),
  {
    name: 'holt_winters',
    kind: 'range',
    params: [range, p('sf', 'fraction', 'Smoothing factor, from 0 to 1: higher follows new samples sooner.'), p('tf', 'fraction', 'Trend factor, from 0 to 1: higher follows changes of trend sooner.')],
    returns: 'same',
    description: 'Double exponential smoothing of the samples in the window: their level now, with short spikes smoothed away.',
    example: 'host | holt_winters(cpu_usage[10m], 0.3, 0.3) > 80',
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
export const REDUCTIONS: readonly ReductionSpec[] = [
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

export const ROLLING: readonly ParamSpec[] = [
  p('batch', 'batch', 'Resources per batch: a count (`2`) or a share of the targets (`25%`).'),
  p('pause', 'duration', 'Wait after each batch before checking health.', { required: false, default: '0s', allowZero: true }),
  p('until', 'condition', 'Health check that must hold on every resource of a batch before the next batch starts.', { required: false }),
  p('timeout', 'duration', 'How long a batch may take to become healthy.', { required: false, default: '5m' }),
  p('max_errors', 'errors', 'Failures (a count, `2`, or a share of the targets, `10%`) the rollout tolerates; one more aborts it before the next batch.', { required: false, default: 0 }),
  p('ramp', 'word', 'Batch sizes: `none` (every batch `batch` big) or `exponential` (1, 2, 4, … up to `batch`).', { required: false, default: 'none', words: ['none', 'exponential'] }),
];
