import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../src/server/index.js';
import { startServer } from '../src/server/index.js';
import { openEventStream } from './helpers.js';

/*
 * GET /api/v1/events/stream on a real control plane: server-sent events of each newly stored event,
 * with the token as a header or (EventSource cannot send headers) as `?token=` on this route only.
 */

let s: RunningServer;
let admin: string;
let viewer: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'bw-sse-'));
  s = await startServer({ port: 0, dataDir, logLevel: 'silent' });
  admin = s.initialAdminToken as string;
  const res = await fetch(`${s.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'viewer', name: 'sse-viewer' }) });
  viewer = ((await res.json()) as { token: string }).token;
}, 30_000);

afterAll(async () => {
  await s?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** An open stream on the test's control plane. */
const open = (path: string, headers: Record<string, string> = {}) => openEventStream(`${s.url}${path}`, headers);

async function apply(text: string): Promise<void> {
  const current = (await (await fetch(`${s.url}/api/v1/definitions`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { version: number };
  const res = await fetch(`${s.url}/api/v1/definitions/apply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ files: [{ path: 'x.yaml', text }], baseVersion: current.version }),
  });
  expect(res.status).toBe(200);
}

describe('GET /api/v1/events/stream', () => {
  it('streams a newly stored event (definitions_applied) as data: <json> with its id, to a ?token= viewer', async () => {
    const stream = await open(`/api/v1/events/stream?token=${encodeURIComponent(viewer)}`);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toContain('text/event-stream');
    expect(stream.res.headers.get('cache-control')).toBe('no-store');
    await stream.waitFor('the first comment', () => (stream.comments.includes('connected') ? true : undefined));
    await apply('kind: action\nname: say_hi\ncommand: echo hi\n');
    const msg = await stream.waitFor('a definitions_applied event', () => stream.messages.find((m) => (JSON.parse(m.data) as { type: string }).type === 'definitions_applied'));
    const event = JSON.parse(msg.data) as { id: string; type: string; principal: string; details: { version: number } };
    expect(event).toMatchObject({ type: 'definitions_applied', principal: 'admin', details: { version: 1 } });
    expect(msg.id).toBe(event.id);
    // The same event is in the stored timeline.
    const stored = (await (await fetch(`${s.url}/api/v1/events?type=definitions_applied`, { headers: { authorization: `Bearer ${viewer}` } })).json()) as { id: string }[];
    expect(stored.map((e) => e.id)).toContain(event.id);
    await stream.close();
  });

  it('takes the token as an Authorization header too; two streams both see the event; a closed one is dropped', async () => {
    const a = await open('/api/v1/events/stream', { authorization: `Bearer ${viewer}` });
    const b = await open('/api/v1/events/stream', { authorization: `Bearer ${admin}` });
    expect([a.res.status, b.res.status]).toEqual([200, 200]);
    await a.waitFor('a connected', () => (a.comments.includes('connected') ? true : undefined));
    await b.waitFor('b connected', () => (b.comments.includes('connected') ? true : undefined));
    await a.close();
    await apply('kind: action\nname: say_hi\ncommand: echo hello\n');
    const msg = await b.waitFor('version 2 applied', () => b.messages.find((m) => (JSON.parse(m.data) as { details: { version?: number } }).details.version === 2));
    expect(JSON.parse(msg.data)).toMatchObject({ type: 'definitions_applied' });
    await b.close();
    // The server still answers after streams went away.
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('without a token, or with a bad one: 401; an agent token: 403', async () => {
    for (const path of ['/api/v1/events/stream', '/api/v1/events/stream?token=bwt_nope']) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('BW_ERR_UNAUTHENTICATED');
    }
    const join = (await (await fetch(`${s.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'agent', name: 'sse-join' }) })).json()) as { token: string };
    expect((await fetch(`${s.url}/api/v1/events/stream?token=${join.token}`)).status).toBe(403);
  });

  it('ends when its token is revoked, and the token opens no new one', async () => {
    const t = (await (await fetch(`${s.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'viewer', name: 'sse-revoked' }) })).json()) as { id: string; token: string };
    const watching = await open(`/api/v1/events/stream?token=${encodeURIComponent(t.token)}`);
    const other = await open(`/api/v1/events/stream?token=${encodeURIComponent(viewer)}`);
    await watching.waitFor('connected', () => (watching.comments.includes('connected') ? true : undefined));
    const res = await fetch(`${s.url}/api/v1/tokens/${t.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    await watching.waitFor('the end of the stream', () => (watching.ended ? true : undefined));
    expect((await fetch(`${s.url}/api/v1/events/stream?token=${encodeURIComponent(t.token)}`)).status).toBe(401);
    // Another token's stream goes on.
    expect(other.ended).toBe(false);
    await other.close();
  });

  it('accepts ?token= on the stream only: other routes still need the header', async () => {
    const res = await fetch(`${s.url}/api/v1/events?token=${encodeURIComponent(viewer)}`);
    expect(res.status).toBe(401);
  });
});
