/*
 * The webhook and PagerDuty channels against a receiver on loopback: what they send (a known
 * signature vector, PagerDuty's shapes), how answers are read, and that no secret leaks into a
 * record's text.
 */
import fc from 'fast-check';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../protocol/index.js';
import { outboundChannels } from './channels.js';
import { retryAfterMs } from './http-post.js';
import { dedupKey, pagerDutyChannel, pagerDutyEvent, refusalText } from './pagerduty.js';
import { sign, signatureProblem } from './signature.js';
import { displayUrl, webhookChannel } from './webhook.js';

const event = (over: Partial<FleetEvent> = {}): FleetEvent => ({ id: 'ev-1', time: Date.UTC(2026, 0, 2, 3, 4, 5), type: 'alarm_fired', host: 'web-1', resource: 'web-1:/data', alarm: 'disk-full', bot: null, action: null, severity: 'critical', runId: null, principal: null, message: 'disk at 95%', value: 95, details: {}, ...over });
const SEVERITY = { info: 'info', warning: 'warning', critical: 'critical' } as const;

interface Seen {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}
let server: Server;
let base = '';
const seen: Seen[] = [];
/** What the receiver answers next: [status, body, headers]. */
const answers: [number, string, Record<string, string>?][] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      const [status, text, headers] = answers.shift() ?? [202, '{"status":"success"}'];
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const signal = () => AbortSignal.timeout(5000);

describe('webhook channel', () => {
  it('signs `<timestamp>.<body>` with HMAC-SHA256: a known vector', () => {
    // printf '%s' '1700000000.{"integration":"ops-hook","event":{}}' | openssl dgst -sha256 -hmac whsec_test
    expect(sign('whsec_test', 1_700_000_000, '{"integration":"ops-hook","event":{}}')).toBe('v1=632e5a5c40981959d097f73d3c6e8c6c841f32f6bc03a21019baab1e57cdbd9a');
  });

  it('posts the event signed, with its id as the delivery id; the receiver can verify it', async () => {
    const ch = webhookChannel({ name: 'ops-hook', url: `${base}/hook?token=abc`, events: ['fired', 'approval_decided'], secret: 'whsec_test', secretName: 'hook-key', nowSeconds: () => 1_700_000_000 });
    expect(ch.target).toBe(`${base}/hook`);
    expect([ch.wants(event()), ch.wants(event({ type: 'denied' })), ch.wants(event({ type: 'alarm_cleared' })), ch.wants(event({ details: { silenced: 's1' } }))]).toEqual([true, true, false, false]);
    seen.length = 0;
    expect(await ch.deliver(event(), signal())).toEqual({ ok: true, status: 202 });
    const got = seen[0]!;
    expect(JSON.parse(got.body)).toEqual({ integration: 'ops-hook', event: event() });
    expect(got.headers['x-breakwater-timestamp']).toBe('1700000000');
    expect(got.headers['x-breakwater-delivery']).toBe('ev-1');
    expect(signatureProblem('whsec_test', '1700000000', got.headers['x-breakwater-signature'] as string, got.body, 1_700_000_000_000)).toBeUndefined();
    expect(signatureProblem('other', '1700000000', got.headers['x-breakwater-signature'] as string, got.body, 1_700_000_000_000)).toMatch(/does not match/);
  });

  it('reads answers: 5xx and 429 retried (Retry-After kept), other 4xx and redirects not', async () => {
    const ch = webhookChannel({ name: 'h', url: `${base}/hook`, events: ['fired'], secret: 's', secretName: 'k' });
    answers.push([503, ''], [429, '', { 'retry-after': '7' }], [404, 'no'], [302, '', { location: 'http://example.com/' }]);
    expect(await ch.deliver(event(), signal())).toEqual({ ok: false, retry: true, error: 'HTTP 503', status: 503 });
    expect(await ch.deliver(event(), signal())).toEqual({ ok: false, retry: true, error: 'HTTP 429', status: 429, retryAfterMs: 7000 });
    expect(await ch.deliver(event(), signal())).toEqual({ ok: false, retry: false, error: 'HTTP 404', status: 404 });
    expect(await ch.deliver(event(), signal())).toMatchObject({ ok: false, retry: false, status: 302, error: expect.stringMatching(/redirects are not followed/) });
  });

  it('an unreachable receiver is retryable and named by its cause; an unset secret is not retried', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const dead = webhookChannel({ name: 'h', url: `http://127.0.0.1:${port}/hook`, events: ['fired'], secret: 's', secretName: 'k' });
    expect(await dead.deliver(event(), signal())).toEqual({ ok: false, retry: true, error: 'unreachable: ECONNREFUSED' });
    const unset = webhookChannel({ name: 'h', url: `${base}/hook`, events: ['fired'], secret: undefined, secretName: 'hook-key' });
    expect(await unset.deliver(event(), signal())).toEqual({ ok: false, retry: false, error: 'the signing secret `hook-key` is not set: set it with `breakwater secret set hook-key`' });
  });

  it('shows URLs without query strings or credentials', () => {
    expect(displayUrl('https://u:p@hooks.example.com:8443/a/b?key=SECRET#x')).toBe('https://hooks.example.com:8443/a/b');
    expect(displayUrl('not a url')).toBe('(not a URL)');
    expect([retryAfterMs('12'), retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT'), retryAfterMs(null), retryAfterMs('-1')]).toEqual([12_000, undefined, undefined, undefined]);
  });
});

describe('PagerDuty channel', () => {
  it('triggers on fired and escalated, resolves on cleared, one dedup key for the three', () => {
    const map = { info: 'info', warning: 'warning', critical: 'error' } as const;
    expect(pagerDutyEvent(event(), 'RKEY', map)).toEqual({
      routing_key: 'RKEY',
      event_action: 'trigger',
      dedup_key: 'breakwater/disk-full/web-1:/data',
      payload: { summary: 'disk at 95%', source: 'web-1', severity: 'error', timestamp: '2026-01-02T03:04:05.000Z', component: 'disk-full', group: 'web-1', class: 'alarm_fired', custom_details: { resource: 'web-1:/data', value: 95, severity: 'critical', escalated: false, breakwater_event: 'ev-1' } },
      client: 'Breakwater',
    });
    expect(pagerDutyEvent(event({ type: 'escalated' }), 'RKEY', map)).toMatchObject({ event_action: 'trigger', dedup_key: 'breakwater/disk-full/web-1:/data', payload: { class: 'escalated', custom_details: { escalated: true } } });
    expect(pagerDutyEvent(event({ type: 'alarm_cleared' }), 'RKEY', map)).toEqual({ routing_key: 'RKEY', event_action: 'resolve', dedup_key: 'breakwater/disk-full/web-1:/data' });
    // Unknown severities: PagerDuty's own names pass, anything else is `error`.
    expect(pagerDutyEvent(event({ severity: 'error' }), 'K', SEVERITY)).toMatchObject({ payload: { severity: 'error' } });
    expect(pagerDutyEvent(event({ severity: null }), 'K', SEVERITY)).toMatchObject({ payload: { severity: 'error' } });
  });

  it('keeps dedup keys within 255 characters; no resource falls back to the host', () => {
    expect(dedupKey({ alarm: 'a', resource: null, host: 'web-1' })).toBe('breakwater/a/web-1');
    const long = dedupKey({ alarm: 'a', resource: 'x'.repeat(512), host: null });
    expect(long).toMatch(/^breakwater\/sha256\/[0-9a-f]{64}$/);
    expect(dedupKey({ alarm: 'a', resource: 'x'.repeat(512), host: null })).toBe(long);
  });

  it('wants alarm events only; a 400 is not retried and keeps PagerDuty\'s message without the routing key', async () => {
    const ch = pagerDutyChannel({ name: 'pd', routingKey: 'R0UTINGKEY', secretName: 'pd-key', severity: SEVERITY, url: `${base}/v2/enqueue` });
    expect([ch.wants(event()), ch.wants(event({ type: 'bot_ran' })), ch.wants(event({ alarm: null }))]).toEqual([true, false, false]);
    seen.length = 0;
    expect(await ch.deliver(event(), signal())).toEqual({ ok: true, status: 202 });
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ routing_key: 'R0UTINGKEY', event_action: 'trigger' });
    answers.push([400, JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ["'routing_key' R0UTINGKEY is invalid"] })], [500, 'oops']);
    const refused = await ch.deliver(event(), signal());
    expect(refused).toEqual({ ok: false, retry: false, status: 400, error: "PagerDuty answered HTTP 400: Event object is invalid; 'routing_key' <routing key> is invalid" });
    expect(await ch.deliver(event(), signal())).toEqual({ ok: false, retry: true, status: 500, error: 'PagerDuty answered HTTP 500' });
  });
});

describe('outboundChannels', () => {
  it('builds one channel per webhook, pagerduty and posting slack integration, secrets read by name', () => {
    const defs = [
      { kind: 'integration', name: 'hook', type: 'webhook', url: 'https://h.example.com/x', events: ['fired'], signingSecret: 'hk' },
      { kind: 'integration', name: 'pd', type: 'pagerduty', routingKey: 'pk', severity: SEVERITY },
      { kind: 'integration', name: 'am', type: 'alertmanager', triggerLabel: 'alertname', targets: [] },
      { kind: 'integration', name: 'chat', type: 'slack', botToken: 'st', channel: '#ops', users: {}, unmapped: 'refuse' },
      { kind: 'integration', name: 'chat-hook', type: 'slack', webhookUrl: 'sw', users: {}, unmapped: 'refuse' },
      { kind: 'integration', name: 'commands-only', type: 'slack', signingSecret: 'ss', users: {}, unmapped: 'refuse' },
    ] as never;
    const channels = outboundChannels(defs, (n) => ({ hk: 'x', st: 'xoxb-1' })[n], { pagerdutyUrl: `${base}/v2/enqueue`, webUrl: 'https://bw.example.com' });
    expect(channels.map((c) => [c.type, c.name, c.target])).toEqual([
      ['webhook', 'hook', 'https://h.example.com/x'],
      ['pagerduty', 'pd', `${base}/v2/enqueue`],
      ['slack', 'chat', 'slack chat.postMessage to #ops'],
      // Its secret has no value yet: the channel is there, and each delivery fails saying which secret to set.
      ['slack', 'chat-hook', 'slack (no value for its secret)'],
    ]);
  });
});

describe('receivers\' answers are hostile input', () => {
  it('any answer body or Retry-After reads as bounded text or nothing, never a throw (bounded fuzz)', () => {
    const json = fc.json({ maxDepth: 3 });
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.oneof(json, fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 }), fc.constant(JSON.stringify({ message: 'x'.repeat(10_000), errors: Array(50).fill('e') }))), (status, answer) => {
        const text = refusalText(status, answer);
        expect(text.startsWith(`PagerDuty answered HTTP ${status}`)).toBe(true);
        expect(text.length).toBeLessThanOrEqual(40 + answer.length);
      }),
      { numRuns: 300, seed: 15 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('0', '999999', '1000000', ' 5 ', '1e3', '-0')), (header) => {
        const ms = retryAfterMs(header);
        if (ms !== undefined) expect(Number.isInteger(ms) && ms >= 0 && ms <= 999_999_000).toBe(true);
      }),
      { numRuns: 300, seed: 15 },
    );
  });
});
