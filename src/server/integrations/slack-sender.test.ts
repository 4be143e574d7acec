import { afterEach, describe, expect, it } from 'vitest';
import type { ScriptedAnswer, SlackReceiver } from '../../../test/slack-receiver.js';
import { slackReceiver } from '../../../test/slack-receiver.js';
import { SlackSender, noticeMessage, retryAfter } from './index.js';

/*
 * The sender against a real HTTP receiver on loopback playing Slack: an incoming webhook and
 * chat.postMessage, answers scripted per request (429 with Retry-After, Slack's `ok: false`).
 * Waits between tries go through `sleep`, recorded instead of slept.
 */

const servers: SlackReceiver[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function receiver(answers: readonly ScriptedAnswer[]): Promise<SlackReceiver> {
  const r = await slackReceiver(answers);
  servers.push(r);
  return r;
}

const waits: number[] = [];
const sleep = async (ms: number) => void waits.push(ms);
afterEach(() => void waits.splice(0));

describe('SlackSender', () => {
  it('posts the message as JSON to an incoming webhook', async () => {
    const r = await receiver([{ status: 200, body: 'ok' }]);
    const d = await new SlackSender({ webhookUrl: `${r.url}/services/T1/B2/xyz` }, { sleep }).send(noticeMessage('hello', false));
    expect(d).toEqual({ ok: true, attempts: 1 });
    expect(r.seen).toHaveLength(1);
    expect(r.seen[0]).toMatchObject({ path: '/services/T1/B2/xyz', body: { text: 'hello', response_type: 'in_channel', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }] } });
    expect(r.seen[0]?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('posts to chat.postMessage with the bot token as bearer and the channel in the body', async () => {
    const r = await receiver([{ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true,"ts":"1.2"}' }]);
    const d = await new SlackSender({ botToken: 'xoxb-test-token', channel: '#ops', apiUrl: `${r.url}/api` }, { sleep }).send(noticeMessage('hi'));
    expect(d).toEqual({ ok: true, attempts: 1 });
    expect(r.seen[0]?.path).toBe('/api/chat.postMessage');
    expect(r.seen[0]?.headers.authorization).toBe('Bearer xoxb-test-token');
    expect(r.seen[0]?.body).toMatchObject({ channel: '#ops', text: 'hi' });
  });

  it('waits out a 429 as its Retry-After says, then delivers', async () => {
    const r = await receiver([
      { status: 429, headers: { 'retry-after': '3' }, body: 'rate_limited' },
      { status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' },
      { status: 200, body: 'ok' },
    ]);
    const d = await new SlackSender({ webhookUrl: r.url }, { sleep }).send(noticeMessage('x'));
    expect(d).toEqual({ ok: true, attempts: 3 });
    expect(waits).toEqual([3000, 1000]);
    expect(r.seen).toHaveLength(3);
  });

  it('gives up after its tries, or at once when Retry-After is longer than it waits', async () => {
    const busy = await receiver([{ status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' }]);
    expect(await new SlackSender({ webhookUrl: busy.url }, { sleep, attempts: 2 }).send(noticeMessage('x'))).toEqual({ ok: false, attempts: 2, status: 429, retryAfterMs: 2000, error: 'Slack answered 429: rate_limited' });
    expect(busy.seen).toHaveLength(2);
    const slow = await receiver([{ status: 429, headers: { 'retry-after': '3600' }, body: 'rate_limited' }]);
    const d = await new SlackSender({ webhookUrl: slow.url }, { sleep, maxRetryAfterMs: 60_000 }).send(noticeMessage('x'));
    expect(d).toMatchObject({ ok: false, attempts: 1, status: 429 });
    expect(d.ok ? '' : d.error).toContain('Retry-After 3600s is longer than waited for');
    expect(slow.seen).toHaveLength(1);
  });

  it("reports Slack's refusals without retrying: a 4xx text, and the Web API's ok: false", async () => {
    const hook = await receiver([{ status: 404, body: 'no_service' }]);
    expect(await new SlackSender({ webhookUrl: hook.url }, { sleep }).send(noticeMessage('x'))).toEqual({ ok: false, attempts: 1, status: 404, error: 'Slack answered 404: no_service' });
    const api = await receiver([{ status: 200, body: '{"ok":false,"error":"channel_not_found"}' }]);
    expect(await new SlackSender({ botToken: 'xoxb-1', channel: 'C1', apiUrl: api.url }, { sleep }).send(noticeMessage('x'))).toEqual({ ok: false, attempts: 1, status: 200, error: 'Slack refused the message: channel_not_found' });
    expect(waits).toEqual([]);
  });

  it('says Slack could not be reached without naming the URL or the token', async () => {
    const r = await receiver([{ status: 200, body: 'ok' }]);
    const url = `${r.url}/services/SECRETPATH`;
    await servers.pop()?.close();
    const d = await new SlackSender({ webhookUrl: url }, { sleep }).send(noticeMessage('x'));
    expect(d).toMatchObject({ ok: false, status: null });
    expect(JSON.stringify(d)).not.toContain('SECRETPATH');
    expect(d.ok ? '' : d.error).toMatch(/^could not reach Slack: /);
  });
});

describe('retryAfter', () => {
  it('reads seconds; missing or unreadable is one second', () => {
    expect(retryAfter('30')).toBe(30_000);
    expect(retryAfter(' 0.5 ')).toBe(500);
    expect(retryAfter(null)).toBe(1000);
    expect(retryAfter('soon')).toBe(1000);
    expect(retryAfter('-1')).toBe(1000);
  });
});
