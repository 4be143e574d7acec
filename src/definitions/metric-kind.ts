import { isScalar } from 'yaml';
import type { Dimension } from '../lang/index.js';
import { UNITS, closest, formatSeconds } from '../lang/index.js';
import type { Fields } from './fields.js';
import { describe } from './fields.js';
import { DEFAULTS, DIMENSIONS } from './rules.js';
import type { Raw } from './set-context.js';
import { basics } from './set-context.js';
import type { MetricDefinition } from './types.js';

/* The `metric` kind: a custom metric the agents sample, usable in statements once the set is read. */

/**
 * Reads a `metric` document: a custom metric sampled by a command or scraped from a Prometheus endpoint.
 *
 * @example
 * const def = readMetric(raw); // { kind: 'metric', unit: 'ratio', sampler: { command: '...' }, ... }
 */
export function readMetric(r: Raw): MetricDefinition {
  const f = r.fields;
  const resource = f.oneOf('resource', ['host'] as const, 'host') ?? 'host';
  const unit = readUnit(f);
  const labels = readLabels(f);
  const sampler = readSampler(f);
  const intervalSeconds = f.duration('interval', DEFAULTS.metricIntervalSeconds, 'positive') ?? DEFAULTS.metricIntervalSeconds;
  const fallback = Math.min(DEFAULTS.metricTimeoutSeconds, intervalSeconds);
  const timeoutSeconds = f.duration('timeout', fallback, 'positive') ?? fallback;
  if (timeoutSeconds > intervalSeconds) {
    f.bad('timeout', 'BWD_BAD_DURATION', `expected a timeout no longer than the interval (${formatSeconds(intervalSeconds)}), found ${describe(f.node('timeout'))}: a sample must finish before the next one starts`);
  }
  return { kind: 'metric', ...basics(r), resource, unit, labels, sampler, intervalSeconds, timeoutSeconds };
}

function readUnit(f: Fields): Dimension {
  const n = f.node('unit');
  if (n === undefined) return DEFAULTS.metricUnit;
  const list = DIMENSIONS.map((d) => `\`${d}\``).join(', ');
  if (isScalar(n) && typeof n.value === 'string') {
    if ((DIMENSIONS as string[]).includes(n.value)) return n.value as Dimension;
    const byUnit = UNITS[n.value]?.dimension;
    const suggestion = byUnit ?? closest(n.value, DIMENSIONS);
    f.bad('unit', 'BWD_BAD_VALUE', `expected one of ${list}, found ${describe(n)}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''), { suggestion });
  } else f.bad('unit', 'BWD_BAD_TYPE', `expected one of ${list}, found ${describe(n)}`);
  return DEFAULTS.metricUnit;
}

function readLabels(f: Fields): string[] {
  const list = f.strings('labels', 'a label name') ?? [];
  const out: string[] = [];
  for (const { value, node } of list) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) f.doc.report(node.range[0], 'labels', 'BWD_BAD_NAME', `expected a label name (lowercase letters, digits and \`_\`, not starting with a digit), found ${JSON.stringify(value)}`);
    else if (out.includes(value)) f.doc.report(node.range[0], 'labels', 'BWD_BAD_VALUE', `label \`${value}\` is listed twice`);
    else out.push(value);
  }
  return out;
}

function readSampler(f: Fields): MetricDefinition['sampler'] {
  const hasCommand = f.has('command');
  const hasScrape = f.has('scrape');
  if (hasCommand && hasScrape) {
    f.badKey('scrape', 'BWD_CONFLICT', 'a metric is sampled by `command` or by `scrape`, not both');
  }
  if (!hasCommand && !hasScrape) {
    f.doc.report(f.anchor, 'command', 'BWD_MISSING_FIELD', 'missing how the metric is sampled: expected `command` (a shell command printing one number) or `scrape` (`{ url, metric }` of a Prometheus endpoint)');
    return { command: '' };
  }
  if (hasCommand) return { command: f.string('command', 'a shell command printing one number', true, { nonEmpty: true }) ?? '' };
  const s = f.map('scrape', 'a mapping with `url` (a Prometheus text endpoint) and `metric` (the metric to read there)', true);
  if (!s) return { scrape: '', metric: '' };
  s.allow(['url', 'metric'], '`scrape`');
  const url = s.string('url', 'an http:// or https:// URL', true);
  if (url !== undefined && !/^https?:\/\/[^\s/]+\S*$/.test(url)) s.bad('url', 'BWD_BAD_VALUE', `expected an http:// or https:// URL, found ${JSON.stringify(url)}`);
  const metric = s.string('metric', 'the Prometheus metric name to read, e.g. `app_busy_workers`', true);
  if (metric !== undefined && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric)) s.bad('metric', 'BWD_BAD_VALUE', `expected a Prometheus metric name (letters, digits, \`_\`, \`:\`), found ${JSON.stringify(metric)}`);
  return { scrape: url ?? '', metric: metric ?? '' };
}
