import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import type { ResultRow } from '../src/protocol/index.js';
import { openEventStream } from './helpers.js';

/*
 * GET /api/v1/query/live on a real lab (control plane and two real agent processes): a read-only
 * pipeline re-run on the control plane at an interval, each answer pushed as a server-sent event.
 */

let lab: Lab;
let viewer: { id: string; token: string };

beforeAll(async () => {
  lab = await startLab({ hosts: 2, appPortBase: 28580 });
  viewer = await lab.api<{ id: string; token: string }>('/api/v1/tokens', { role: 'viewer', name: 'live-viewer' });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

const live = (q: string, every: string | undefined, token: string | undefined) => {
  const params = new URLSearchParams({ q, ...(every ? { every } : {}), ...(token ? { token } : {}) });
  return `${lab.server}/api/v1/query/live?${params.toString()}`;
};

interface Result {
  readonly type: 'result';
  readonly time: number;
  readonly rows: ResultRow[];
  readonly failures: ResultRow[];
  readonly agentsAsked: number;
  readonly agentsAnswered: number;
}

/** A refused request: its status and JSON error. */
async function refused(url: string): Promise<{ status: number; code: string; message: string }> {
  const res = await lab.fetch(url);
  const body = (await res.json()) as { code: string; message: string };
  return { status: res.status, code: body.code, message: body.message };
}

describe('GET /api/v1/query/live', () => {
  it('pushes the answer of a metric pipeline again and again, to a viewer with ?token=', async () => {
    const stream = await openEventStream(live('host | cpu_usage | mem_usage', '1s', viewer.token), {}, lab.fetch);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toContain('text/event-stream');
    const results = () => stream.messages.map((m) => JSON.parse(m.data) as Result);
    await stream.waitFor('three answers', () => (results().length >= 3 ? true : undefined), 20_000);
    for (const r of results().slice(0, 3)) {
      expect(r.type).toBe('result');
      expect(r.rows.map((row) => row.resource?.name).sort()).toEqual(lab.hosts.map((h) => h.name).sort());
      expect(r.rows.every((row) => typeof row.values.mem_usage === 'number')).toBe(true);
      expect(r).toMatchObject({ failures: [], agentsAsked: 2, agentsAnswered: 2 });
    }
    // Each is a new evaluation, not the same answer repeated.
    const times = results().map((r) => r.time);
    expect(new Set(times).size).toBe(times.length);
    await stream.close();
  }, 30_000);

  it('refuses a pipeline with a shell command, even for an admin: 400 saying why', async () => {
    for (const [q, command] of [
      ['host | `uptime`', '`uptime`'],
      ['host | ok(`true`) | cpu_usage', '`true`'],
    ] as const) {
      const r = await refused(live(q, '2s', lab.token));
      expect(r).toEqual({ status: 400, code: 'BW_ERR_INVALID_REQUEST', message: `a live query only reads, and this statement runs shell commands (${command}); run it once with POST /api/v1/query (\`breakwater run\`) instead` });
    }
  });

  it('refuses a pipeline with an action', async () => {
    const current = await lab.api<{ version: number }>('/api/v1/definitions');
    await lab.api('/api/v1/definitions/apply', { files: [{ path: 'a.yaml', text: 'kind: action\nname: say_hi\ncommand: echo hi\n' }], baseVersion: current.version });
    const r = await refused(live('host | say_hi()', '2s', lab.token));
    expect(r).toMatchObject({ status: 400, code: 'BW_ERR_INVALID_REQUEST' });
    expect(r.message).toContain('runs actions (say_hi)');
  });

  it('refuses an invalid pipeline with its diagnostic', async () => {
    const r = await refused(live('host | cpu_usge > 1', '2s', viewer.token));
    expect(r.status).toBe(400);
    expect(r.code).toBe('BW_ERR_INVALID_STATEMENT');
    expect(r.message).toContain('cpu_usge');
  });

  it('refuses no token or a bad one (401) and an agent token (403)', async () => {
    expect(await refused(live('host', '2s', undefined))).toMatchObject({ status: 401, code: 'BW_ERR_UNAUTHENTICATED' });
    expect(await refused(live('host', '2s', 'bwt_not-a-real-token'))).toEqual({ status: 401, code: 'BW_ERR_UNAUTHENTICATED', message: 'the token is unknown, expired or revoked' });
    expect(await refused(live('host', '2s', lab.joinToken))).toMatchObject({ status: 403, code: 'BW_ERR_FORBIDDEN' });
  });

  it('refuses an interval out of 1s..60s, or one that is not a duration, naming the parameter', async () => {
    for (const every of ['500ms', '2m', '0s']) {
      expect(await refused(live('host', every, viewer.token))).toEqual({ status: 400, code: 'BW_ERR_INVALID_REQUEST', message: `invalid query parameters: every: expected an interval from 1s to 60s, found ${every}` });
    }
    expect((await refused(live('host', 'often', viewer.token))).message).toBe('invalid query parameters: every: expected a duration such as 2s or 1m, found "often"');
    expect((await refused(`${lab.server}/api/v1/query/live?token=${viewer.token}`)).message).toMatch(/^invalid query parameters: q: /);
  });

  it('holds at most 12 streams per token; a closed one frees its place', async () => {
    const { token } = await lab.api<{ token: string }>('/api/v1/tokens', { role: 'viewer', name: 'live-many' });
    const streams = await Promise.all(Array.from({ length: 12 }, () => openEventStream(live('host', '60s', token), {}, lab.fetch)));
    expect(streams.map((s) => s.res.status)).toEqual(Array(12).fill(200));
    const extra = await refused(live('host', '60s', token));
    expect(extra).toMatchObject({ status: 429, code: 'BW_ERR_TOO_MANY_REQUESTS' });
    expect(extra.message).toContain('has 12 live queries open, the most allowed');
    // Another token is not affected.
    const other = await openEventStream(live('host', '60s', viewer.token), {}, lab.fetch);
    expect(other.res.status).toBe(200);
    await other.close();
    // The server stops a stream's work when its client goes: then a new one fits (once it noticed).
    await streams.pop()?.close();
    const deadline = Date.now() + 10_000;
    let again = await openEventStream(live('host', '60s', token), {}, lab.fetch);
    while (again.res.status === 429 && Date.now() < deadline) {
      await again.close();
      await new Promise((r) => setTimeout(r, 100));
      again = await openEventStream(live('host', '60s', token), {}, lab.fetch);
    }
    expect(again.res.status).toBe(200);
    for (const s of [...streams, again]) await s.close();
  }, 30_000);

  it('ends the streams of a token when it is revoked', async () => {
    const t = await lab.api<{ id: string; token: string }>('/api/v1/tokens', { role: 'viewer', name: 'live-revoked' });
    const stream = await openEventStream(live('host', '1s', t.token), {}, lab.fetch);
    await stream.waitFor('an answer', () => stream.messages[0]);
    const res = await lab.fetch(`/api/v1/tokens/${t.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${lab.token}` } });
    expect(res.status).toBe(200);
    await stream.waitFor('the end of the stream', () => (stream.ended ? true : undefined));
    expect((await refused(live('host', '1s', t.token))).status).toBe(401);
  }, 30_000);
});
