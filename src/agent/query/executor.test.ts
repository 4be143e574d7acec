import { describe, expect, it } from 'vitest';

import type { AgentPhase, Plan } from '../../lang/index.js';
import { AgentPhaseSchema, BUILTIN_CATALOGUE, analyze } from '../../lang/index.js';
import type { ResultRow } from '../../protocol/index.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../exec/types.js';
import { localPhase } from '../engine/compile.js';
import { MemoryTsdb } from '../metrics/tsdb.js';
import type { HostFacts, MetricSource, OnDemandMetric, Sample, Snapshot } from '../metrics/types.js';
import type { ActionDefinition, ExecutorDeps } from './executor.js';
import { QueryDeadline, executePhase } from './executor.js';
import type { AgentResource } from './resources.js';
import { hostResource, processResource, processSeriesKey } from './resources.js';

/*
 * executePhase with fakes behind its interfaces: a CommandRunner that records what it is asked to
 * run, the real MemoryTsdb filled with samples, a MetricSource for on-demand metrics. Phases come
 * from the real planner, so the tests read as statements.
 */

/** A whole second, so per-second points line up. */
const T0 = 1_700_000_040_000;
const at = (s: number) => T0 + s * 1000;
const NOW = at(60);

const HOST = 'web-1';
/** A tag value a shell would execute if it were pasted into a command. */
const EVIL = `"; touch /tmp/bw-pwned; echo $(id) \`id\``;
const TAGS = { env: 'prod', 'team.name': 'ops', note: EVIL };
const FACTS: HostFacts = { hostname: HOST, machineId: 'm-123', os: 'linux', distro: 'debian 12', arch: 'x86_64', kernel: '6.1.0', ip: '10.0.0.1' };

const PROCS = [
  { pid: 1, ppid: 0, name: 'systemd', cmdline: '/sbin/init', user: 'root', state: 'S', startTime: 1 },
  { pid: 42, ppid: 1, name: 'nginx', cmdline: 'nginx: master', user: 'root', state: 'S', startTime: 2 },
  { pid: 43, ppid: 42, name: 'nginx', cmdline: 'nginx: worker', user: 'www-data', state: 'S', startTime: 3 },
  { pid: 77, ppid: 1, name: 'postgres', cmdline: 'postgres -D /data', user: 'postgres', state: 'S', startTime: 4 },
];

type Reply = Partial<CommandResult> | 'hang';

/** Records every spec; answers with `reply(spec)`, or hangs until the signal aborts. */
class FakeRunner implements CommandRunner {
  readonly specs: CommandSpec[] = [];
  active = 0;
  private waiters: (() => void)[] = [];
  constructor(private readonly reply: (spec: CommandSpec) => Reply = () => ({})) {}

  async run(spec: CommandSpec, options: { signal?: AbortSignal } = {}): Promise<CommandResult> {
    this.specs.push(spec);
    for (const w of this.waiters.splice(0)) w();
    const r = this.reply(spec);
    if (r !== 'hang') return result(r);
    return new Promise((resolve) => {
      const cancelled = () => resolve(result({ exitCode: null, signal: 'SIGTERM', cancelled: true }));
      if (options.signal?.aborted) cancelled();
      else options.signal?.addEventListener('abort', cancelled, { once: true });
    });
  }

  /** Resolves once `n` commands have been asked for. */
  async started(n: number): Promise<void> {
    while (this.specs.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

function result(r: Partial<CommandResult>): CommandResult {
  return { exitCode: 0, signal: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 12, timedOut: false, cancelled: false, ...r };
}

class FakeSource implements MetricSource {
  readonly asked: [number, string][] = [];
  constructor(private readonly fds: Record<number, number> = {}) {}
  async facts(): Promise<HostFacts> {
    return FACTS;
  }
  async collect(): Promise<Snapshot> {
    return { time: NOW, host: [], processes: [] };
  }
  async onDemand(pid: number, metric: OnDemandMetric): Promise<number | undefined> {
    this.asked.push([pid, metric]);
    const fds = this.fds[pid];
    // Every fake process may hold 1000 descriptors.
    return fds === undefined || metric === 'fd_count' ? fds : metric === 'fd_limit' ? 1000 : fds / 10;
  }
}

/** Host samples at `NOW` (and cpu_usage for every second of the last minute: value = second). */
function filledTsdb(): MemoryTsdb {
  const db = new MemoryTsdb({ clock: () => NOW });
  for (let s = 1; s <= 60; s++) {
    const samples: Sample[] = [
      { name: 'cpu_usage', value: s },
      { name: 'net_rx_bytes_rate', labels: { iface: 'eth0' }, value: 100 },
      { name: 'net_rx_bytes_rate', labels: { iface: 'eth1' }, value: s },
    ];
    db.append('host', at(s), samples);
  }
  db.append('host', NOW, [
    { name: 'load1', value: 2.5 },
    { name: 'disk_usage', labels: { mount: '/', device: 'sda1', fstype: 'ext4' }, value: 50 },
    { name: 'disk_usage', labels: { mount: '/var', device: 'sda2', fstype: 'ext4' }, value: 95 },
    { name: 'disk_free_bytes', labels: { mount: '/', device: 'sda1', fstype: 'ext4' }, value: 9e9 },
    { name: 'disk_free_bytes', labels: { mount: '/var', device: 'sda2', fstype: 'ext4' }, value: 2e8 },
  ]);
  const rss: Record<number, number> = { 1: 10e6, 42: 50e6, 43: 300e6, 77: 900e6 };
  for (const p of PROCS) db.append(processSeriesKey(p.pid), NOW, [{ name: 'mem_rss_bytes', value: rss[p.pid] ?? 0 }]);
  return db;
}

interface Setup {
  readonly runner?: FakeRunner;
  readonly source?: FakeSource;
  readonly actions?: Record<string, ActionDefinition>;
  readonly tsdb?: MemoryTsdb;
}

function deps(setup: Setup = {}): ExecutorDeps & { runner: FakeRunner; source: FakeSource } {
  const host = hostResource(HOST, FACTS, TAGS, '0.1.0');
  const processes: AgentResource[] = PROCS.map((p) => processResource(HOST, p, TAGS));
  return {
    resources: () => ({ host, processes }),
    tsdb: setup.tsdb ?? filledTsdb(),
    source: setup.source ?? new FakeSource(),
    runner: setup.runner ?? new FakeRunner(),
    action: (name) => setup.actions?.[name],
    limits: { commandTimeoutMs: 5000, maxOutputBytes: 65536 },
    now: () => NOW,
  };
}

/** The (first) agent phase the planner makes for a statement, validated as the daemon does on receipt. */
function phaseOf(statement: string): AgentPhase {
  const a = analyze(statement, BUILTIN_CATALOGUE);
  if (!a.ok || !a.plan) throw new Error(`statement has errors: ${a.diagnostics.map((d) => d.message).join('; ')}`);
  const phase = a.plan.phases.find((p) => p.where === 'agent');
  if (!phase) throw new Error(`no agent phase in ${statement}`);
  return AgentPhaseSchema.parse(phase);
}

async function run(statement: string | AgentPhase, setup: Setup = {}, targets?: readonly string[], signal = new AbortController().signal): Promise<ResultRow[]> {
  return executePhase(typeof statement === 'string' ? phaseOf(statement) : statement, targets, deps(setup), signal);
}

const ids = (rows: readonly ResultRow[]) => rows.map((r) => r.resource?.id);
/** The one value of a one-row answer. */
async function single(statement: string, setup: Setup = {}): Promise<unknown> {
  const rows = await run(statement, setup);
  expect(rows).toHaveLength(1);
  expect(rows[0]?.status).toBe('ok');
  return Object.values(rows[0]?.values ?? {})[0];
}

describe('executePhase: filters and columns', () => {
  it('a host metric filter keeps or drops the host, and a column reads the newest sample', async () => {
    expect(await run('host | load1 > 2 | load1')).toEqual([{ resource: { type: 'host', id: HOST, name: HOST, host: HOST }, status: 'ok', values: { load1: 2.5 } }]);
    expect(await run('host | load1 > 3')).toEqual([]);
  });

  it('filters processes by attribute and adds a metric column per process', async () => {
    const rows = await run('process | name = "nginx" | mem_rss_bytes');
    expect(rows.map((r) => [r.resource?.id, r.values.mem_rss_bytes])).toEqual([
      ['web-1/42', 50e6],
      ['web-1/43', 300e6],
    ]);
    expect(rows[0]?.resource).toEqual({ type: 'process', id: 'web-1/42', name: 'nginx', host: HOST });
  });

  it('processes carry their host\'s tags; attribute, tag and metric conditions combine', async () => {
    expect(ids(await run('process | env = "prod" and mem_rss_bytes > 100MB'))).toEqual(['web-1/43', 'web-1/77']);
    expect(await run('process | env = "staging"')).toEqual([]);
    expect(ids(await run('process | user = "postgres" or pid = 1'))).toEqual(['web-1/1', 'web-1/77']);
  });

  it('traverses from the host to its processes', async () => {
    expect(ids(await run('host | process | name = "postgres"'))).toEqual(['web-1/77']);
  });

  it('a metric with no samples is null: comparisons are false, the column is null', async () => {
    expect(await run('host | swap_usage > 0')).toEqual([]);
    expect(await single('host | swap_usage')).toBeNull();
  });

  it('a sample older than a few seconds is not the current value', async () => {
    const tsdb = new MemoryTsdb({ clock: () => NOW });
    tsdb.append('host', NOW - 60_000, [{ name: 'load1', value: 9 }]);
    expect(await run('host | load1 > 1', { tsdb })).toEqual([]);
  });

  it('an agent collecting every 10 s keeps its last sample current for 25 s, not 5', async () => {
    const tsdb = new MemoryTsdb({ clock: () => NOW });
    tsdb.append('host', NOW - 9_000, [{ name: 'load1', value: 9 }]);
    const phase = phaseOf('host | load1 > 1');
    const at = (collectIntervalMs: number) => executePhase(phase, undefined, { ...deps({ tsdb }), collectIntervalMs }, new AbortController().signal);
    expect(ids(await at(10_000))).toEqual(['web-1']);
    expect(await at(1000)).toEqual([]);
  });

  it('reads on-demand metrics (fd_count) from the source, only for what is asked', async () => {
    const source = new FakeSource({ 42: 5000, 43: 10, 77: 200 });
    expect(ids(await run('process | fd_count > 100', { source }))).toEqual(['web-1/42', 'web-1/77']);
    expect(source.asked.map(([pid]) => pid).sort((a, b) => a - b)).toEqual([1, 42, 43, 77]);
    expect(source.asked.every(([, m]) => m === 'fd_count')).toBe(true);
  });

  it('reads fd_usage only for the processes the earlier stages kept (a name filter spares the others)', async () => {
    const source = new FakeSource({ 42: 900, 43: 10, 77: 950 });
    expect(ids(await run('process | name = "nginx" | fd_usage > 80', { source }))).toEqual(['web-1/42']);
    expect(source.asked).toEqual(expect.arrayContaining([[42, 'fd_usage'], [43, 'fd_usage']]));
    expect(source.asked).toHaveLength(2);
  });
});

describe('executePhase: metrics with labels collapse to one value', () => {
  it('disk_usage without a selector is the fullest disk (max)', async () => {
    expect(await single('host | disk_usage')).toBe(95);
    expect(await run('host | disk_usage > 90')).toHaveLength(1);
  });

  it('a selector picks one series', async () => {
    expect(await run('host | disk_usage{mount="/"} > 90')).toEqual([]);
    expect(await single('host | disk_usage{mount="/var"}')).toBe(95);
    expect(await single('host | disk_usage{mount=~"/.*", mount!="/var"}')).toBe(50);
  });

  it('disk_free_bytes is the emptiest disk (min)', async () => {
    expect(await single('host | disk_free_bytes')).toBe(2e8);
  });

  it('net_rx_bytes_rate sums the interfaces', async () => {
    expect(await single('host | net_rx_bytes_rate')).toBe(160);
    expect(await single('host | net_rx_bytes_rate{iface="eth1"}')).toBe(60);
  });
});

describe('executePhase: range functions over the local store', () => {
  // cpu_usage is s at second s, s = 1..60 (NOW is second 60).
  it.each([
    ['avg(cpu_usage[1m])', 30.5],
    ['avg(cpu_usage[30s])', 45.5],
    ['min(cpu_usage[1m])', 1],
    ['max(cpu_usage[1m])', 60],
    ['sum(cpu_usage[10s])', 51 + 52 + 53 + 54 + 55 + 56 + 57 + 58 + 59 + 60],
    ['count(cpu_usage[1m])', 60],
    ['count(cpu_usage[5m])', 60],
    ['last(cpu_usage[1m])', 60],
    ['delta(cpu_usage[1m])', 59],
    ['rate(cpu_usage[1m])', 1],
    ['quantile(0.5, cpu_usage[1m])', 30.5],
    ['deriv(cpu_usage[1m])', 1],
    ['predict_linear(cpu_usage[1m], 10s)', 70],
    ['predict_linear(cpu_usage[30s], 0s)', 60],
    ['zscore(cpu_usage[1m])', 29.5 / Math.sqrt((60 * 60 - 1) / 12)],
    ['holt_winters(cpu_usage[1m], 0.5, 0.5)', 60],
  ])('%s = %d', async (expr, expected) => {
    expect(await single(`host | ${expr}`)).toBeCloseTo(expected, 9);
  });

  it('several series collapse per second before the function (sum of the interfaces)', async () => {
    // eth0 is 100 every second, eth1 is s: the summed series is 100 + s.
    expect(await single('host | max(net_rx_bytes_rate[1m])')).toBe(160);
    expect(await single('host | min(net_rx_bytes_rate[1m])')).toBe(101);
  });

  it('a range with no samples gives null, and count 0', async () => {
    expect(await single('host | avg(swap_usage[1m])')).toBeNull();
    expect(await single('host | count(swap_usage[1m])')).toBe(0);
    expect(await run('host | avg(swap_usage[1m]) > 0')).toEqual([]);
  });

  it('a range column is the series of [time, value] points', async () => {
    const series = (await single('host | cpu_usage[5s]')) as [number, number][];
    expect(series).toEqual([56, 57, 58, 59, 60].map((s) => [at(s), s]));
  });

  it('count_true counts the seconds in which the condition held', async () => {
    expect(await single('host | count_true(cpu_usage > 40, 60s)')).toBe(20);
    expect(await single('host | count_true(cpu_usage > 40 and cpu_usage <= 50, 1m)')).toBe(10);
    expect(await single('host | count_true(cpu_usage > 1000, 60s)')).toBe(0);
    expect(await run('host | count_true(cpu_usage > 40, 60s) >= 20')).toHaveLength(1);
    expect(await run('host | count_true(cpu_usage > 40, 60s) > 20')).toEqual([]);
  });
});

describe('executePhase: checks', () => {
  it('number() reads a command\'s output per resource; a non-number fails only that row, with a clear message', async () => {
    const runner = new FakeRunner((spec) => ({ stdout: spec.env.BW_PID === '43' ? 'cat: /proc/43/oom_score: No such file\n' : `${Number(spec.env.BW_PID) * 10}\n` }));
    const rows = await run('process | number(`cat /proc/$BW_PID/oom_score`)', { runner });
    const byId = Object.fromEntries(rows.map((r) => [r.resource?.id, r]));
    expect(rows).toHaveLength(4);
    expect(byId['web-1/1']).toMatchObject({ status: 'ok', values: { 'number(`cat /proc/$BW_PID/oom_score`)': 10 } });
    expect(byId['web-1/42']).toMatchObject({ status: 'ok', values: { 'number(`cat /proc/$BW_PID/oom_score`)': 420 } });
    expect(byId['web-1/77']).toMatchObject({ status: 'ok', values: { 'number(`cat /proc/$BW_PID/oom_score`)': 770 } });
    expect(byId['web-1/43']?.status).toBe('error');
    expect(byId['web-1/43']?.error).toBe('number(`cat /proc/$BW_PID/oom_score`): output "cat: /proc/43/oom_score: No such file" is not a number');
  });

  it('a failing number() in a filter is an error row, not a silently dropped resource', async () => {
    const runner = new FakeRunner(() => ({ stdout: 'n/a', exitCode: 2 }));
    const rows = await run('host | number(`cat /nope`) > 3', { runner });
    expect(rows).toEqual([expect.objectContaining({ status: 'error', error: 'number(`cat /nope`): output "n/a" is not a number (exit code 2)' })]);
  });

  it('ok() is true on exit code 0, false otherwise', async () => {
    const runner = new FakeRunner((spec) => ({ exitCode: spec.env.BW_PID === '77' ? 0 : 1 }));
    expect(ids(await run('process | ok(`pg_isready`)', { runner }))).toEqual(['web-1/77']);
  });

  it('a check that cannot start is an error row naming the check', async () => {
    const runner = new FakeRunner(() => ({ exitCode: null, error: 'command queue is full' }));
    const rows = await run('host | ok(`true`)', { runner });
    expect(rows).toEqual([expect.objectContaining({ status: 'error', error: 'ok(`true`) could not run: command queue is full' })]);
  });
});

describe('executePhase: commands', () => {
  it('commands get the resource in BW_* variables, never pasted into their text', async () => {
    const runner = new FakeRunner();
    await run('process | name = "nginx" | `kill -HUP $BW_PID; echo "$BW_TAG_NOTE"`', { runner });
    expect(runner.specs).toHaveLength(2);
    for (const spec of runner.specs) {
      expect(spec.command).toBe('kill -HUP $BW_PID; echo "$BW_TAG_NOTE"');
      expect(spec.command).not.toContain('touch');
      expect(spec.env).toMatchObject({ BW_HOST: HOST, BW_RESOURCE_TYPE: 'process', BW_PROCESS_NAME: 'nginx', BW_TAG_ENV: 'prod', BW_TAG_TEAM_NAME: 'ops', BW_TAG_NOTE: EVIL });
      expect(spec.timeoutMs).toBe(5000);
      expect(spec.maxOutputBytes).toBe(65536);
    }
    expect(runner.specs.map((s) => s.env.BW_PID).sort()).toEqual(['42', '43']);
    expect(runner.specs.map((s) => s.env.BW_RESOURCE_ID).sort()).toEqual(['web-1/42', 'web-1/43']);
  });

  it('a host command gets BW_HOST, BW_HOST_ID and tags, and no BW_PID', async () => {
    const runner = new FakeRunner();
    await run('host | `uptime`', { runner });
    expect(runner.specs).toHaveLength(1);
    expect(runner.specs[0]?.env).toMatchObject({ BW_HOST: HOST, BW_HOST_ID: 'm-123', BW_RESOURCE_TYPE: 'host', BW_TAG_NOTE: EVIL });
    expect(runner.specs[0]?.env.BW_PID).toBeUndefined();
  });

  it('checks get the same environment', async () => {
    const runner = new FakeRunner(() => ({ stdout: '1' }));
    await run('process | pid = 42 | number(`cat /proc/$BW_PID/oom_adj`)', { runner });
    expect(runner.specs).toHaveLength(1);
    expect(runner.specs[0]).toMatchObject({ command: 'cat /proc/$BW_PID/oom_adj', env: { BW_PID: '42', BW_TAG_NOTE: EVIL } });
  });

  it('adds exit_code, stdout, stderr and duration; a non-zero exit is still an answer', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 3, stdout: 'out', stderr: 'err', durationMs: 1234 }));
    expect(await run('host | `false`', { runner })).toEqual([{ resource: { type: 'host', id: HOST, name: HOST, host: HOST }, status: 'ok', values: { exit_code: 3, stdout: 'out', stderr: 'err', duration: 1.234 } }]);
  });

  it('later stages filter on the command\'s columns', async () => {
    const runner = new FakeRunner((spec) => ({ exitCode: spec.env.BW_PID === '77' ? 1 : 0 }));
    expect(ids(await run('process | `systemctl status x` | exit_code != 0', { runner }))).toEqual(['web-1/77']);
  });

  it('a command that timed out or could not start is a failed row with the reason', async () => {
    const runner = new FakeRunner((spec) => (spec.env.BW_PID === '42' ? { exitCode: null, timedOut: true } : spec.env.BW_PID === '43' ? { exitCode: null, error: 'no such user: app' } : {}));
    const rows = await run('process | name = "nginx" or pid = 1 | `sleep 100`', { runner });
    const byId = Object.fromEntries(rows.map((r) => [r.resource?.id, r]));
    expect(byId['web-1/1']?.status).toBe('ok');
    expect(byId['web-1/42']).toMatchObject({ status: 'timeout', error: 'command timed out after 5000 ms; its process group was killed' });
    expect(byId['web-1/43']).toMatchObject({ status: 'error', error: 'no such user: app' });
  });
});

describe('executePhase: targets', () => {
  it('targets restrict the starting resources to those ids', async () => {
    const runner = new FakeRunner();
    const rows = await run('process | `uptime`', { runner }, ['web-1/43', 'web-1/77', 'web-9/1']);
    expect(ids(rows)).toEqual(['web-1/43', 'web-1/77']);
    expect(runner.specs.map((s) => s.env.BW_PID).sort()).toEqual(['43', '77']);
  });

  it('a host phase whose targets do not name this host runs nothing', async () => {
    const runner = new FakeRunner();
    expect(await run('host | `uptime`', { runner }, ['web-2'])).toEqual([]);
    expect(runner.specs).toEqual([]);
    expect(ids(await run('host | `uptime`', { runner }, [HOST]))).toEqual([HOST]);
  });

  it('no targets: every resource of the type', async () => {
    expect(await run('process | true')).toHaveLength(4);
  });
});

describe('executePhase: actions', () => {
  const CLEAN: ActionDefinition = {
    name: 'clean_logs',
    command: 'find "$dir" -mtime +"$days" -delete',
    params: [{ name: 'dir' }, { name: 'days', default: 7 }, { name: 'why' }],
    timeoutMs: 30_000,
    maxOutputBytes: 4096,
    user: 'app',
  };
  const phase: AgentPhase = {
    where: 'agent',
    resource: 'host',
    steps: [{ op: 'action', name: 'clean_logs', args: { dir: { k: 'str', v: '/var/log/app' }, why: { k: 'tag', name: 'note' } } }],
  };

  it('runs the defined command with parameters and resource in the environment, and its own limits', async () => {
    const runner = new FakeRunner(() => ({ stdout: 'done' }));
    const rows = await run(phase, { runner, actions: { clean_logs: CLEAN } });
    expect(rows).toEqual([expect.objectContaining({ status: 'ok', values: expect.objectContaining({ action: 'clean_logs', exit_code: 0, stdout: 'done' }) })]);
    expect(runner.specs).toHaveLength(1);
    const spec = runner.specs[0] as CommandSpec;
    expect(spec.command).toBe(CLEAN.command);
    expect(spec.env).toMatchObject({ dir: '/var/log/app', days: '7', why: EVIL, BW_HOST: HOST, BW_TAG_NOTE: EVIL });
    expect(spec).toMatchObject({ timeoutMs: 30_000, maxOutputBytes: 4096, user: 'app' });
  });

  it('an action this agent does not know gives an error row per resource, and runs nothing', async () => {
    const runner = new FakeRunner();
    const processPhase: AgentPhase = { where: 'agent', resource: 'process', steps: [{ op: 'action', name: 'restart_service', args: {} }] };
    const rows = await run(processPhase, { runner, actions: { clean_logs: CLEAN } });
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r.status).toBe('error');
      expect(r.error).toContain('action `restart_service` is not defined on this agent');
    }
    expect(runner.specs).toEqual([]);
  });

  it('runs only on what its `allowed` statement selects (a process of a selected host counts); elsewhere an error row saying why', async () => {
    // As the agent compiles an action's `allowed` statement: the whole plan as one local phase.
    const scopeOf = (allowed: string) => ({ statement: allowed, phase: localPhase(analyze(allowed, BUILTIN_CATALOGUE).plan as Plan) });
    const renice = (allowed: string): ActionDefinition => ({ ...CLEAN, name: 'renice', scope: scopeOf(allowed) });
    const processPhase: AgentPhase = { where: 'agent', resource: 'process', steps: [{ op: 'action', name: 'renice', args: {} }] };
    const byName = await run(processPhase, { actions: { renice: renice('process | name = "nginx"') } });
    expect(byName.filter((r) => r.status === 'ok').map((r) => r.resource?.id)).toEqual(['web-1/42', 'web-1/43']);
    expect(byName.find((r) => r.resource?.id === 'web-1/1')?.error).toBe('action `renice` may run only on `process | name = "nginx"` (its `allowed` rule), which does not select web-1/1; it did not run there');
    const onHost = await run(processPhase, { actions: { renice: renice('host | env = "prod"') } });
    expect(onHost.every((r) => r.status === 'ok')).toBe(true);
    const runner = new FakeRunner();
    const elsewhere = await run(phase, { runner, actions: { clean_logs: { ...CLEAN, scope: scopeOf('host | env = "dev"') } } });
    expect(elsewhere).toEqual([expect.objectContaining({ status: 'error', error: expect.stringContaining('which does not select web-1') })]);
    expect(runner.specs).toEqual([]);
  });
});

describe('executePhase: the query\'s time budget', () => {
  /** Runs `statement` with commands that never end; its deadline (`budgetMs`) passes once `running` of them started. */
  async function runPastDeadline(statement: string, running: number, budgetMs: number): Promise<ResultRow[]> {
    const runner = new FakeRunner(() => 'hang');
    const controller = new AbortController();
    const pending = run(statement, { runner }, undefined, controller.signal);
    await runner.started(running);
    controller.abort(new QueryDeadline(budgetMs));
    return pending;
  }

  it('a command still running when the deadline aborts the query becomes a timeout row', async () => {
    const rows = await runPastDeadline('process | name = "nginx" | `sleep 1000`', 2, 1500);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.status).toBe('timeout');
      expect(r.error).toBe('the query\'s time budget of 1.5s ran out; the command\'s process group was killed');
    }
  });

  it('a deadline that passed before the phase started: every resource is a timeout row', async () => {
    const controller = new AbortController();
    controller.abort(new QueryDeadline(2000));
    const runner = new FakeRunner();
    const rows = await run('process | mem_rss_bytes > 0', { runner }, undefined, controller.signal);
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(r).toMatchObject({ status: 'timeout', error: 'the query\'s time budget of 2s ran out before this resource finished' });
  });

  it('a check still running at the deadline is a timeout row, not a silently dropped resource', async () => {
    const rows = await runPastDeadline('host | ok(`sleep 1000`)', 1, 1000);
    expect(rows).toEqual([expect.objectContaining({ resource: expect.objectContaining({ id: HOST }), status: 'timeout', error: 'the query\'s time budget of 1s ran out before this resource finished' })]);
  });

  it('a plain cancel (not the deadline) gives cancelled rows', async () => {
    const runner = new FakeRunner(() => 'hang');
    const controller = new AbortController();
    const pending = run('host | `sleep 1000`', { runner }, undefined, controller.signal);
    await runner.started(1);
    controller.abort();
    expect(await pending).toEqual([expect.objectContaining({ status: 'cancelled', error: 'command cancelled' })]);
  });
});
