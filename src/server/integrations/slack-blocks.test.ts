import { describe, expect, it } from 'vitest';
import type { Approval, FleetEvent, ResultRow } from '../../protocol/index.js';
import { SLACK_MAX_BLOCKS, SLACK_MAX_SECTION_CHARS, alarmMessage, approvalMessage, confirmMessage, decisionMessage, mrkdwnEscape, runMessage, section } from './index.js';
import type { SlackBlock, SlackMessage } from './index.js';

const WEB = 'https://bw.example.com';

const event = (over: Partial<FleetEvent>): FleetEvent => ({
  id: 'e1', time: 1_770_000_000_000, type: 'alarm_fired', host: 'web-1', resource: 'web-1', alarm: 'disk-full', bot: null, action: null,
  severity: 'critical', runId: null, principal: null, message: 'disk_usage{mount="/data"} > 90 on web-1', value: 93.5, details: {}, ...over,
});

const host = (name: string, values: Record<string, unknown>, status: ResultRow['status'] = 'ok', error?: string): ResultRow =>
  ({ resource: { type: 'host', id: name, name, host: name }, values, status, ...(error ? { error } : {}) }) as ResultRow;

/** Every limit Slack puts on a message, checked on any message built here. */
function withinLimits(m: SlackMessage): void {
  expect(m.blocks.length).toBeLessThanOrEqual(SLACK_MAX_BLOCKS);
  for (const b of m.blocks) {
    const text = (b as { text?: { text?: string } }).text?.text;
    if (text !== undefined) expect(text.length).toBeLessThanOrEqual(SLACK_MAX_SECTION_CHARS);
  }
}

const texts = (blocks: readonly SlackBlock[]) => JSON.stringify(blocks);

describe('alarmMessage', () => {
  it('fired, cleared and escalated: what, where, the value, links to the web UI and the runbook', () => {
    const fired = alarmMessage(event({}) as FleetEvent & { type: 'alarm_fired' }, { webUrl: WEB, runbookUrl: 'https://wiki.example.com/disk' });
    expect(fired.text).toBe('🔴 Alarm disk-full fired on web-1');
    expect(fired.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*🔴 Alarm disk-full fired on web-1*\ndisk_usage{mount="/data"} &gt; 90 on web-1' } });
    expect(fired.blocks[1]).toEqual({ type: 'section', fields: [{ type: 'mrkdwn', text: '*Host*\nweb-1' }, { type: 'mrkdwn', text: '*Value*\n93.5' }, { type: 'mrkdwn', text: '*Severity*\ncritical' }] });
    expect(fired.blocks[2]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '<https://bw.example.com/events|Open in Breakwater>  ·  <https://wiki.example.com/disk|Runbook>' }] });
    expect(alarmMessage(event({ type: 'alarm_cleared', value: null }) as FleetEvent & { type: 'alarm_cleared' }, { webUrl: WEB }).text).toBe('🟢 Alarm disk-full cleared on web-1');
    const escalated = alarmMessage(event({ type: 'escalated' }) as FleetEvent & { type: 'escalated' }, { webUrl: WEB });
    expect(escalated.text).toBe('🟠 Alarm disk-full escalated on web-1');
    expect(texts(escalated.blocks)).not.toContain('Runbook');
  });

  it('escapes what Slack would read as a mention or a link', () => {
    const m = alarmMessage(event({ message: '<!channel> & <https://evil|click>' }) as FleetEvent & { type: 'alarm_fired' }, { webUrl: WEB });
    expect(texts(m.blocks)).toContain('&lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
    expect(mrkdwnEscape('<@U1>')).toBe('&lt;@U1&gt;');
  });
});

describe('approvalMessage and decisionMessage', () => {
  const approval: Approval = { id: 'ap-1', createdAt: 0, expiresAt: 1_770_000_600_000, bot: 'ask-first', action: 'mark_approved', host: 'web-1', resource: 'web-1', statement: 'host | name = "web-1" | mark_approved()', details: {}, status: 'pending', decidedBy: null, decidedAt: null, runId: null };

  it('carries Approve and Deny buttons whose value is the approval id', () => {
    const m = approvalMessage(approval, { webUrl: WEB });
    expect(m.text).toBe('Bot ask-first asks to run mark_approved on web-1');
    const actions = m.blocks.find((b) => b.type === 'actions') as { block_id: string; elements: { action_id: string; value: string; style: string; text: { text: string } }[] };
    expect(actions.block_id).toBe('approval:ap-1');
    expect(actions.elements.map((e) => [e.text.text, e.action_id, e.value, e.style])).toEqual([
      ['Approve', 'bw_approve', 'ap-1', 'primary'],
      ['Deny', 'bw_deny', 'ap-1', 'danger'],
    ]);
    expect(texts(m.blocks)).toContain('```host | name = \\"web-1\\" | mark_approved()```');
    withinLimits(m);
  });

  it('a decision replaces the request, naming who decided and linking the run', () => {
    const m = decisionMessage(approval, 'approved', 'alice', `${WEB}/runs/r1`);
    expect(m.replace_original).toBe(true);
    expect(m.blocks).toEqual([section("✅ alice approved bot ask-first's run of mark_approved on web-1  <https://bw.example.com/runs/r1|the run>")]);
    expect(decisionMessage(approval, 'denied', 'bob').text).toBe("⛔ bob denied bot ask-first's run of mark_approved on web-1");
  });
});

describe('confirmMessage', () => {
  it('offers a button that runs the statement confirmed; a statement too long for a button gets none', () => {
    const m = confirmMessage('host | `uptime`', 12, 10);
    expect(m.response_type).toBe('ephemeral');
    expect(m.text).toBe('This would run on 12 resources, more than the 10 allowed without confirmation; nothing ran.');
    expect(m.blocks[1]).toEqual({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Run on 12' }, action_id: 'bw_confirm_run', value: 'host | `uptime`', style: 'danger' }] });
    const long = confirmMessage(`host | \`${'x'.repeat(2100)}\``, 12, 10);
    expect(long.blocks.some((b) => b.type === 'actions')).toBe(false);
    withinLimits(long);
  });
});

describe('runMessage', () => {
  it('groups identical outputs as the CLI does, largest group first, failures by reason', () => {
    const rows = [host('web-2', { exit_code: 0, stdout: 'ok\n', stderr: '' }), host('web-1', { exit_code: 0, stdout: 'ok\n', stderr: '' }), host('db-1', { exit_code: 1, stdout: '', stderr: 'no\n' }), host('web-3', {}, 'timeout', 'no answer in 30s')];
    const m = runMessage({ statement: 'host | `check`', rows, columns: [], targets: 4, failed: 2, durationMs: 1234, runUrl: `${WEB}/runs/r1` });
    expect(m.response_type).toBe('in_channel');
    expect(m.text).toBe('⚠️ `host | `check``: 4 rows from 4 targets, 2 failed, 1.2s');
    const sections = m.blocks.filter((b) => b.type === 'section').map((b) => (b as { text: { text: string } }).text.text);
    expect(sections.slice(1)).toEqual(['*2 hosts* (web-1, web-2) exit 0:\n```ok```', '*1 host* (db-1) exit 1:\nstderr:\n```no```', '✗ *1 host timeout* (web-3): no answer in 30s']);
    expect(m.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '<https://bw.example.com/runs/r1|Open the run in Breakwater>' }] });
  });

  it('shows other rows as their values, with units', () => {
    const rows = [host('web-1', { disk_usage: 93.456, mem_available_bytes: 2 * 1024 ** 3 })];
    const m = runMessage({ statement: 'host', rows, columns: [{ name: 'disk_usage', type: 'number', unit: 'percent' }, { name: 'mem_available_bytes', type: 'number', unit: 'bytes' }], targets: 1, failed: 0, durationMs: 10 });
    const body = (m.blocks[1] as { text: { text: string } }).text.text;
    expect(body).toMatch(/^```web-1 {2}disk_usage=93\.5%? {2}mem_available_bytes=2(\.0)? ?GiB```$/);
  });

  it('stays within 50 blocks and 3,000 characters a section, saying what it left out and linking the whole', () => {
    const rows = Array.from({ length: 200 }, (_, i) => host(`web-${i}`, { exit_code: 0, stdout: `${'x'.repeat(5000)} ${i}\n`, stderr: '' }));
    const m = runMessage({ statement: 'host | `big`', rows, columns: [], targets: 200, failed: 0, durationMs: 1, runUrl: `${WEB}/runs/r9` });
    withinLimits(m);
    expect(m.blocks).toHaveLength(SLACK_MAX_BLOCKS);
    expect(texts(m.blocks)).toContain("_(cut to Slack's limit)_");
    expect(texts(m.blocks.slice(-1))).toMatch(/_152 more sections not shown:_ <https:\/\/bw\.example\.com\/runs\/r9\|the full run in Breakwater>/);
    // A cut code block is closed again.
    for (const b of m.blocks) {
      const t = (b as { text?: { text: string } }).text?.text ?? '';
      expect((t.match(/```/g) ?? []).length % 2).toBe(0);
    }
  });

  it('splits a long table over sections rather than cutting it', () => {
    const rows = Array.from({ length: 400 }, (_, i) => host(`web-${String(i).padStart(3, '0')}`, { load1: i }));
    const m = runMessage({ statement: 'host', rows, columns: [{ name: 'load1', type: 'number' }], targets: 400, failed: 0, durationMs: 1 });
    withinLimits(m);
    const all = m.blocks.map((b) => (b as { text?: { text: string } }).text?.text ?? '').join('\n');
    for (const i of [0, 199, 399]) expect(all).toContain(`web-${String(i).padStart(3, '0')}  load1=${i}`);
    expect(all).not.toContain('cut to');
  });
});
