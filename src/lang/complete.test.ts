import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE, extendCatalogue } from './catalogue.js';
import type { CompleteOptions } from './complete.js';
import { complete, fleetValues } from './complete.js';

// The two actions docs/language.md's examples assume.
const CAT = extendCatalogue(BUILTIN_CATALOGUE, {
  actions: [
    { name: 'restart_service', description: 'Restarts a systemd unit.', resources: ['host'], params: [{ name: 'name', type: 'string', required: true }] },
    { name: 'clean_logs', description: 'Deletes old logs.', resources: ['host'], params: [{ name: 'dir', type: 'string', required: true }, { name: 'days', type: 'number', required: false, default: 7, description: 'Older than this.' }] },
  ],
});

const host = (name: string, role: string, zone: string) => ({ tags: { role, zone, env: 'lab' }, attributes: { name, os: 'linux', kernel: '', status: 'connected' } });
const FLEET = fleetValues([host('web-1', 'web', 'a'), host('web-2', 'web', 'b'), host('db-3', 'db', 'c'), host('cache-4', 'cache', 'a'), { tags: { team: 'say "hi"', os: 'plan9' }, attributes: {} }], (a, b) => a.localeCompare(b, 'en', { numeric: true }));

/** `‸` marks the cursor. */
function at(text: string, options: CompleteOptions = {}) {
  const cursor = text.indexOf('‸');
  return complete(text.replace('‸', ''), cursor, CAT, FLEET, options);
}
const labels = (text: string, options?: CompleteOptions) => at(text, options)?.candidates.map((c) => c.label);

/** The text after accepting the candidate `label`, with the cursor marked. */
function accept(text: string, label: string): string {
  const source = text.replace('‸', '');
  const c = at(text);
  const pick = c?.candidates.find((x) => x.label === label);
  if (!c || !pick) throw new Error(`${label} is not offered at ${text}`);
  return `${source.slice(0, c.from)}${pick.insert}‸${source.slice(c.to)}`;
}

describe('completion', () => {
  it('offers a source first, then stages after `|` before the names a filter or column may use', () => {
    expect(labels('ho‸')).toEqual(['host']);
    expect(labels('ev‸')).toEqual(['events']);
    const stage = labels('host | ‸') ?? [];
    expect(stage.slice(0, 3)).toEqual(['process', 'container', 'pod']);
    expect(stage.indexOf('count')).toBeLessThan(stage.indexOf('cpu_usage'));
    expect(stage.indexOf('restart_service')).toBeLessThan(stage.indexOf('cpu_usage'));
    expect(stage).toContain('rolling');
    expect(stage).toContain('role');
    expect(stage).not.toContain('host');
    // Actions for hosts are not offered on processes; the process's own metrics are.
    expect(labels('host | process | re‸')).toEqual([]);
    expect(labels('host | process | mem‸')).toEqual(['mem_rss_bytes']);
    expect(labels('events | ty‸')).toEqual(['type']);
    // `in` is a keyword on the way to a metric's name.
    expect(labels('host | in‸')).toEqual(['inode_free', 'inode_usage', 'inode_used']);
  });

  it('offers names that make a value inside an expression, and operators after a value', () => {
    expect(labels('host | cpu_usage > 80 and me‸')).toEqual(['mem_available_bytes', 'mem_usage']);
    expect(labels('host | cpu_usage > 80 and co‸')).toEqual(['container_discovery', 'count', 'count_true']);
    expect(at('host | cpu_usage > 80 and co‸')?.candidates.map((c) => c.kind)).toEqual(['attribute', 'function', 'function']);
    expect(labels('host | cpu_usage > 80 a‸')).toEqual(['and']);
    expect(labels('host | role no‸')).toEqual(['not in']);
    expect(accept('host | cpu_u‸ > 1', 'cpu_usage')).toBe('host | cpu_usage‸ > 1');
    // The whole word is replaced, also from its middle.
    expect(accept('host | mem_u‸sag', 'mem_usage')).toBe('host | mem_usage‸');
  });

  it('offers tag keys seen in the fleet, with a few of their values', () => {
    const role = at('host | ro‸')?.candidates.find((c) => c.label === 'role');
    expect(role).toMatchObject({ kind: 'tag', detail: 'cache, db, web' });
    // A tag that would be read as a metric or attribute is not offered as a tag.
    expect(at('host | o‸')?.candidates.filter((c) => c.label === 'os')).toEqual([expect.objectContaining({ kind: 'attribute' })]);
  });

  it("offers a metric's labels inside its selector, and nothing else there", () => {
    const c = at('host | disk_usage{‸');
    expect(c?.eager).toBe(true);
    expect(c?.candidates.map((x) => x.label)).toEqual(['mount', 'device', 'fstype']);
    expect(accept('host | disk_usage{mo‸', 'mount')).toBe('host | disk_usage{mount‸');
    expect(labels('host | disk_usage{mount="/", ‸}')).toEqual(['device', 'fstype']);
    expect(labels('host | net_rx_bytes_rate{‸')).toEqual(['iface']);
    expect(labels('host | cpu_usage{‸')).toEqual([]);
    expect(at('host | disk_usage{mount="/v‸')).toBeUndefined();
    expect(at('host | disk_usage{mount ‸')).toBeUndefined();
  });

  it("offers a tag's values inside the quotes after =, != and in [, and closes the string", () => {
    const c = at('host | role = "‸');
    expect(c?.eager).toBe(true);
    expect(c?.candidates.map((x) => x.label)).toEqual(['cache', 'db', 'web']);
    expect(accept('host | role = "‸', 'web')).toBe('host | role = "web"‸');
    expect(accept('host | role != "w‸" | count', 'web')).toBe('host | role != "web"‸ | count');
    expect(labels('host | zone in ["a", "‸')).toEqual(['a', 'b', 'c']);
    expect(labels("host | zone not in ['‸']")).toEqual(['a', 'b', 'c']);
    expect(labels('host | not (role == "d‸")')).toEqual(['db']);
    expect(labels('host | process | role = "‸')).toEqual(['cache', 'db', 'web']);
    expect(accept('host | team = "‸', 'say "hi"')).toBe('host | team = "say \\"hi\\""‸');
    // The Fleet filter is a pipeline on hosts without saying so.
    expect(labels('zone = "‸', { source: 'host' })).toEqual(['a', 'b', 'c']);
  });

  it("offers host attributes' values seen in the agents list, and event types on events", () => {
    expect(labels('host | name = "we‸')).toEqual(['web-1', 'web-2']);
    expect(labels('host | status = "‸')).toEqual(['connected']);
    expect(at('host | kernel = "‸')).toBeUndefined(); // no agent reported one
    expect(at('host | process | name = "‸')).toBeUndefined(); // process names are not in the agents list
    expect(labels('events | type = "alarm_‸')).toEqual(['alarm_fired', 'alarm_cleared']);
  });

  it("offers an action's and a rollout's parameters as `name = `, not the ones given", () => {
    const c = at('host | clean_logs(‸');
    expect(c?.eager).toBe(true);
    expect(c?.candidates.map((x) => [x.label, x.detail])).toEqual([
      ['dir', 'string, required'],
      ['days', 'number, default 7 · Older than this.'],
    ]);
    expect(accept('host | clean_logs(‸', 'dir')).toBe('host | clean_logs(dir = ‸');
    expect(labels('host | clean_logs(dir = "/var/log", ‸)')).toEqual(['days']);
    expect(labels('host | rolling(batch = 2, ‸')).toEqual(['pause', 'until', 'timeout', 'max_errors', 'ramp']);
    expect(labels('host | rolling(batch = 2, ramp = ‸')).toEqual(['none', 'exponential']);
    expect(labels('host | rolling(batch = 2, ramp = exp‸')).toEqual(['exponential']);
    // An argument's value is not a tag's.
    expect(at('host | restart_service(name = "‸')).toBeUndefined();
    expect(labels('host | restart_service(name = ro‸')).toEqual(['role']);
  });

  it("offers a function's and a reduction's parameters after the names, since their arguments may be named", () => {
    expect(labels('host | http_ok("http://x", t‸')).toEqual(['team', 'tcp_ok', 'timeout']);
    expect(at('host | http_ok("http://x", t‸')?.candidates.at(-1)).toMatchObject({ insert: 'timeout = ', detail: expect.stringContaining('duration, default 2s') });
    expect(labels('host | top(5, me‸')).toEqual(['mem_available_bytes', 'mem_usage']);
    expect(at('host | top(n‸')?.candidates.at(-1)).toMatchObject({ label: 'n', insert: 'n = ', kind: 'argument' });
    // A variadic parameter is not named.
    expect(labels('host | group_by(k‸')).toEqual(['kernel']);
  });

  it('offers nothing inside a command, a comment, a number or a range window', () => {
    expect(at('host | `ech‸')).toBeUndefined();
    expect(at('host | `echo ‸` | count')).toBeUndefined();
    expect(at('host # cp‸')).toBeUndefined();
    expect(labels('host # a comment\n| cp‸')).toEqual(['cpu_iowait', 'cpu_usage']);
    expect(at('host | cpu_usage > 8‸')).toBeUndefined();
    expect(at('host | avg(cpu_usage[‸')).toBeUndefined();
    expect(at('host | constructor(‸')?.candidates).not.toContainEqual(expect.objectContaining({ kind: 'argument' }));
  });
});
