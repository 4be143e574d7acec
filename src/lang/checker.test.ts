import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE, extendCatalogue } from './catalogue.js';
import { analyze } from './index.js';

const catalogue = extendCatalogue(BUILTIN_CATALOGUE, {
  metrics: [{ name: 'busy_workers', resource: 'host', dim: 'count', labels: ['service'], description: 'Workers busy' }],
  actions: [
    { name: 'restart_service', description: 'Restart a service', resources: ['host'], params: [{ name: 'name', type: 'string', required: true }] },
    { name: 'show_resolv', description: 'Show the resolver configuration inside', resources: ['container', 'pod'], params: [] },
  ],
});

const codes = (src: string) => analyze(src, catalogue).diagnostics.map((d) => d.code);
const messages = (src: string) => analyze(src, catalogue).diagnostics.map((d) => d.message);

describe('check', () => {
  it('accepts custom metrics and actions from the fleet', () => {
    expect(codes('host | busy_workers{service="api"} > 8 | restart_service(name = "api")')).toEqual([]);
    expect(codes('host | busy_workers > 8')).toEqual([]);
  });

  it('names the metric that was probably meant', () => {
    expect(messages('host | disk_usge > 90')).toEqual(['unknown metric `disk_usge` for host; did you mean `disk_usage`?']);
  });

  it('says where a metric lives when it belongs to another resource type', () => {
    expect(messages('host | thread_count > 100')[0]).toBe('unknown metric `thread_count` for host; it is a metric of process: traverse first, e.g. `| process |`');
  });

  it('checks units on both sides of a comparison', () => {
    expect(codes('host | mem_available_bytes < 5m')).toEqual(['BW_UNIT_MISMATCH']);
    expect(codes('host | mem_available_bytes < 500MiB and uptime_seconds > 1h and cpu_usage > 50%')).toEqual([]);
  });

  it('refuses a range where one value is needed, and an instant where a range is', () => {
    expect(codes('host | cpu_usage[5m] > 80')).toEqual(['BW_RANGE_AS_INSTANT']);
    expect(codes('host | avg(cpu_usage) > 80')).toEqual(['BW_RANGE_ON_INSTANT']);
    expect(codes('host | avg(cpu_usage[5m]) > 80')).toEqual([]);
  });

  it('reports every independent mistake of a statement', () => {
    expect(codes('host | cpu_usge > 1 | disk_usage{mnt="/"} > 2 | restart_servce(name = "x") | sort(-bogus_metric_name)')).toEqual([
      'BW_UNKNOWN_METRIC',
      'BW_UNKNOWN_LABEL',
      'BW_UNKNOWN_ACTION',
    ]);
  });

  it('checks action arguments: named, known, required, typed', () => {
    expect(codes('host | restart_service()')).toEqual(['BW_MISSING_ARGUMENT']);
    expect(codes('host | restart_service(nme = "api", name = "api")')).toEqual(['BW_UNKNOWN_ARGUMENT']);
    expect(codes('host | restart_service(name = 5)')).toEqual(['BW_TYPE_MISMATCH']);
    expect(codes('host | process | restart_service(name = "x")')).toEqual(['BW_ACTION_RESOURCE']);
  });

  it('runs an action declared for containers and pods only on those', () => {
    expect(codes('container | app = "web" | show_resolv()')).toEqual([]);
    expect(codes('pod | namespace = "shop" | show_resolv()')).toEqual([]);
    expect(codes('host | container | show_resolv()')).toEqual([]);
    expect(messages('host | show_resolv()')).toEqual(['action `show_resolv` runs on container or pod, not on host']);
    expect(codes('container | restart_service(name = "x")')).toEqual(['BW_ACTION_RESOURCE']);
  });

  it('knows what rows look like after a reduction', () => {
    expect(codes('host | group_by(region) | count | count > 3 | sort(-count)')).toEqual([]);
    expect(codes('host | count | cpu_usage > 3')).toEqual(['BW_UNKNOWN_COLUMN']);
    expect(codes('host | count | `uptime`')).toEqual(['BW_NOT_ON_RESOURCES']);
    expect(codes('host | group_by(region) | limit(3)')).toEqual(['BW_AFTER_GROUP_BY']);
  });

  it('keeps the rows of resources through selections, so actions can follow', () => {
    expect(codes('host | cpu_usage > 50 | top(3, cpu_usage) | `uptime`')).toEqual([]);
  });

  it('warns, without failing, when a tag looks like a misspelt attribute', () => {
    const result = analyze('host | nmae = "web-1"', catalogue);
    expect(result.ok).toBe(true);
    expect(result.diagnostics.map((d) => [d.severity, d.code, d.suggestion])).toEqual([['warning', 'BW_MAYBE_MISSPELT', 'name']]);
  });

  it('resolves names by resource type, so process attributes differ from host ones', () => {
    expect(codes('host | process | pid = 1 and user = "root" and thread_count > 10')).toEqual([]);
    expect(codes('host | pid = 1')).toEqual(['BW_UNKNOWN_METRIC']);
  });

  it('validates event queries against the event schema', () => {
    expect(codes('events | type = "alarm_fired" and age < 1h | group_by(host) | count')).toEqual([]);
    expect(analyze('events | typ = "alarm_fired"', catalogue).diagnostics[0]?.suggestion).toBe('type');
    expect(analyze('events | type = "alarm_fird"', catalogue).diagnostics[0]?.suggestion).toBe('"alarm_fired"');
  });
});
