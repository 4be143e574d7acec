import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ResultRow } from '../src/protocol/index.js';
import { PROTOCOL_VERSION } from '../src/protocol/index.js';
import type { RunningServer } from '../src/server/index.js';
import { RawAgent, agentStatus, cleanup, enroll, server, until } from './raw-agent.js';

/*
 * The agent protocol as the control plane sees it, from raw WebSocket clients: agents are enrolled
 * through the HTTP API, then speak (or mis-speak) the protocol frame by frame.
 */

afterAll(cleanup);

describe('protocol errors', () => {
  let s: RunningServer;
  let admin: string;
  let join: string;
  beforeAll(async () => {
    ({ server: s, admin, join } = await server());
  });

  it('a frame that is not JSON gets a BW_ERR_PROTOCOL error saying so; the connection stays usable', async () => {
    const agent = await RawAgent.open(s, await enroll(s, join, 'garbled-1'));
    agent.send('hello, is this the control plane?');
    const err = await agent.next();
    expect(err).toMatchObject({ type: 'error', code: 'BW_ERR_PROTOCOL' });
    expect(err.message).toMatch(/^frame is not JSON/);
    // The same connection can still say hello properly.
    agent.hello('garbled-1');
    expect(await agent.next()).toMatchObject({ type: 'welcome', v: PROTOCOL_VERSION });
  });

  it('a frame with an unknown type gets an error naming the field and the known types', async () => {
    const agent = await RawAgent.open(s, await enroll(s, join, 'unknown-type-1'));
    agent.send({ type: 'gossip', text: 'hi' });
    const err = await agent.next();
    expect(err).toMatchObject({ type: 'error', code: 'BW_ERR_PROTOCOL' });
    expect(err.message).toContain('type');
    expect(err.message).toContain('hello');
  });

  it('a message before hello is refused with an error naming both, then the connection is closed', async () => {
    const agent = await RawAgent.open(s, await enroll(s, join, 'eager-1'));
    agent.send({ type: 'heartbeat', time: Date.now(), active: 0, rssBytes: 1000 });
    const err = await agent.next();
    expect(err).toEqual({ type: 'error', code: 'BW_ERR_PROTOCOL', message: 'expected hello first, found heartbeat' });
    expect((await agent.closedWith()).code).toBe(4400);
    expect((await agentStatus(s, admin, 'eager-1'))?.status).toBe('disconnected');
  });

  it('a hello with missing fields gets an error naming each missing field, and no welcome', async () => {
    const agent = await RawAgent.open(s, await enroll(s, join, 'terse-1'));
    agent.send({ type: 'hello', v: PROTOCOL_VERSION });
    const err = await agent.next();
    expect(err).toMatchObject({ type: 'error', code: 'BW_ERR_PROTOCOL' });
    for (const field of ['name', 'facts', 'tags']) expect(err.message).toContain(`${field}:`);
    expect((await agentStatus(s, admin, 'terse-1'))?.status).toBe('disconnected');
    expect(agent.received.filter((m) => m.type === 'welcome')).toEqual([]);
  });

  it('a hello with a bad nested field names its path', async () => {
    const agent = await RawAgent.open(s, await enroll(s, join, 'nested-1'));
    agent.send({ type: 'hello', v: PROTOCOL_VERSION, name: 'nested-1', facts: { hostname: 'nested-1' }, tags: {} });
    const err = await agent.next();
    expect(err.code).toBe('BW_ERR_PROTOCOL');
    expect(err.message).toContain('facts.machineId');
  });

  it('a bad credential gets no socket at all', async () => {
    await expect(RawAgent.open(s, 'bwa_forged')).rejects.toThrow('HTTP 401');
  });

  it('after all that, the server is up and a good agent answers a query', async () => {
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const agent = await RawAgent.open(s, await enroll(s, join, 'good-1'));
    agent.hello('good-1', { role: 'web' });
    const welcome = await agent.next('welcome');
    expect(welcome).toMatchObject({ type: 'welcome', v: PROTOCOL_VERSION, heartbeatMs: 5000 });
    expect(welcome.agentId).toEqual(expect.any(String));
    await until('good-1 connected', async () => ((await agentStatus(s, admin, 'good-1'))?.status === 'connected' ? true : undefined));

    // The query runs while the raw agent answers it.
    const answer = fetch(`${s.url}/api/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ statement: 'host | role = "web" | load1 > 0.1 | load1' }),
    }).then(async (res) => ({ status: res.status, text: await res.text() }));

    const query = await agent.next('query');
    expect(query).toMatchObject({ type: 'query', principal: 'admin', phase: { where: 'agent', resource: 'host' } });
    expect(query.id).toEqual(expect.any(String));
    expect(query.timeoutMs).toBeGreaterThan(0);
    const row: ResultRow = { resource: { type: 'host', id: 'good-1', name: 'good-1', host: 'good-1' }, status: 'ok', values: { load1: 0.42 } };
    agent.send({ type: 'rows', query: query.id, rows: [row] });
    agent.send({ type: 'done', query: query.id });

    const res = await answer;
    expect(res.status).toBe(200);
    const lines = res.text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.type === 'row').map((l) => l.row)).toEqual([row]);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', rows: 1, failures: 0, agentsAsked: 1, agentsAnswered: 1 });
  });

  it('an agent that reports an error in done gives error rows, not a hang', async () => {
    const agent = await RawAgent.open(s, await enroll(s, join, 'sad-1'));
    agent.hello('sad-1', { role: 'sad' });
    await agent.next('welcome');
    const answer = fetch(`${s.url}/api/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ statement: 'host | role = "sad" | load1' }),
    }).then((r) => r.text());
    const query = await agent.next('query');
    agent.send({ type: 'done', query: query.id, error: 'agent cannot run this plan phase: steps.0: bad' });
    const rows = (await answer)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; row?: ResultRow })
      .filter((l) => l.type === 'row');
    expect(rows.map((l) => l.row)).toEqual([{ resource: { type: 'host', id: 'sad-1', name: 'sad-1', host: 'sad-1' }, status: 'error', error: 'agent cannot run this plan phase: steps.0: bad', values: {} }]);
  });
});

describe('heartbeats', () => {
  it('an agent silent for more than three heartbeats after hello is disconnected', async () => {
    const { server: s, admin, join } = await server('200ms');
    const agent = await RawAgent.open(s, await enroll(s, join, 'quiet-1'));
    agent.hello('quiet-1');
    expect(await agent.next('welcome')).toMatchObject({ heartbeatMs: 200 });

    const closed = await agent.closedWith();
    expect(closed.reason).toBe('agent stopped sending heartbeats');
    const status = await until('quiet-1 disconnected', async () => {
      const a = await agentStatus(s, admin, 'quiet-1');
      return a?.status === 'disconnected' ? a : undefined;
    });
    expect(status.lastSeenAt).toEqual(expect.any(Number));
    await until('the store records it', async () => ((await s.store.getAgentByName('quiet-1'))?.status === 'disconnected' ? true : undefined));

    // A query now finds it offline, with when it was last seen.
    const res = await fetch(`${s.url}/api/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ statement: 'host | load1' }) });
    const row = (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; row?: ResultRow })
      .find((l) => l.type === 'row')?.row;
    expect(row).toMatchObject({ status: 'offline' });
    expect(row?.error).toMatch(/^agent offline \(last seen \d{4}-\d\d-\d\dT/);
  });
});
