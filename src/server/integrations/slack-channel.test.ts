import { afterEach, describe, expect, it } from 'vitest';
import type { SlackReceiver } from '../../../test/slack-receiver.js';
import { slackReceiver } from '../../../test/slack-receiver.js';
import type { FleetEvent } from '../../protocol/index.js';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { runbookLink, slackChannel } from './index.js';

/* The Slack channel of the delivery engine, one attempt each, against a loopback receiver playing Slack. */

let receiver: SlackReceiver | undefined;
afterEach(async () => receiver?.close());

const WEB = 'https://bw.example.com';
const event = (over: Partial<FleetEvent>): FleetEvent => ({
  id: 'e1', time: 0, type: 'alarm_fired', host: 'web-1', resource: 'web-1', alarm: 'disk-full', bot: null, action: null,
  severity: 'warning', runId: null, principal: null, message: 'disk full', value: 95, details: {}, ...over,
});

describe('slackChannel', () => {
  it('wants alarms and approval requests, and posts them as Block Kit messages', async () => {
    receiver = await slackReceiver();
    const c = slackChannel({ name: 'ops-chat', target: { webhookUrl: `${receiver.url}/hook` }, secretName: 'slack-hook', webUrl: WEB, runbookUrl: (e) => `https://wiki/${e.alarm}` });
    expect(c).toMatchObject({ type: 'slack', name: 'ops-chat', target: 'slack incoming webhook' });
    expect(['alarm_fired', 'alarm_cleared', 'escalated', 'approval_requested', 'bot_ran'].map((type) => c.wants(event({ type: type as FleetEvent['type'] })))).toEqual([true, true, true, true, false]);
    expect(await c.deliver(event({}), AbortSignal.timeout(5000))).toEqual({ ok: true });
    expect(receiver.seen[0]?.body.text).toBe('🔴 Alarm disk-full fired on web-1');
    expect(JSON.stringify(receiver.seen[0]?.body.blocks)).toContain('<https://wiki/disk-full|Runbook>');
    await c.deliver(event({ type: 'approval_requested', alarm: null, bot: 'ask-first', action: 'mark_approved', details: { approval: 'ap-7', statement: 'host | mark_approved()' } }), AbortSignal.timeout(5000));
    const buttons = receiver.seen[1]?.body.blocks.find((b: { type: string }) => b.type === 'actions').elements;
    expect(buttons.map((b: { action_id: string; value: string }) => [b.action_id, b.value])).toEqual([['bw_approve', 'ap-7'], ['bw_deny', 'ap-7']]);
  });

  it('makes one attempt: a 429 is a retryable failure carrying Retry-After for the engine; a 404 is final', async () => {
    receiver = await slackReceiver([{ status: 429, headers: { 'retry-after': '7' }, body: 'rate_limited' }, { status: 404, body: 'no_service' }]);
    const c = slackChannel({ name: 'ops-chat', target: { webhookUrl: receiver.url }, secretName: 'slack-hook', webUrl: WEB });
    expect(await c.deliver(event({}), AbortSignal.timeout(5000))).toEqual({ ok: false, retry: true, status: 429, retryAfterMs: 7000, error: 'Slack answered 429: rate_limited' });
    expect(receiver.seen).toHaveLength(1);
    expect(await c.deliver(event({}), AbortSignal.timeout(5000))).toEqual({ ok: false, retry: false, status: 404, error: 'Slack answered 404: no_service' });
  });

  it('a secret with no value fails each attempt for good, naming the secret (never a value)', async () => {
    const c = slackChannel({ name: 'ops-chat', target: undefined, secretName: 'slack-bot-token', webUrl: WEB });
    expect(c.target).toBe('slack (no value for its secret)');
    expect(await c.deliver(event({}), AbortSignal.timeout(5000))).toEqual({ ok: false, retry: false, error: 'secret `slack-bot-token` has no value: set it with `breakwater secret set slack-bot-token`' });
  });

  it('links an alarm\'s runbook: a URL as it is, a stored runbook to the Runbooks page with the host', () => {
    const { definitions, diagnostics } = parseDefinitions([{ path: 'a.yaml', text: 'kind: alarm\nname: disk-full\nquery: host\nfire: disk_usage > 90\nrunbook: disk-cleanup\n---\nkind: alarm\nname: cpu\nquery: host\nfire: cpu_usage > 90\nrunbook: https://wiki.example.com/cpu\n---\nkind: alarm\nname: load\nquery: host\nfire: load1 > 90\n' }], BUILTIN_CATALOGUE);
    expect(diagnostics).toEqual([]);
    const link = runbookLink(definitions, WEB);
    expect(link(event({}))).toBe('https://bw.example.com/runbooks?runbook=disk-cleanup&alarm=disk-full&host=web-1');
    expect(link(event({ alarm: 'cpu' }))).toBe('https://wiki.example.com/cpu');
    expect(link(event({ alarm: 'load' }))).toBeUndefined();
    expect(link(event({ alarm: 'gone' }))).toBeUndefined();
  });
});
