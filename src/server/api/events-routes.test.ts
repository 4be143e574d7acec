import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp } from '../../../test/inject-app.js';
import type { FleetEvent } from '../../protocol/index.js';
import { EventBus } from '../event-bus.js';
import type { EventRecord } from '../store/index.js';
import { eventsRoutes } from './events-routes.js';
import { TokenStreams } from './token-streams.js';

closeAppsAfterEach();

const event = (id: string, time: number, over: Partial<EventRecord> = {}): EventRecord => ({
  id,
  time,
  type: 'alarm_fired',
  host: 'web-1',
  resource: 'web-1:/data',
  alarm: 'disk-full',
  bot: null,
  action: null,
  severity: 'critical',
  runId: null,
  principal: null,
  message: `event ${id}`,
  value: 97,
  details: {},
  ...over,
});

/** A bot's run reports its command's output: shown to operators and admins, not to every viewer. */
const botRan = (id: string, time: number) => event(id, time, { type: 'bot_ran', alarm: null, bot: 'janitor', principal: 'bot:janitor@web-1', details: { exitCode: 0, stdout: 'removed 3 files', stderr: '' } });

function app() {
  const bus = new EventBus();
  const ready = injectApp((store) => eventsRoutes({ store, runOutputVisibility: 'operator', streams: new TokenStreams(pino({ level: 'silent' })), remediation: { bus } }));
  return { bus, ready };
}

describe('GET /api/v1/events', () => {
  it('filters by `text`: a part of the host, alarm, bot or message in any case, beside the exact filters', async () => {
    const { ready } = app();
    const t = await ready;
    await t.store.appendEvents([event('e1', 1000), botRan('e2', 2000), event('e3', 3000, { host: 'db-1', alarm: 'cpu_high', message: 'CPU at 99%' })]);
    const ids = async (query: string) => (await t.call('GET', `/api/v1/events?${query}`, 'viewer')).json.map((e: EventRecord) => e.id);
    expect(await ids('text=WEB')).toEqual(['e2', 'e1']);
    expect(await ids('text=anit')).toEqual(['e2']);
    expect(await ids('text=u_h')).toEqual(['e3']);
    expect(await ids('text=uxh')).toEqual([]);
    expect(await ids('text=99%25')).toEqual(['e3']);
    expect(await ids('text=web&type=alarm_fired')).toEqual(['e1']);
    expect(await ids('host=web')).toEqual([]);
  });

  it('answers any `text` with events or a 400 naming it, never a crash (bounded fuzz)', async () => {
    const { ready } = app();
    const t = await ready;
    await t.store.appendEvents([event('e1', 1000, { message: 'rm -rf /tmp/* 100% _done_ \\' })]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 260 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('%', '_', '\\', '*', "'; drop table events; --")), async (text) => {
        const r = await t.call('GET', `/api/v1/events?${new URLSearchParams({ text })}`, 'viewer');
        if (text.length > 200) expect([r.status, r.json.code, r.json.message]).toEqual([400, 'BW_ERR_INVALID_REQUEST', expect.stringMatching(/^invalid query parameters: text: /)]);
        else {
          expect(r.status).toBe(200);
          for (const e of r.json as EventRecord[]) expect([e.host, e.alarm, e.bot, e.message].some((v) => v?.toLowerCase().includes(text.toLowerCase()))).toBe(true);
        }
      }),
      { numRuns: 60, seed: 13 },
    );
  });

  it('lists events newest first, filtered by type and host, with a bot\'s output hidden from a viewer', async () => {
    const { ready } = app();
    const t = await ready;
    await t.store.appendEvents([event('e1', 1000), botRan('e2', 2000), event('e3', 3000, { host: 'db-1' })]);
    const viewer = await t.call('GET', '/api/v1/events', 'viewer');
    expect(viewer.json.map((e: EventRecord) => e.id)).toEqual(['e3', 'e2', 'e1']);
    expect(viewer.json[1].details).toEqual({ exitCode: 0, outputHidden: true });
    const operator = await t.call('GET', '/api/v1/events?type=bot_ran', 'operator');
    expect(operator.json.map((e: EventRecord) => [e.id, e.details.stdout])).toEqual([['e2', 'removed 3 files']]);
    expect((await t.call('GET', '/api/v1/events?host=web-1&limit=1', 'viewer')).json.map((e: EventRecord) => e.id)).toEqual(['e2']);
  });

  it('refuses a caller without a token (401) and a bad `since` (400) naming it', async () => {
    const { ready } = app();
    const t = await ready;
    expect((await t.call('GET', '/api/v1/events')).status).toBe(401);
    const bad = await t.call('GET', '/api/v1/events?since=yesterday', 'viewer');
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/^invalid query parameters: since: /);
  });
});

describe('GET /api/v1/events/stream', () => {
  it('streams each new event (token in the query), output hidden from a viewer, until the bus closes', async () => {
    const { bus, ready } = app();
    const t = await ready;
    const answer = t.app.inject({ method: 'GET', url: `/api/v1/events/stream?token=${t.tokens.viewer}` });
    await expect.poll(() => bus.size, { timeout: 10_000 }).toBe(1);
    bus.publish([event('e1', 1000), botRan('e2', 2000)] as unknown as FleetEvent[]);
    bus.close();
    const res = await answer;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const messages = res.body.split('\n\n').filter((m) => m.startsWith('id:'));
    expect(messages.map((m) => m.split('\n')[0])).toEqual(['id: e1', 'id: e2']);
    expect(JSON.parse(messages[1]?.split('\ndata: ')[1] ?? '{}').details).toEqual({ exitCode: 0, outputHidden: true });
    expect(bus.size).toBe(0);
  });
});
