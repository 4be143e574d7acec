import { afterAll, describe, expect, it } from 'vitest';

import type { FleetEvent } from '../../src/protocol/index.js';
import { EventType } from '../../src/protocol/index.js';
import { RawAgent, cleanup, enroll, server } from '../raw-agent.js';

/*
 * Random, well-formed lies from an enrolled agent: events, permits, approvals, rows and hellos with
 * fields drawn from what it may say and what it may not. Whatever the mix, what the control plane
 * stores about the fleet holds the rules: the agent's own host, agent event types, principals the
 * control plane chose. Bounded: a fixed seed, 1,500 messages.
 */

afterAll(cleanup);

/** mulberry32: the same sequence on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AGENT = 'fuzz-1';

describe('fuzzed agent intake', () => {
  it('stores nothing that breaks the rules, and keeps serving', async () => {
    const { server: s, admin, join } = await server(undefined, { agentQuotas: { eventsPerMinute: 100_000, permitsPerMinute: 100_000 } });
    const agent = await RawAgent.open(s, await enroll(s, join, AGENT));
    agent.hello(AGENT);
    await agent.next('welcome');
    const r = random(0xb3e4);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const hosts = [AGENT, 'web-2', 'fuzz-10', '', `${AGENT}/1`];
    const resources = [AGENT, `${AGENT}/42`, 'web-2', 'web-2/7', 'fuzz-10', null];
    const principals = [null, 'admin', `agent:${AGENT}`, 'agent:web-2', 'bot:b', `bot:b@${AGENT}`, 'bot:b@web-2', 'bot:other', 'breakwater'];

    let sent = 0;
    for (let i = 0; i < 1500; i++) {
      const kind = r();
      if (kind < 0.6) {
        const events: FleetEvent[] = Array.from({ length: 1 + Math.floor(r() * 5) }, (_, j) => ({
          id: `f-${i}-${j}`,
          time: r() < 0.1 ? Date.now() + 1e9 : Date.now() - Math.floor(r() * 1e6),
          type: pick(EventType.options),
          host: pick(hosts),
          resource: pick(resources),
          alarm: pick(['a', null]),
          bot: pick(['b', null, 'other']),
          action: null,
          severity: null,
          runId: null,
          principal: pick(principals),
          message: 'fuzz',
          value: null,
          details: { ok: r() < 0.5 },
        }));
        sent += events.length;
        agent.send({ type: 'events', events });
      } else if (kind < 0.75) agent.send({ type: 'permit', id: `p-${i}`, bot: pick(['b', 'nope']), resource: pick(resources.filter(Boolean)) });
      else if (kind < 0.85) agent.send({ type: 'approval', id: `a-${i}`, bot: 'b', action: 'act', resource: pick(['web-2', AGENT, `${AGENT}/9`, 'web-2/9']), args: {}, expiresSeconds: 60, context: {} });
      else if (kind < 0.95) agent.send({ type: 'rows', query: `q-${i}`, rows: [{ resource: { type: 'host', id: pick(hosts) || 'x', name: 'x', host: pick(hosts) }, status: 'ok', values: {} }] });
      else agent.hello(AGENT, pick<Record<string, string>>([{ role: 'web' }, { 'bad key': 'x' }, { ['k'.repeat(65)]: 'x' }, { env: 'v'.repeat(1025) }]));
    }
    // Every events message is acked (stored or refused): then all of them have been handled.
    let acked = 0;
    while (acked < sent) acked += ((await agent.next('ack')).ids as string[]).length;
    expect(acked).toBe(sent);

    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const stored = (await s.store.listEvents({ limit: 1000 })).filter((e) => e.id.startsWith('f-'));
    expect(stored.length).toBeGreaterThan(0);
    for (const e of stored) {
      expect(e.host).toBe(AGENT);
      expect(['alarm_fired', 'alarm_cleared', 'bot_ran', 'bot_skipped', 'escalated', 'file_failed']).toContain(e.type);
      expect(e.resource === null || e.resource === AGENT || e.resource.startsWith(`${AGENT}/`)).toBe(true);
      expect(e.principal).toBe(e.type.startsWith('alarm_') || e.type === 'file_failed' ? `agent:${AGENT}` : `bot:${e.bot}@${AGENT}`);
      expect(e.time).toBeLessThanOrEqual(Date.now());
    }
    const runs = (await s.store.listRuns({ limit: 1000 })).filter((run) => run.id.startsWith('f-'));
    for (const run of runs) expect(run.principal).toMatch(new RegExp(`^bot:[a-z]+@${AGENT}$`));
    for (const a of await s.store.listApprovals({ limit: 1000 })) expect(a.resource === AGENT || a.resource.startsWith(`${AGENT}/`)).toBe(true);
    const agents = (await (await fetch(`${s.url}/api/v1/agents`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { name: string; tags: Record<string, string> }[];
    for (const [k] of Object.entries(agents.find((a) => a.name === AGENT)?.tags ?? {})) expect(k).toMatch(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/);
  }, 60_000);
});
