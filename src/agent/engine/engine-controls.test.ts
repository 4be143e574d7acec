import { describe, expect, it } from 'vitest';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { ControlsMessage, FleetEvent } from '../../protocol/index.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../exec/types.js';
import type { Snapshot } from '../metrics/types.js';
import { hostResource } from '../query/resources.js';
import type { EngineDeps } from './engine.js';
import { RemediationEngine } from './engine.js';
import { MemoryOutbox } from './outbox.js';

/*
 * The engine with what operators switched (the controls message): a real outbox, definitions
 * through the real parser, an alarm that fires at once (the fake phase runner selects the host for
 * every phase) and a runner that records what it is asked to run. No control plane is attached:
 * the controls hold on their own.
 */

const HOST = 'web-1';
const host = hostResource(HOST, { hostname: HOST, machineId: 'm', os: 'linux', distro: 'debian', arch: 'x86_64', kernel: '6.1', ip: '10.0.0.1' }, { role: 'web' }, '0.1.0');
const DEFS = `
kind: alarm
name: disk-full
query: host
fire: disk_usage{mount="/data"} > 90
---
kind: action
name: clean_logs
command: "true"
timeout: 5s
resources: [host]
---
kind: bot
name: cleaner
trigger: { alarm: disk-full, on: fired }
action: clean_logs
offline: run
cooldown: 0s
`;

class RecordingRunner implements CommandRunner {
  readonly specs: CommandSpec[] = [];
  readonly active = 0;
  async run(spec: CommandSpec): Promise<CommandResult> {
    this.specs.push(spec);
    return { exitCode: 0, signal: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 1, timedOut: false, cancelled: false };
  }
}

function engineWith(controls: ControlsMessage | undefined, now = 1_000_000) {
  const outbox = new MemoryOutbox();
  const runner = new RecordingRunner();
  const logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
  const deps = {
    host: HOST,
    runner,
    tsdb: { append: () => undefined },
    outbox,
    logger,
    catalogue: BUILTIN_CATALOGUE,
    runPhase: async () => [{ resource: host.ref, status: 'ok', values: { value: 95 } }],
    resources: () => ({ host, processes: [] }),
    once: () => false,
    now: () => now,
    collectIntervalMs: 1000,
  } as unknown as EngineDeps;
  const engine = new RemediationEngine(deps);
  const { definitions, diagnostics } = parseDefinitions([{ path: 'defs.yaml', text: DEFS }], BUILTIN_CATALOGUE);
  if (diagnostics.length) throw new Error(diagnostics.map((d) => d.message).join('; '));
  engine.setDefinitions(1, definitions);
  if (controls) engine.setControls(controls);
  const events = async (): Promise<FleetEvent[]> => {
    await engine.afterCollect({ processes: [] } as unknown as Snapshot);
    // The bot runs after the transition is recorded: let its promise chain settle.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    return outbox.pending(100);
  };
  return { engine, runner, events };
}

const NONE: ControlsMessage = { type: 'controls', silences: [], maintenance: null, disabledBots: {} };
const silence = (alarm: string | null, endsAt: number) => ({ id: 's-1', alarm, endsAt, reason: 'disk swap', createdBy: 'ops' });

describe('the engine honours what operators switched, without the control plane', () => {
  it('without controls the alarm fires and its bot runs', async () => {
    const t = engineWith(NONE);
    const events = await t.events();
    expect(events.map((e) => e.type)).toEqual(['alarm_fired', 'bot_ran']);
    expect(t.runner.specs).toHaveLength(1);
  });

  it('a silenced alarm is still recorded, marked silenced, and its bot does not run; so for a silence of every alarm', async () => {
    for (const alarm of ['disk-full', null]) {
      const t = engineWith({ ...NONE, silences: [silence(alarm, 2_000_000)] });
      const events = await t.events();
      expect(events.map((e) => e.type)).toEqual(['alarm_fired']);
      expect(events[0]?.details.silenced).toEqual({ id: 's-1', by: 'ops', until: 2_000_000, reason: 'disk swap' });
      expect(events[0]?.message).toContain('silenced until');
      expect(t.runner.specs).toEqual([]);
    }
  });

  it('a silence of another alarm, or one that has ended by the agent\'s clock, holds nothing back', async () => {
    for (const s of [silence('cpu-high', 2_000_000), silence('disk-full', 1_000_000)]) {
      const t = engineWith({ ...NONE, silences: [s] });
      expect((await t.events()).map((e) => e.type)).toEqual(['alarm_fired', 'bot_ran']);
    }
  });

  it('maintenance on, or the bot switched off: the bot is skipped, saying why', async () => {
    const cases: [ControlsMessage, string][] = [
      [{ ...NONE, maintenance: { by: 'lead', at: 1, reason: 'db upgrade' } }, 'maintenance mode is on (set by lead: db upgrade); no new automated runs'],
      [{ ...NONE, disabledBots: { cleaner: { by: 'ops', at: 1, reason: 'incident 42' } } }, 'bot cleaner is switched off (by ops: incident 42)'],
    ];
    for (const [controls, reason] of cases) {
      const t = engineWith(controls);
      const events = await t.events();
      expect(events.map((e) => e.type)).toEqual(['alarm_fired', 'bot_skipped']);
      expect(events[1]?.details).toEqual({ reason });
      expect(t.runner.specs).toEqual([]);
    }
  });
});
