import { afterEach, describe, expect, it, vi } from 'vitest';

import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { FleetEvent } from '../../protocol/index.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../exec/types.js';
import type { HostFacts } from '../metrics/types.js';
import type { AgentResource } from '../query/resources.js';
import { containerResource, hostResource, podResource, processResource } from '../query/resources.js';
import type { ApprovalAsker, PermitAsker, Trigger } from './bots.js';
import { BotEngine, context, fillArgs } from './bots.js';
import type { CompiledDefinitions } from './compile.js';
import { compileDefinitions } from './compile.js';

/*
 * BotEngine with fakes behind its deps: a CommandRunner that records the specs it is asked to
 * run, a permit asker (the circuit breaker) and an approval asker that record their questions,
 * an injected clock, and a firing() the test controls. Definitions come from YAML through the
 * real parser and compiler.
 */

const T0 = 1_700_000_000_000;
const HOST = 'web-1';
const FACTS: HostFacts = { hostname: HOST, machineId: 'm-1', os: 'linux', distro: 'debian 12', arch: 'x86_64', kernel: '6.1.0', ip: '10.0.0.1' };
const host = hostResource(HOST, FACTS, { role: 'web' }, '0.1.0');
const worker = (pid: number): AgentResource => processResource(HOST, { pid, ppid: 1, name: 'worker', cmdline: 'worker --serve', user: 'app', state: 'S', startTime: 1 }, { role: 'web' });
const app = (pid: number): AgentResource => processResource(HOST, { pid, ppid: 1, name: 'bw-app', cmdline: 'bw-app', user: 'app', state: 'S', startTime: 1 }, { role: 'web' });

const BASE = `
kind: alarm
name: disk-full
query: host
fire: disk_usage{mount="/data"} > 90
severity: critical
---
kind: alarm
name: worker-cpu
query: process | name = "worker"
fire: cpu_usage > 90
---
kind: action
name: clean_logs
command: find "$dir" -name '*.log' -delete
params:
  dir: string
  note:
    type: string
    default: none given
timeout: 30s
resources: [host]
---
kind: action
name: renice
command: renice -n 10 -p "$pid"
params:
  pid: string
  reason:
    type: string
    default: ""
timeout: 5s
resources: [process]
`;

const CLEAN_ON_FULL = `
kind: bot
name: clean-on-full
trigger: { alarm: disk-full, on: fired }
action: clean_logs
args:
  dir: /data/\${host}/logs
  note: "\${alarm.name} at \${alarm.value}"
cooldown: 60s
`;

/** A bot that runs clean_logs when disk-full fires; `more` adds YAML lines of its own. */
function cleanBot(name: string, more = '', args = '{ dir: /data }'): string {
  return `
kind: bot
name: ${name}
trigger: { alarm: disk-full, on: fired }
action: clean_logs
args: ${args}
${more}
`;
}

function compile(...bots: string[]): CompiledDefinitions {
  const { definitions, diagnostics } = parseDefinitions([{ path: 'test/bots.yaml', text: [BASE, ...bots].join('\n---\n') }], BUILTIN_CATALOGUE);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.field}: ${d.message}`).join('; '));
  return compileDefinitions(1, definitions, BUILTIN_CATALOGUE);
}

class FakeRunner implements CommandRunner {
  readonly specs: CommandSpec[] = [];
  readonly active = 0;
  constructor(private readonly reply: (spec: CommandSpec) => Partial<CommandResult> = () => ({})) {}
  async run(spec: CommandSpec): Promise<CommandResult> {
    this.specs.push(spec);
    return { exitCode: 0, signal: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 5, timedOut: false, cancelled: false, ...this.reply(spec) };
  }
}

type Permit = Awaited<ReturnType<PermitAsker>>;
type ApprovalRequest = Parameters<ApprovalAsker>[0];

interface Setup {
  reply?: (spec: CommandSpec) => Partial<CommandResult>;
  /** The circuit breaker's answer; undefined: the control plane cannot be asked. */
  permit?: (bot: string, resource: string) => Permit | Promise<Permit>;
  approval?: boolean;
  /** Whether an action's `allowed` statement selects a resource; default: yes. */
  inScope?: (action: string, resource: string) => boolean;
}

function setup(s: Setup = {}) {
  const runner = new FakeRunner(s.reply);
  const events: FleetEvent[] = [];
  const permits: [string, string][] = [];
  const approvals: ApprovalRequest[] = [];
  const firing = new Set<string>();
  const clock = { now: T0 };
  const engine = new BotEngine({
    host: HOST,
    runner,
    permit: async (bot, resource) => {
      permits.push([bot, resource]);
      return s.permit ? s.permit(bot, resource) : { allowed: true, reason: 'within limits' };
    },
    approval: (request) => {
      approvals.push(request);
      return s.approval ?? true;
    },
    emit: (e) => events.push(e),
    firing: (alarm, resource) => firing.has(`${alarm} ${resource}`),
    inScope: async (action, resource) => s.inScope?.(action.name, resource.ref.id) ?? true,
    now: () => clock.now,
  });
  const of = (type: FleetEvent['type']) => events.filter((e) => e.type === type);
  return { engine, runner, events, permits, approvals, firing, clock, of };
}

const fired = (resource: AgentResource, value: number | null = 95, alarm = 'disk-full'): Trigger => ({ kind: 'alarm', alarm, on: 'fired', resource, value, severity: 'critical' });
const cleared = (resource: AgentResource, value: number | null = 70, alarm = 'disk-full'): Trigger => ({ kind: 'alarm', alarm, on: 'cleared', resource, value, severity: 'critical' });

afterEach(() => {
  vi.useRealTimers();
});

describe('BotEngine: which bots a trigger sets off', () => {
  const defs = compile(
    CLEAN_ON_FULL,
    `
kind: bot
name: note-cleared
trigger: { alarm: disk-full, on: cleared }
action: clean_logs
args: { dir: /tmp/cleared }
cooldown: 0s
---
kind: bot
name: after-restart
trigger: { event: process_restarted, process: bw-app }
action: renice
args: { pid: "\${process.pid}" }
cooldown: 0s
---
kind: bot
name: on-join
trigger: { event: host_joined }
action: clean_logs
args: { dir: /data/joined }
cooldown: 0s
---
kind: bot
name: disabled-one
trigger: { alarm: disk-full, on: fired }
action: clean_logs
args: { dir: /never }
enabled: false
`,
  );

  const ranBots = (events: FleetEvent[]) => events.filter((e) => e.type === 'bot_ran').map((e) => e.bot);

  it('an alarm firing runs the bots on "fired", not those on "cleared" nor disabled ones', async () => {
    const t = setup();
    await t.engine.handle(fired(host), defs);
    expect(ranBots(t.events)).toEqual(['clean-on-full']);
    expect(t.runner.specs.map((s) => s.env.dir)).toEqual(['/data/web-1/logs']);
  });

  it('an alarm clearing runs the bots on "cleared"', async () => {
    const t = setup();
    await t.engine.handle(cleared(host), defs);
    expect(ranBots(t.events)).toEqual(['note-cleared']);
  });

  it('another alarm sets off none of them', async () => {
    const t = setup();
    await t.engine.handle(fired(worker(42), 99, 'worker-cpu'), defs);
    expect(t.events).toEqual([]);
    expect(t.runner.specs).toEqual([]);
  });

  it('a process restart runs the bots watching that process name only', async () => {
    const t = setup();
    await t.engine.handle({ kind: 'process_restarted', resource: worker(50), process: 'worker', pid: 50 }, defs);
    expect(t.events).toEqual([]);
    await t.engine.handle({ kind: 'process_restarted', resource: app(4242), process: 'bw-app', pid: 4242 }, defs);
    expect(ranBots(t.events)).toEqual(['after-restart']);
    expect(t.runner.specs[0]?.env.pid).toBe('4242');
  });

  it('a host joining runs the host_joined bots', async () => {
    const t = setup();
    await t.engine.handle({ kind: 'host_joined', resource: host }, defs);
    expect(ranBots(t.events)).toEqual(['on-join']);
  });
});

describe('BotEngine: a run', () => {
  it('passes the filled arguments as environment variables, never in the command text, and records the run', async () => {
    const defs = compile(CLEAN_ON_FULL);
    const t = setup({ reply: () => ({ stdout: '/data/web-1/logs/a.log\n', durationMs: 12.4 }) });
    await t.engine.handle(fired(host, 97.5), defs);

    expect(t.runner.specs).toHaveLength(1);
    const spec = t.runner.specs[0];
    expect(spec?.command).toBe(`find "$dir" -name '*.log' -delete`);
    expect(spec?.env).toMatchObject({ dir: '/data/web-1/logs', note: 'disk-full at 97.5', BW_HOST: HOST, BW_RESOURCE_ID: HOST, BW_TAG_ROLE: 'web' });
    expect(spec?.timeoutMs).toBe(30_000);

    const [ran] = t.of('bot_ran');
    expect(ran).toMatchObject({ host: HOST, resource: HOST, alarm: 'disk-full', bot: 'clean-on-full', action: 'clean_logs', value: 97.5, principal: 'bot:clean-on-full', time: T0 });
    expect(ran?.runId).toEqual(expect.any(String));
    expect(ran?.message).toBe('bot clean-on-full ran clean_logs on web-1: exit 0');
    expect(ran?.details).toMatchObject({ ok: true, exitCode: 0, args: { dir: '/data/web-1/logs', note: 'disk-full at 97.5' }, stdout: '/data/web-1/logs/a.log\n', durationMs: 12, offline: false, trigger: 'alarm disk-full fired' });
    expect(t.permits).toEqual([['clean-on-full', HOST]]);
  });

  it('uses a parameter\'s default when the bot gives no argument for it', async () => {
    const defs = compile(cleanBot('plain'));
    const t = setup();
    await t.engine.handle(fired(host), defs);
    expect(t.runner.specs[0]?.env).toMatchObject({ dir: '/data', note: 'none given' });
  });

  it('fills ${process.pid} and ${alarm.value} for a bot on a process alarm', async () => {
    const defs = compile(`
kind: bot
name: calm-worker
trigger: { alarm: worker-cpu, on: fired }
action: renice
args: { pid: "\${process.pid}", reason: "\${alarm.name} at \${alarm.value}% on \${host}" }
`);
    const t = setup();
    await t.engine.handle(fired(worker(42), 99.5, 'worker-cpu'), defs);
    const spec = t.runner.specs[0];
    expect(spec?.command).toBe('renice -n 10 -p "$pid"');
    expect(spec?.env).toMatchObject({ pid: '42', reason: 'worker-cpu at 99.5% on web-1', BW_PID: '42', BW_PROCESS_NAME: 'worker' });
    expect(t.of('bot_ran')[0]?.message).toBe('bot calm-worker ran renice on web-1/worker:42: exit 0');
  });

  it('reports a failing command as a run that did not succeed, with its exit code and stderr', async () => {
    const defs = compile(CLEAN_ON_FULL);
    const t = setup({ reply: () => ({ exitCode: 2, stderr: 'find: /data/web-1/logs: No such file or directory\n' }) });
    await t.engine.handle(fired(host), defs);
    const [ran] = t.of('bot_ran');
    expect(ran?.details).toMatchObject({ ok: false, exitCode: 2, stderr: 'find: /data/web-1/logs: No such file or directory\n' });
    expect(ran?.message).toBe('bot clean-on-full ran clean_logs on web-1: exit 2');
  });

  it('reports a timed-out command and one that could not start as failed runs', async () => {
    const defs = compile(CLEAN_ON_FULL);
    const slow = setup({ reply: () => ({ exitCode: null, signal: 'SIGKILL', timedOut: true }) });
    await slow.engine.handle(fired(host), defs);
    expect(slow.of('bot_ran')[0]?.details).toMatchObject({ ok: false, exitCode: null, timedOut: true });
    expect(slow.of('bot_ran')[0]?.message).toBe('bot clean-on-full ran clean_logs on web-1: timed out after 30s');

    const broken = setup({ reply: () => ({ exitCode: null, error: 'no such user: app' }) });
    await broken.engine.handle(fired(host), defs);
    expect(broken.of('bot_ran')[0]?.details).toMatchObject({ ok: false });
    expect(broken.of('bot_ran')[0]?.message).toBe('bot clean-on-full ran clean_logs on web-1: could not run: no such user: app');
  });

  it('skips, with a reason, a bot whose action is missing from the definitions', async () => {
    const defs = compile(CLEAN_ON_FULL);
    const withoutAction: CompiledDefinitions = { ...defs, actions: new Map() };
    const t = setup();
    await t.engine.handle(fired(host), withoutAction);
    expect(t.runner.specs).toEqual([]);
    const [skipped] = t.of('bot_skipped');
    expect(skipped).toMatchObject({ bot: 'clean-on-full', action: 'clean_logs', resource: HOST, alarm: 'disk-full' });
    expect(skipped?.details).toEqual({ reason: 'action clean_logs is not defined' });
    expect(skipped?.message).toBe('bot clean-on-full did not run on web-1: action clean_logs is not defined');
  });
});

describe('BotEngine: limits', () => {
  const WORKER_BOT = `
kind: bot
name: calm-worker
trigger: { alarm: worker-cpu, on: fired }
action: renice
args: { pid: "\${process.pid}" }
cooldown: 60s
`;

  it('applies the cooldown per resource: a second trigger within it is skipped with the reason, other resources are unaffected', async () => {
    const defs = compile(WORKER_BOT);
    const t = setup();
    await t.engine.handle(fired(worker(42), 99, 'worker-cpu'), defs);
    t.clock.now = T0 + 10_000;
    await t.engine.handle(fired(worker(42), 99, 'worker-cpu'), defs);
    await t.engine.handle(fired(worker(43), 99, 'worker-cpu'), defs);

    expect(t.runner.specs.map((s) => s.env.pid)).toEqual(['42', '43']);
    const skipped = t.of('bot_skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ resource: 'web-1/42', bot: 'calm-worker' });
    expect(skipped[0]?.details).toEqual({ reason: 'cooldown: it ran 10s ago, cooldown is 60s' });

    // Once the cooldown has passed, it runs again.
    t.clock.now = T0 + 60_000;
    await t.engine.handle(fired(worker(42), 99, 'worker-cpu'), defs);
    expect(t.runner.specs.map((s) => s.env.pid)).toEqual(['42', '43', '42']);
  });

  it('runs once for two triggers on one resource that arrive while the circuit breaker is being asked', async () => {
    const defs = compile(WORKER_BOT);
    let answer: (p: Permit) => void = () => undefined;
    const pending = new Promise<Permit>((resolve) => (answer = resolve));
    const t = setup({ permit: () => pending });
    const first = t.engine.handle(fired(worker(42), 99, 'worker-cpu'), defs);
    const second = t.engine.handle(fired(worker(42), 99, 'worker-cpu'), defs);
    answer({ allowed: true, reason: 'within limits' });
    await Promise.all([first, second]);
    expect(t.runner.specs).toHaveLength(1);
    expect(t.of('bot_skipped')[0]?.details).toMatchObject({ reason: expect.stringContaining('cooldown') });
  });

  it('skips with the circuit breaker\'s reason when it does not allow the run, without starting the cooldown', async () => {
    const defs = compile(WORKER_BOT);
    let allowed = false;
    const t = setup({ permit: () => ({ allowed, reason: allowed ? 'within limits' : '3 runs in the last 1h (max 3)' }) });
    await t.engine.handle(fired(worker(42), 99, 'worker-cpu'), defs);
    expect(t.runner.specs).toEqual([]);
    expect(t.of('bot_skipped')[0]?.details).toEqual({ reason: 'circuit breaker: 3 runs in the last 1h (max 3)' });
    expect(t.of('bot_skipped')[0]?.message).toBe('bot calm-worker did not run on web-1/worker:42: circuit breaker: 3 runs in the last 1h (max 3)');

    allowed = true;
    t.clock.now = T0 + 1000;
    await t.engine.handle(fired(worker(42), 99, 'worker-cpu'), defs);
    expect(t.runner.specs).toHaveLength(1);
  });

  it('runs under offline policy "run" when the control plane cannot be asked, and says so', async () => {
    const defs = compile(CLEAN_ON_FULL); // offline: run is the default
    const t = setup({ permit: () => undefined });
    await t.engine.handle(fired(host), defs);
    expect(t.runner.specs).toHaveLength(1);
    const [ran] = t.of('bot_ran');
    expect(ran?.details).toMatchObject({ ok: true, offline: true });
    expect(ran?.message).toBe('bot clean-on-full ran clean_logs on web-1: exit 0 (control plane unreachable; ran under the offline policy)');
  });

  it('skips under offline policy "skip" when the control plane cannot be asked, with the reason', async () => {
    const defs = compile(cleanBot('careful', 'offline: skip'));
    const t = setup({ permit: () => undefined });
    await t.engine.handle(fired(host), defs);
    expect(t.runner.specs).toEqual([]);
    expect(t.of('bot_skipped')[0]?.details).toEqual({ reason: "the control plane cannot be reached to check the circuit breaker, and the bot's offline policy is skip" });
  });

  describe('approval', () => {
    const GATED = cleanBot('gated', 'approval: { expires: 30m }', '{ dir: "/data/${host}" }');

    it('hands the run to the approval asker with its filled arguments, and does not run it', async () => {
      const defs = compile(GATED);
      const t = setup({ approval: true });
      await t.engine.handle(fired(host, 96), defs);
      expect(t.runner.specs).toEqual([]);
      expect(t.of('bot_ran')).toEqual([]);
      expect(t.of('bot_skipped')).toEqual([]);
      expect(t.approvals).toHaveLength(1);
      expect(t.approvals[0]).toMatchObject({ bot: 'gated', action: 'clean_logs', resource: HOST, args: { dir: '/data/web-1' }, expiresSeconds: 1800 });
      expect(t.approvals[0]?.context).toMatchObject({ host: HOST, 'alarm.name': 'disk-full', 'alarm.value': 96 });
    });

    it('skips with the reason when the approval cannot be asked for', async () => {
      const defs = compile(GATED);
      const t = setup({ approval: false });
      await t.engine.handle(fired(host), defs);
      expect(t.runner.specs).toEqual([]);
      expect(t.of('bot_skipped')[0]?.details).toEqual({ reason: 'it needs approval, and the control plane cannot be reached to ask for it' });
    });
  });
});

describe('BotEngine: verify', () => {
  const VERIFIED = cleanBot('clean-verified', 'verify: { within: 30s }');

  /** With fake timers: the verified bot has run on the host while disk-full (95) fires there. */
  async function ranWhileFiring(): Promise<ReturnType<typeof setup>> {
    vi.useFakeTimers();
    const defs = compile(VERIFIED);
    const t = setup();
    t.firing.add(`disk-full ${HOST}`);
    await t.engine.handle(fired(host, 95), defs);
    return t;
  }

  it('escalates when the alarm still fires after the verify time', async () => {
    const t = await ranWhileFiring();
    expect(t.of('bot_ran')).toHaveLength(1);

    vi.advanceTimersByTime(29_999);
    expect(t.of('escalated')).toEqual([]);
    vi.advanceTimersByTime(1);
    const [esc] = t.of('escalated');
    expect(esc).toMatchObject({ bot: 'clean-verified', action: 'clean_logs', alarm: 'disk-full', resource: HOST, host: HOST, value: 95 });
    expect(esc?.message).toBe('bot clean-verified ran clean_logs on web-1, but alarm disk-full did not clear within 30s');
    expect(esc?.details).toEqual({ withinSeconds: 30 });
  });

  it('does not escalate when the alarm cleared in time', async () => {
    const t = await ranWhileFiring();
    t.firing.clear();
    vi.advanceTimersByTime(60_000);
    expect(t.of('escalated')).toEqual([]);
  });

  it('stop() cancels pending verifications', async () => {
    const t = await ranWhileFiring();
    t.engine.stop();
    vi.advanceTimersByTime(60_000);
    expect(t.of('escalated')).toEqual([]);
  });
});

describe('context and fillArgs', () => {
  it('gives templates the host, resource, alarm and process values', () => {
    const ctx = context(fired(worker(42), 99.5, 'worker-cpu'), HOST);
    expect(ctx).toMatchObject({ host: HOST, resource: 'web-1/42', 'alarm.name': 'worker-cpu', 'alarm.value': 99.5, 'alarm.severity': 'critical', 'process.pid': 42, 'process.name': 'worker' });
    expect(context(fired(host, null), HOST)['alarm.value']).toBe('');
  });

  it('gives container triggers the container and its pod; pod resources their pod', () => {
    const labels = { 'io.kubernetes.pod.name': 'checkout-7d9f', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.container.name': 'web' };
    const info = { id: 'c'.repeat(64), runtime: 'containerd' as const, cgroupPath: '/', initPid: 9, pids: [9], name: 'web', image: 'nginx:1', state: 'running', created: undefined, labels, metadataFrom: 'cri' as const };
    const ctx = context({ kind: 'container', event: 'container_restarted', resource: containerResource(HOST, info) }, HOST);
    expect(ctx).toMatchObject({ 'container.id': 'c'.repeat(64), 'container.name': 'web', 'container.image': 'nginx:1', 'pod.name': 'checkout-7d9f', 'pod.namespace': 'shop' });
    // Not in a pod: its pod's templates are empty.
    const alone = context({ kind: 'container', event: 'container_oom_killed', resource: containerResource(HOST, { ...info, labels: {} }) }, HOST);
    expect([alone['container.name'], alone['pod.name'], alone['pod.namespace']]).toEqual(['web', '', '']);
    const pod = podResource(HOST, { name: 'checkout-7d9f', namespace: 'shop', uid: 'u', containers: [info.id], tags: {} });
    expect(context(fired(pod, 3), HOST)).toMatchObject({ 'pod.name': 'checkout-7d9f', 'pod.namespace': 'shop' });
  });

  it('fills string templates and leaves numbers, booleans and $VARIABLES alone', () => {
    const ctx = context({ kind: 'process_restarted', resource: app(7), process: 'bw-app', pid: 7 }, HOST);
    expect(fillArgs({ where: '/proc/${process.pid}/${host}', keep: '$HOME and $${literal}', n: 3, yes: true }, ctx)).toEqual({ where: '/proc/7/web-1', keep: '$HOME and ${literal}', n: 3, yes: true });
  });
});

describe('BotEngine: an action\'s `allowed` rule, checked on the agent', () => {
  /** The set as parsed, with the action's rule changed afterwards: the control plane would refuse it at apply time, the agent must too. */
  function withRule(allowed: string): CompiledDefinitions {
    const text = [BASE.replace('resources: [host]\n', `resources: [host]\nallowed: ${allowed}\n`), CLEAN_ON_FULL].join('\n---\n');
    const { definitions, diagnostics } = parseDefinitions([{ path: 'test/bots.yaml', text }], BUILTIN_CATALOGUE);
    if (diagnostics.some((d) => d.severity === 'error')) throw new Error(diagnostics.map((d) => d.message).join('; '));
    return compileDefinitions(1, definitions, BUILTIN_CATALOGUE);
  }

  it('runs when the rule names the bot on this host', async () => {
    const t = setup();
    await t.engine.handle(fired(host), withRule('{ roles: [admin], principals: ["bot:clean-on-full@web-1"] }'));
    expect(t.runner.specs).toHaveLength(1);
  });

  it('refuses a bot its action does not name here (bot:<bot>@<host>), before asking for a permit or running anything', async () => {
    const t = setup();
    await t.engine.handle(fired(host), withRule('{ principals: ["bot:clean-on-full@db-1"] }'));
    expect(t.runner.specs).toEqual([]);
    expect(t.permits).toEqual([]);
    expect(t.of('bot_skipped').map((e) => e.details.reason)).toEqual(['action `clean_logs` may be run only by `bot:clean-on-full@db-1` (its `allowed` rule); `bot:clean-on-full@web-1` is not named in its principals']);
  });

  it('refuses to run on a resource the action\'s `allowed` statement does not select', async () => {
    const asked: string[] = [];
    const t = setup({ inScope: (action, resource) => (asked.push(`${action} ${resource}`), false) });
    await t.engine.handle(fired(host), withRule('host | role = "db"'));
    expect(asked).toEqual(['clean_logs web-1']);
    expect(t.runner.specs).toEqual([]);
    expect(t.of('bot_skipped')[0]?.message).toBe('bot clean-on-full did not run on web-1: action `clean_logs` may run only on `host | role = "db"` (its `allowed` rule), which does not select web-1; it did not run there');
  });
});

describe('BotEngine: outside alerts (Alertmanager), fired and resolved', () => {
  const defs = compile(`
kind: bot
name: am-fired
trigger: { external: HostDown }
action: clean_logs
args: { dir: "/data/\${event.labels.job}", note: "\${event.annotations.summary}" }
cooldown: 0s
---
kind: bot
name: am-resolved
trigger: { external: HostDown, on: resolved }
action: clean_logs
args: { dir: /tmp/resolved, note: "resolved \${event.fingerprint}" }
cooldown: 0s
`);
  const alert = (on: 'fired' | 'resolved'): Trigger => ({ kind: 'external', name: 'HostDown', on, resource: host, context: { 'labels.job': 'node', 'annotations.summary': 'web-1 is down', fingerprint: 'abc123' } });

  it('runs only the bots of the alert\'s status, with its labels and annotations in their arguments', async () => {
    const s = setup();
    await s.engine.handle(alert('fired'), defs);
    expect(s.of('bot_ran').map((e) => [e.bot, e.details.args, e.details.trigger])).toEqual([['am-fired', { dir: '/data/node', note: 'web-1 is down' }, 'external HostDown fired']]);
    await s.engine.handle(alert('resolved'), defs);
    expect(s.of('bot_ran').map((e) => [e.bot, e.details.args, e.details.trigger])).toEqual([
      ['am-fired', { dir: '/data/node', note: 'web-1 is down' }, 'external HostDown fired'],
      ['am-resolved', { dir: '/tmp/resolved', note: 'resolved abc123' }, 'external HostDown resolved'],
    ]);
  });

  it('runs nothing for an alert of another name', async () => {
    const s = setup();
    await s.engine.handle({ ...alert('fired'), name: 'Other' } as Trigger, defs);
    expect(s.events).toEqual([]);
  });
});
