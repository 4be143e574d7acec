import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { FleetEvent, ResultRow } from '../../src/protocol/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { startServer } from '../../src/server/index.js';
import type { Message } from '../raw-agent.js';
import { RawAgent, cleanup, enroll, server, until } from '../raw-agent.js';

/*
 * A hostile enrolled agent: it holds a real credential, so it passes authentication, and then says
 * whatever it likes in well-formed protocol messages. The control plane must believe it only about
 * its own host, only about what agents do, and only as much as its quotas allow.
 */

afterAll(cleanup);

const api = async <T>(s: RunningServer, token: string, path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${s.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
};

let seq = 0;
function event(host: string | null, patch: Partial<FleetEvent> = {}): FleetEvent {
  seq++;
  return { id: `ev-${seq}-${Math.random().toString(36).slice(2)}`, time: Date.now(), type: 'alarm_fired', host, resource: host, alarm: 'disk-full', bot: null, action: null, severity: 'critical', runId: null, principal: null, message: `event ${seq}`, value: 97, details: {}, ...patch };
}

async function connected(s: RunningServer, join: string, name: string, tags: Record<string, string> = {}): Promise<RawAgent> {
  const agent = await RawAgent.open(s, await enroll(s, join, name));
  agent.hello(name, tags);
  await agent.next('welcome');
  return agent;
}

/** Runs a statement through the API while `answer` plays the agent's part; returns the streamed lines. */
async function queryWith(s: RunningServer, admin: string, statement: string, agent: RawAgent, answer: (query: Message) => void): Promise<Record<string, unknown>[]> {
  const res = fetch(`${s.url}/api/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ statement }) }).then((r) => r.text());
  answer(await agent.next('query'));
  return (await res)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('a hostile agent', () => {
  let s: RunningServer;
  let admin: string;
  let join: string;
  beforeAll(async () => {
    ({ server: s, admin, join } = await server(undefined, { agentQuotas: { eventsPerMinute: 200, rowsPerMinute: 1000 } }));
  });

  it('cannot report events about another host, of types only people or the control plane produce, or as a user', async () => {
    const agent = await connected(s, join, 'liar-1');
    await connected(s, join, 'victim-1');
    const honest = event('liar-1');
    const forged = [
      event('victim-1'),
      event('liar-1', { resource: 'victim-1/4242' }),
      event('liar-1', { type: 'definitions_applied', resource: null, principal: 'admin', message: 'definitions version 9 applied by admin' }),
      event('liar-1', { type: 'approved', principal: 'admin' }),
      event('liar-1', { type: 'bot_ran', bot: 'clean', action: 'clean_logs', principal: 'admin', details: { ok: true } }),
    ];
    agent.send({ type: 'events', events: [honest, ...forged] });
    const ack = await agent.next('ack');
    // Every event is done with (the outbox must not resend the refused ones forever) ...
    expect(new Set(ack.ids as string[])).toEqual(new Set([honest, ...forged].map((e) => e.id)));
    // ... and the refused ones say why.
    const refused = ack.refused as { id: string; reason: string }[];
    expect(refused.map((r) => r.id)).toEqual(forged.map((e) => e.id));
    expect(refused.map((r) => r.reason)).toEqual([
      'event is about host "victim-1"; agent liar-1 reports about itself only',
      'resource "victim-1/4242" is not on host liar-1',
      expect.stringMatching(/^an agent may not report definitions_applied events/),
      expect.stringMatching(/^an agent may not report approved events/),
      'principal "admin" is not this agent\'s (bot:clean or bot:clean@liar-1)',
    ]);

    const stored = await api<FleetEvent[]>(s, admin, '/api/v1/events?limit=1000');
    expect(stored.filter((e) => forged.some((f) => f.id === e.id))).toEqual([]);
    expect(stored.find((e) => e.id === honest.id)).toMatchObject({ host: 'liar-1', principal: 'agent:liar-1' });
    const runs = await api<{ principal: string }[]>(s, admin, '/api/v1/runs?limit=1000');
    expect(runs.filter((r) => r.principal === 'admin')).toEqual([]);
  });

  it('a bot run it reports is recorded as that bot on that host, never under a name it chose', async () => {
    const agent = await connected(s, join, 'bots-1');
    const ran = event('bots-1', { type: 'bot_ran', bot: 'clean-data-logs', action: 'clean_logs', alarm: 'data-disk-full', principal: 'bot:clean-data-logs', details: { ok: true, exitCode: 0, durationMs: 12 } });
    agent.send({ type: 'events', events: [ran] });
    expect((await agent.next('ack')).ids).toEqual([ran.id]);
    const run = await api<{ run: { principal: string; status: string } }>(s, admin, `/api/v1/runs/${ran.id}`);
    expect(run.run).toMatchObject({ principal: 'bot:clean-data-logs@bots-1', status: 'succeeded' });
    const audit = await api<{ principal: string; runId: string }[]>(s, admin, `/api/v1/audit?principal=${encodeURIComponent('bot:clean-data-logs@bots-1')}`);
    expect(audit).toContainEqual(expect.objectContaining({ runId: ran.id, action: 'run' }));
    const stored = await api<FleetEvent[]>(s, admin, '/api/v1/events?type=bot_ran&host=bots-1');
    expect(stored.map((e) => e.principal)).toEqual(['bot:clean-data-logs@bots-1']);
  });

  it('cannot flood the store: events over its quota are not taken, the agent is told when to resend, and the server keeps answering', async () => {
    const agent = await connected(s, join, 'flood-1');
    const before = (await api<FleetEvent[]>(s, admin, '/api/v1/events?host=flood-1&limit=1000')).length;
    // 5 frames of 500 (the most a frame may carry is 1000): 2,500 events against a quota of 200 a minute.
    const sent: string[] = [];
    for (let f = 0; f < 5; f++) {
      const batch = Array.from({ length: 500 }, () => event('flood-1'));
      sent.push(...batch.map((e) => e.id));
      agent.send({ type: 'events', events: batch });
    }
    const acks: Message[] = [];
    for (let f = 0; f < 5; f++) acks.push(await agent.next('ack'));
    const taken = acks.flatMap((a) => a.ids as string[]);
    const later = acks.flatMap((a) => (a.retry as { ids: string[] } | undefined)?.ids ?? []);
    // Refills during the test may add a token or two, never hundreds.
    expect(taken.length).toBeGreaterThanOrEqual(200);
    expect(taken.length).toBeLessThan(210);
    expect(taken.length + later.length).toBe(sent.length);
    expect(acks.find((a) => a.retry)?.retry).toMatchObject({ afterMs: expect.any(Number) });
    const error = await agent.next('error');
    expect(error).toMatchObject({ code: 'BW_ERR_QUOTA', message: expect.stringMatching(/over the quota of 200 a minute; resend after \d+ ms/) });
    const after = (await api<FleetEvent[]>(s, admin, '/api/v1/events?host=flood-1&limit=1000')).length;
    expect(after - before).toBe(taken.length);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('cannot set a tag that is not a tag name, at hello or later', async () => {
    const agent = await RawAgent.open(s, await enroll(s, join, 'tagger-1'));
    agent.hello('tagger-1', { 'x`touch /tmp/pwned`': 'y' });
    const err = await agent.next('error');
    expect(err).toMatchObject({ code: 'BW_ERR_PROTOCOL', message: expect.stringContaining('tag names are letters') });
    expect(agent.received.filter((m) => m.type === 'welcome')).toEqual([]);

    agent.hello('tagger-1', { role: 'web' });
    await agent.next('welcome');
    agent.hello('tagger-1', { role: 'web', 'a b': 'c' });
    expect(await agent.next('error')).toMatchObject({ code: 'BW_ERR_PROTOCOL', message: expect.stringContaining('tags.a b') });
    agent.hello('tagger-1', { role: 'x'.repeat(1025) });
    expect(await agent.next('error')).toMatchObject({ code: 'BW_ERR_PROTOCOL', message: expect.stringContaining('tags.role') });
    const agents = await api<{ name: string; tags: Record<string, string> }[]>(s, admin, '/api/v1/agents');
    expect(agents.find((a) => a.name === 'tagger-1')?.tags).toEqual({ role: 'web' });
  });

  it('cannot fill the store with approval requests: they spend its event quota', async () => {
    const agent = await connected(s, join, 'pester-1');
    for (let i = 0; i < 250; i++) agent.send({ type: 'approval', id: `pester-${i}`, bot: 'ask-first', action: 'mark_approved', resource: 'pester-1', args: {}, expiresSeconds: 600, context: {} });
    expect(await agent.next('error')).toMatchObject({ code: 'BW_ERR_QUOTA', message: expect.stringMatching(/^1 events over the quota of 200 a minute/) });
    const stored = await until('the approvals taken to be stored', async () => {
      const list = (await api<{ host: string }[]>(s, admin, '/api/v1/approvals?limit=1000')).filter((a) => a.host === 'pester-1');
      const events = await api<FleetEvent[]>(s, admin, '/api/v1/events?type=approval_requested&host=pester-1&limit=1000');
      return list.length >= 200 && events.length === list.length ? list : undefined;
    });
    expect(stored.length).toBeLessThan(210);
  });

  it('an answer that fails validation is a failure row for its host saying why, not a silent gap', async () => {
    const agent = await connected(s, join, 'garbler-1', { role: 'garbler' });
    const lines = await queryWith(s, admin, 'host | role = "garbler" | load1', agent, (q) => {
      agent.send({ type: 'rows', query: q.id, rows: [{ resource: { type: 'host', id: 'garbler-1', name: 'garbler-1', host: 'garbler-1' }, status: 'error', error: 'e'.repeat(5000), values: {} }] });
      agent.send({ type: 'done', query: q.id });
    });
    const rows = lines.filter((l) => l.type === 'row').map((l) => l.row as ResultRow);
    expect(rows).toEqual([expect.objectContaining({ status: 'error', resource: expect.objectContaining({ host: 'garbler-1' }), error: expect.stringMatching(/^the agent's answer was refused: rows\.0\.error: Too big/) })]);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', failures: 1, agentsAnswered: 0 });
  });

  it('rows beyond its quota fail its answer, and re-hellos spend its event quota', async () => {
    const agent = await connected(s, join, 'chatty-1', { role: 'chatty' });
    const row = (i: number): ResultRow => ({ resource: { type: 'process', id: `chatty-1/${i}`, name: 'x', host: 'chatty-1' }, status: 'ok', values: {} });
    const lines = await queryWith(s, admin, 'host | role = "chatty" | load1', agent, (q) => {
      agent.send({ type: 'rows', query: q.id, rows: Array.from({ length: 1001 }, (_, i) => row(i)) });
      agent.send({ type: 'done', query: q.id });
    });
    const rows = lines.filter((l) => l.type === 'row').map((l) => l.row as ResultRow);
    expect(rows).toEqual([expect.objectContaining({ status: 'error', error: "the agent's answer was refused: rows quota exceeded (at most 1000 rows a minute per agent)" })]);
    expect(await agent.next('error')).toMatchObject({ code: 'BW_ERR_QUOTA' });

    for (let i = 0; i < 250; i++) agent.hello('chatty-1', { role: 'chatty', n: String(i) });
    expect(await agent.next('error')).toMatchObject({ code: 'BW_ERR_QUOTA', message: expect.stringMatching(/^1 events over the quota of 200 a minute/) });
  });

  it('rows it sends about another host fail its own answer', async () => {
    const agent = await connected(s, join, 'spoofer-1', { role: 'spoofer' });
    const lines = await queryWith(s, admin, 'host | role = "spoofer" | load1', agent, (q) => {
      agent.send({ type: 'rows', query: q.id, rows: [{ resource: { type: 'host', id: 'victim-1', name: 'victim-1', host: 'victim-1' }, status: 'ok', values: { load1: 99 } }] });
      agent.send({ type: 'done', query: q.id });
    });
    const rows = lines.filter((l) => l.type === 'row').map((l) => l.row as ResultRow);
    expect(rows).toEqual([expect.objectContaining({ status: 'error', resource: expect.objectContaining({ host: 'spoofer-1' }), error: "the agent's answer was refused: 1 row(s) named a host other than spoofer-1" })]);
  });

  it('cannot ask for approval of a run on another host', async () => {
    const agent = await connected(s, join, 'asker-1');
    agent.send({ type: 'approval', id: 'ap-1', bot: 'ask-first', action: 'mark_approved', resource: 'victim-1', args: {}, expiresSeconds: 600, context: {} });
    expect(await agent.next('error')).toMatchObject({ code: 'BW_ERR_FORBIDDEN', message: 'approval ap-1 refused: resource victim-1 is not on host asker-1' });
    expect((await api<{ host: string }[]>(s, admin, '/api/v1/approvals')).filter((a) => a.host === 'asker-1' || a.host === 'victim-1')).toEqual([]);
  });
});

describe('the log under a flood of bad frames', () => {
  it('says so once a minute per agent, not once per frame', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const { server: s, join } = await server(undefined, {}, { logger });
    const agent = await connected(s, join, 'noisy-1');
    for (let i = 0; i < 200; i++) agent.send(`not json ${i}`);
    for (let i = 0; i < 200; i++) expect(await agent.next('error')).toMatchObject({ code: 'BW_ERR_PROTOCOL' });
    expect(lines.filter((l) => l.includes('bad message from agent'))).toHaveLength(1);
  });
});

describe('tags stored before hellos were checked', () => {
  it('stay out of the inventory after an upgrade', async () => {
    const { server: first, admin, join } = await server();
    const dataDir = first.config.dataDir;
    await enroll(first, join, 'old-1');
    const agent = await first.store.getAgentByName('old-1');
    await first.store.updateAgentState(agent?.id ?? '', { tags: { role: 'web', 'x`touch /tmp/pwned`': 'y' } });
    await first.close();
    const again = await startServer({ port: 0, dataDir, logLevel: 'silent' });
    try {
      const agents = await api<{ name: string; tags: Record<string, string> }[]>(again, admin, '/api/v1/agents');
      expect(agents.find((a) => a.name === 'old-1')?.tags).toEqual({ role: 'web' });
    } finally {
      await again.close();
    }
  });
});

const BOT = `
kind: action
name: note
command: "true"
---
kind: alarm
name: wire
query: host
fire: ok(\`false\`)
---
kind: bot
name: limited
trigger: { alarm: wire }
action: note
cooldown: 0s
circuit_breaker: { max: 4, window: 10m }
`;

describe('circuit-breaker permits', () => {
  it('one agent asking again and again uses its own share, not every host\'s budget; the excess is refused and shows as an event', async () => {
    const { server: s, admin, join } = await server(undefined, { agentQuotas: { permitsPerMinute: 40 } });
    await api(s, admin, '/api/v1/definitions/apply', { files: [{ path: 'bot.yaml', text: BOT }], baseVersion: 0 });
    const greedy = await connected(s, join, 'greedy-1');
    const other = await connected(s, join, 'other-1');

    const answers: Message[] = [];
    for (let i = 0; i < 30; i++) {
      greedy.send({ type: 'permit', id: `p-${i}`, bot: 'limited', resource: 'greedy-1' });
      answers.push(await greedy.next('permit_answer'));
    }
    // Two hosts: one may use half of the budget of 4.
    expect(answers.filter((a) => a.allowed).map((a) => a.id)).toEqual(['p-0', 'p-1']);
    expect(answers.at(-1)?.reason).toBe('host share used: greedy-1 ran limited 2 time(s) in the last 600s; one host may use 2 of the fleet\'s 4');

    other.send({ type: 'permit', id: 'o-1', bot: 'limited', resource: 'other-1' });
    expect(await other.next('permit_answer')).toMatchObject({ id: 'o-1', allowed: true, reason: 'run 3 of 4 in the window' });

    const refused = await until('a permit_refused event', async () => {
      const es = await api<FleetEvent[]>(s, admin, '/api/v1/events?type=permit_refused');
      return es.length ? es : undefined;
    });
    // One event a minute per host and bot, not one per refused request.
    expect(refused).toEqual([expect.objectContaining({ host: 'greedy-1', bot: 'limited', principal: 'breakwater' })]);

    // A permit for another host's resource, and asking beyond the permit quota, are refused too.
    greedy.send({ type: 'permit', id: 'x-1', bot: 'limited', resource: 'other-1' });
    expect(await greedy.next('permit_answer')).toMatchObject({ id: 'x-1', allowed: false, reason: 'resource other-1 is not on host greedy-1' });
    const overQuota: Message[] = [];
    for (let i = 0; i < 15; i++) {
      greedy.send({ type: 'permit', id: `q-${i}`, bot: 'limited', resource: 'greedy-1' });
      overQuota.push(await greedy.next('permit_answer'));
    }
    expect(overQuota.filter((a) => String(a.reason).startsWith('permit quota exceeded')).length).toBeGreaterThan(0);
    expect(await greedy.next('error')).toMatchObject({ code: 'BW_ERR_QUOTA' });
  });
});
