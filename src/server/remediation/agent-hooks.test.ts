import { describe, expect, it } from 'vitest';
import type { BotDefinition } from '../../definitions/index.js';
import type { ApprovalRequestMessage, FleetEvent, PermitRequestMessage } from '../../protocol/index.js';
import type { AgentHookParts } from './agent-hooks.js';
import { agentHooks } from './agent-hooks.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { FakeClock } from '../fleet/fake-clock.test-support.js';
import { agent } from '../../../test/store/fixtures.js';
import { BacktestReplies } from './backtests.js';
import { Controls } from './controls.js';
import type { NewEvent } from './event-intake.js';

const CLEANER = { kind: 'bot', name: 'cleaner', trigger: { alarm: 'disk-full', on: 'fired' }, circuitBreaker: { max: 4, windowSeconds: 600 } } as BotDefinition;
const PERMIT: PermitRequestMessage = { type: 'permit', id: 'p-1', bot: 'cleaner', resource: 'web-1' };

/** The hooks over recording fakes of each part. */
function hooksWith(bots: readonly BotDefinition[], controls = new Controls(new FakeClock(0), () => BUILTIN_CATALOGUE)) {
  const stored: FleetEvent[][] = [];
  const recorded: NewEvent[] = [];
  const permits: { host: string; bot: string; hosts: number }[] = [];
  const requested: string[] = [];
  const parts: AgentHookParts = {
    current: { definitions: () => ({ version: 7, definitions: bots }), bot: (name) => bots.find((b) => b.name === name), forHost: () => undefined },
    intake: { storeEvents: async (events) => (stored.push([...events]), []), record: async (e) => void recorded.push(e) },
    secrets: { redactValue: <T>(value: T): T => JSON.parse(JSON.stringify(value).replaceAll('hunter2', '[secret:db]')) as T },
    breaker: { permit: async (host, bot, hosts) => (permits.push({ host, bot: bot.name, hosts }), { allowed: true, reason: 'run 1 of 4 in the window' }) },
    approvals: { request: async (agent, msg) => void requested.push(`${agent} ${msg.id}`) },
    backtests: new BacktestReplies(),
    controls,
    agents: { getAgentByName: async (name) => agent({ name, tags: { role: name.startsWith('web') ? 'web' : 'db' } }) },
  };
  return { hooks: agentHooks(parts), stored, recorded, permits, requested };
}

describe('agentHooks', () => {
  it('asks the circuit breaker for a bot in the current definitions, with the fleet size the gateway gives', async () => {
    const { hooks, permits } = hooksWith([CLEANER]);

    expect(await hooks.onPermit('web-1', PERMIT, 3)).toEqual({ allowed: true, reason: 'run 1 of 4 in the window' });
    expect(permits).toEqual([{ host: 'web-1', bot: 'cleaner', hosts: 3 }]);
  });

  it('refuses a permit for a bot the current definitions do not have, naming the version', async () => {
    const { hooks, permits } = hooksWith([]);

    expect(await hooks.onPermit('web-1', PERMIT, 3)).toEqual({ allowed: false, reason: 'bot cleaner is not in the current definitions (version 7)' });
    expect(permits).toEqual([]);
  });

  it('refuses a permit while maintenance is on, for a bot switched off, and for an alarm silenced on the asking host only', async () => {
    const clock = new FakeClock(1000);
    const controls = new Controls(clock, () => BUILTIN_CATALOGUE);
    const { hooks, permits } = hooksWith([CLEANER], controls);
    const silence = { id: 's-1', alarm: 'disk-full', hosts: 'host | role = "web"', reason: 'disk swap', createdBy: 'ops', createdAt: 0, endsAt: 60_000, endedAt: null, endedBy: null };

    controls.install([silence], []);
    expect(await hooks.onPermit('web-1', PERMIT, 3)).toMatchObject({ allowed: false, reason: expect.stringContaining('alarm disk-full is silenced on web-1') });
    expect(await hooks.onPermit('db-1', PERMIT, 3)).toMatchObject({ allowed: true });
    await clock.advance(60_000);
    expect(await hooks.onPermit('web-1', PERMIT, 3)).toMatchObject({ allowed: true });

    controls.install([], [{ kind: 'bot', name: 'cleaner', reason: 'incident 42', setBy: 'ops', setAt: 0 }]);
    expect(await hooks.onPermit('db-1', PERMIT, 3)).toEqual({ allowed: false, reason: 'bot cleaner is switched off (by ops: incident 42)' });
    controls.install([], [{ kind: 'maintenance', name: '', reason: 'db upgrade', setBy: 'lead', setAt: 0 }]);
    expect(await hooks.onPermit('db-1', PERMIT, 3)).toEqual({ allowed: false, reason: 'maintenance mode is on (set by lead: db upgrade); no new automated runs' });
    expect(permits.map((p) => p.host)).toEqual(['db-1', 'web-1']);
  });

  it('stores agents\' events with secret values redacted', async () => {
    const { hooks, stored } = hooksWith([]);
    const event = { id: 'e-1', type: 'bot_ran', message: 'ran with password hunter2' } as FleetEvent;

    await hooks.onEvents('web-1', [event]);

    expect(stored).toEqual([[{ ...event, message: 'ran with password [secret:db]' }]]);
  });

  it('records agents joining, leaving and reconnecting, and hands approval requests on', async () => {
    const { hooks, recorded, requested } = hooksWith([]);

    hooks.onConnected('web-1', true);
    hooks.onDisconnected('web-1', 'heartbeat missed');
    hooks.onConnected('web-1', false);
    await hooks.onApproval('web-1', { id: 'ap-1' } as ApprovalRequestMessage);

    expect(recorded).toEqual([
      { type: 'agent_joined', host: 'web-1', principal: 'agent:web-1', message: 'agent web-1 connected' },
      { type: 'agent_left', host: 'web-1', principal: 'agent:web-1', message: 'agent web-1 disconnected: heartbeat missed' },
      { type: 'agent_reconnected', host: 'web-1', principal: 'agent:web-1', message: 'agent web-1 reconnected' },
    ]);
    expect(requested).toEqual(['web-1 ap-1']);
  });

  it('keys a session\'s joined and left by agent and session, so every replica records the same ids', () => {
    const a = hooksWith([]);
    const b = hooksWith([]);

    for (const { hooks } of [a, b]) {
      hooks.onConnected('web-1', false, 's-1');
      hooks.onDisconnected('web-1', 'agent left', 's-1');
      hooks.onConnected('web-2', false, 's-1');
    }

    const ids = (r: typeof a.recorded) => r.map((e) => (e as { id?: string }).id);
    expect(ids(a.recorded)).toEqual(ids(b.recorded));
    expect(new Set(ids(a.recorded)).size).toBe(3);
    expect(ids(a.recorded).every((id) => id !== undefined && id.length <= 128)).toBe(true);
  });

  it('gives a session\'s connect one id whether a replica takes it for the first or a reconnect, so the store keeps one', () => {
    const a = hooksWith([]);
    const b = hooksWith([]);

    a.hooks.onConnected('web-1', true, 's-1');
    b.hooks.onConnected('web-1', false, 's-1');

    expect(a.recorded.map((e) => e.type)).toEqual(['agent_joined']);
    expect(b.recorded.map((e) => e.type)).toEqual(['agent_reconnected']);
    expect((a.recorded[0] as { id?: string }).id).toBe((b.recorded[0] as { id?: string }).id);
  });
});
