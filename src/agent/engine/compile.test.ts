import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import type { AlarmDefinition, Definition } from '../../definitions/index.js';
import { parseDefinitions } from '../../definitions/index.js';
import type { AgentPhase, Plan } from '../../lang/index.js';
import { BUILTIN_CATALOGUE, analyze } from '../../lang/index.js';
import type { ResultRow } from '../../protocol/index.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../exec/types.js';
import { MemoryTsdb } from '../metrics/tsdb.js';
import type { HostFacts, MetricSource, Snapshot } from '../metrics/types.js';
import { executePhase } from '../query/executor.js';
import type { AgentResource } from '../query/resources.js';
import { hostResource } from '../query/resources.js';
import { compileDefinitions, localPhase } from './compile.js';

/*
 * compileDefinitions on the lab pack as shipped (packs/lab/*.yaml, read from disk and parsed with
 * the real parser). The compiled phases are run with the real executor on a host whose metrics
 * sit in a real MemoryTsdb, so the tests say what each phase selects rather than how it is built.
 */

const LAB = fileURLToPath(new URL('../../../packs/lab/', import.meta.url));
const NOW = 1_700_000_040_000;
const FACTS: HostFacts = { hostname: 'web-1', machineId: 'm-1', os: 'linux', distro: 'debian 12', arch: 'x86_64', kernel: '6.1.0', ip: '10.0.0.1' };

function labPack() {
  const files = readdirSync(LAB)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ path: `packs/lab/${f}`, text: readFileSync(`${LAB}${f}`, 'utf8') }));
  const parsed = parseDefinitions(files, BUILTIN_CATALOGUE);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.file}:${d.line} ${d.message}`).join('; '));
  return parsed;
}

class FakeRunner implements CommandRunner {
  readonly specs: CommandSpec[] = [];
  readonly active = 0;
  constructor(private readonly exitCode = 0) {}
  async run(spec: CommandSpec): Promise<CommandResult> {
    this.specs.push(spec);
    return { exitCode: this.exitCode, signal: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 1, timedOut: false, cancelled: false };
  }
}

const source: MetricSource = {
  facts: async () => FACTS,
  collect: async (): Promise<Snapshot> => ({ time: NOW, host: [], processes: [] }),
  onDemand: async () => undefined,
};

/** Runs a compiled phase on one host with the given tags and host samples. */
async function runOn(phase: AgentPhase, tags: Record<string, string>, samples: { name: string; labels?: Record<string, string>; value: number }[], runner = new FakeRunner()): Promise<ResultRow[]> {
  const tsdb = new MemoryTsdb({ clock: () => NOW });
  tsdb.append('host', NOW, samples);
  const host: AgentResource = hostResource('web-1', FACTS, tags, '0.1.0');
  return executePhase(
    phase,
    undefined,
    { resources: () => ({ host, processes: [] }), tsdb, source, runner, action: () => undefined, limits: { commandTimeoutMs: 1000, maxOutputBytes: 4096 }, now: () => NOW },
    new AbortController().signal,
  );
}

const selected = (rows: readonly ResultRow[]) => rows.filter((r) => r.status === 'ok').map((r) => r.resource?.id);

describe('compileDefinitions: the lab pack', () => {
  const { definitions } = labPack();
  const compiled = compileDefinitions(7, definitions, BUILTIN_CATALOGUE);
  const alarm = (name: string) => {
    const a = compiled.alarms.find((x) => x.def.name === name);
    if (!a) throw new Error(`alarm ${name} was not compiled`);
    return a;
  };

  it('compiles every alarm, bot, action, metric and file without problems', () => {
    expect(compiled.version).toBe(7);
    expect(compiled.problems).toEqual([]);
    expect(compiled.alarms.map((a) => a.def.name).sort()).toEqual(['app-workers-hung', 'data-disk-full', 'fs-read-only']);
    expect(compiled.bots.map((b) => b.name).sort()).toEqual(['check-joining-host', 'clean-data-logs', 'patch-hung-workers', 'quarantine-read-only', 'reapply-patch-on-restart']);
    expect([...compiled.actions.keys()].sort()).toEqual(['apply_patch', 'clean_logs', 'disk_report', 'quarantine', 'restart_app']);
    expect(compiled.metrics.map((m) => m.name)).toEqual(['busy_workers']);
    expect(compiled.files.map((f) => [f.path, f.mode])).toEqual([['/etc/logrotate.d/app', 0o644]]);
  });

  it('turns actions into what the agent runs: timeouts in ms, output limits in bytes, parameters kept', () => {
    expect(compiled.actions.get('clean_logs')).toEqual({
      name: 'clean_logs',
      command: `find "$dir" -xdev -type f -name '*.log' -print -delete`,
      params: [expect.objectContaining({ name: 'dir', type: 'string' })],
      timeoutMs: 30_000,
      maxOutputBytes: 64 * 1024,
    });
    expect(compiled.actions.get('disk_report')?.params).toEqual([expect.objectContaining({ name: 'dir', default: 'data' })]);
  });

  it('extends the catalogue with the pack\'s custom metric, so statements can use it', () => {
    expect(analyze('host | busy_workers > 1', compiled.catalogue).ok).toBe(true);
    expect(analyze('host | busy_workers > 1', BUILTIN_CATALOGUE).ok).toBe(false);
  });

  it('data-disk-full: the scope is the web hosts; fire, clear and value phases measure /data', async () => {
    const a = alarm('data-disk-full');
    for (const p of [a.scope, a.fire, a.clear, a.value]) expect(p).toMatchObject({ where: 'agent', resource: 'host' });

    const full = [{ name: 'disk_usage', labels: { mount: '/data', device: 'sdb1', fstype: 'ext4' }, value: 95 }];
    const half = [{ name: 'disk_usage', labels: { mount: '/data', device: 'sdb1', fstype: 'ext4' }, value: 50 }];
    const web = { role: 'web' };

    expect(selected(await runOn(a.scope, web, full))).toEqual(['web-1']);
    expect(selected(await runOn(a.scope, { role: 'db' }, full))).toEqual([]);

    expect(selected(await runOn(a.fire, web, full))).toEqual(['web-1']);
    expect(selected(await runOn(a.fire, web, half))).toEqual([]);
    expect(selected(await runOn(a.fire, { role: 'db' }, full))).toEqual([]);

    if (!a.clear || !a.value) throw new Error('expected clear and value phases');
    expect(selected(await runOn(a.clear, web, half))).toEqual(['web-1']);
    expect(selected(await runOn(a.clear, web, full))).toEqual([]);

    const values = await runOn(a.value, web, full);
    expect(values.map((r) => r.values)).toEqual([{ value: 95 }]);
  });

  it('app-workers-hung: fires on the custom metric, and its value is that metric', async () => {
    const a = alarm('app-workers-hung');
    const busy = (n: number) => [{ name: 'busy_workers', value: n }];
    expect(selected(await runOn(a.fire, {}, busy(3)))).toEqual(['web-1']);
    expect(selected(await runOn(a.fire, {}, busy(2)))).toEqual([]);
    expect(selected(await runOn(a.clear as AgentPhase, {}, busy(1)))).toEqual(['web-1']);
    expect((await runOn(a.value as AgentPhase, {}, busy(4))).map((r) => r.values)).toEqual([{ value: 4 }]);
  });

  it('fs-read-only: a check-command alarm has no clear phase (not fire clears it) and no value', async () => {
    const a = alarm('fs-read-only');
    expect(a.clear).toBeUndefined();
    expect(a.value).toBeUndefined();
    expect(a.scope.steps).toEqual([]);
    // The host is read-only when the touch fails.
    const failing = new FakeRunner(1);
    expect(selected(await runOn(a.fire, {}, [], failing))).toEqual(['web-1']);
    expect(failing.specs.map((s) => s.command)).toEqual(['touch "$HOST_ROOT/var/tmp/.bw-rw-check"']);
    expect(selected(await runOn(a.fire, {}, [], new FakeRunner(0)))).toEqual([]);
  });

  it('leaves out disabled bots', () => {
    const withDisabled = definitions.map((d): Definition => (d.kind === 'bot' && d.name === 'clean-data-logs' ? { ...d, enabled: false } : d));
    const c = compileDefinitions(8, withDisabled, BUILTIN_CATALOGUE);
    expect(c.bots.map((b) => b.name)).not.toContain('clean-data-logs');
    expect(c.bots).toHaveLength(4);
  });
});

describe('compileDefinitions: definitions the agent cannot use', () => {
  const { definitions } = labPack();
  const diskAlarm = definitions.find((d): d is AlarmDefinition => d.kind === 'alarm' && d.name === 'data-disk-full');
  if (!diskAlarm) throw new Error('lab pack has no data-disk-full');

  it('measures the metric side of a fire condition whose threshold comes first, a negative one too', async () => {
    const flipped: AlarmDefinition = { ...diskAlarm, name: 'flipped', fire: '-1 < disk_usage{mount="/data"}' };
    const value = compileDefinitions(2, [flipped], BUILTIN_CATALOGUE).alarms[0]?.value;
    if (!value) throw new Error('expected a value phase');
    const full = [{ name: 'disk_usage', labels: { mount: '/data', device: 'sdb1', fstype: 'ext4' }, value: 95 }];
    expect((await runOn(value, { role: 'web' }, full)).map((r) => r.values)).toEqual([{ value: 95 }]);
  });

  it('reports an alarm whose fire condition does not check, and compiles the others', () => {
    const broken: AlarmDefinition = { ...diskAlarm, name: 'broken-alarm', fire: 'no_such_metric > 1' };
    const c = compileDefinitions(2, [...definitions, broken], BUILTIN_CATALOGUE);
    expect(c.alarms.map((a) => a.def.name).sort()).toEqual(['app-workers-hung', 'data-disk-full', 'fs-read-only']);
    expect(c.problems).toHaveLength(1);
    expect(c.problems[0]).toMatch(/^alarm broken-alarm: fire condition no_such_metric > 1: .*no_such_metric/);
  });

  it('reports an alarm whose query does not check, or whose clear condition does not', () => {
    const badQuery: AlarmDefinition = { ...diskAlarm, name: 'bad-query', query: 'host | no_such_attr_or_tag(' };
    const badClear: AlarmDefinition = { ...diskAlarm, name: 'bad-clear', clear: 'disk_usage{mount="/data"} < "eighty"' };
    const c = compileDefinitions(3, [badQuery, badClear, ...definitions], BUILTIN_CATALOGUE);
    expect(c.alarms).toHaveLength(3);
    expect(c.problems.map((p) => p.split(':')[0])).toEqual(['alarm bad-query', 'alarm bad-clear']);
  });

  it('reports an alarm that would need the control plane to evaluate', () => {
    const control: AlarmDefinition = { ...diskAlarm, name: 'counting', query: 'host | limit(1)', fire: 'load1 > 1' };
    const c = compileDefinitions(4, [control], BUILTIN_CATALOGUE);
    expect(c.alarms).toEqual([]);
    expect(c.problems).toHaveLength(1);
    expect(c.problems[0]).toMatch(/^alarm counting: .*control plane/);
  });

  it('an alarm on a custom metric is a problem when the metric is not in the set', () => {
    const withoutMetric = definitions.filter((d) => d.kind !== 'metric');
    const c = compileDefinitions(5, withoutMetric, BUILTIN_CATALOGUE);
    expect(c.alarms.map((a) => a.def.name)).not.toContain('app-workers-hung');
    expect(c.problems).toEqual([expect.stringMatching(/^alarm app-workers-hung: .*busy_workers/)]);
  });
});

describe('localPhase', () => {
  const { catalogue } = labPack();
  const plan = (statement: string): Plan => {
    const a = analyze(statement, catalogue);
    if (!a.plan) throw new Error(`${statement}: ${a.diagnostics.map((d) => d.message).join('; ')}`);
    return a.plan;
  };

  it('puts the inventory\'s host filter first, since the agent is its own inventory', async () => {
    const p = plan('host | role = "web" | process | name = "nginx"');
    expect(p.phases.map((x) => x.where)).toEqual(['inventory', 'agent']);
    const local = localPhase(p);
    expect(local.where).toBe('agent');
    expect(local.resource).toBe('host');
    expect(local.steps.map((s) => s.op)).toEqual(['filter', 'traverse', 'filter']);
    expect(local.steps[0]).toEqual({ op: 'filter', expr: { k: 'bin', op: '=', l: { k: 'tag', name: 'role' }, r: { k: 'str', v: 'web' } } });
    // The host filter really applies on the agent: a db host selects nothing.
    expect(await runOn(local, { role: 'db' }, [])).toEqual([]);
  });

  it('keeps the agent phase\'s resource when there is no inventory filter', () => {
    const local = localPhase(plan('process | name = "nginx"'));
    expect(local.resource).toBe('process');
    expect(local.steps).toHaveLength(1);
  });

  it('refuses phases that run on the control plane, with a message saying so', () => {
    expect(() => localPhase(plan('host | count()'))).toThrow('runs on the control plane (control), not on an agent: use only a resource type and filters');
    expect(() => localPhase(plan('events | type = "alarm_fired"'))).toThrow(/runs on the control plane \(events\)/);
    expect(() => localPhase(plan('host | role = "web" | rolling(batch = 2) | restart_app()'))).toThrow(/runs on the control plane \(rollout\)/);
  });
});
