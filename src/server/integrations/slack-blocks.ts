import type { PlanColumn } from '../../lang/index.js';
import type { Approval, FleetEvent, ResultRow } from '../../protocol/index.js';
import { BY_NAME, SLACK_ACTIONS, formatNumber, groupFailures, groupOutputs, label, noun } from '../../protocol/index.js';

/*
 * Slack messages as Block Kit, built by pure functions (docs/integrations.md "## Slack"). Slack
 * refuses a message with a section text over 3,000 characters or more than 50 blocks: every
 * builder cuts to those limits and says so in the message, with a link to the whole in the web UI.
 */

export const SLACK_MAX_SECTION_CHARS = 3000;
export const SLACK_MAX_BLOCKS = 50;
/** A button's value: Slack's limit. A statement longer than this gets no confirmation button. */
export const SLACK_MAX_BUTTON_VALUE = 2000;

export type SlackBlock = Readonly<Record<string, unknown>>;

/** A message as Slack's APIs take it: `text` is the notification's fallback, `blocks` what is shown. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
  /** Slash-command answers: `ephemeral` (only the caller sees it) or `in_channel`. */
  readonly response_type?: 'ephemeral' | 'in_channel';
  /** Answers through response_url to a button: replace the message the button was on. */
  readonly replace_original?: boolean;
}

/** Escapes the three characters Slack's mrkdwn gives a meaning to (`<@U…>`, `<!channel>`, links). */
export function mrkdwnEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A mrkdwn section, cut to Slack's limit with a mark saying so. */
export function section(text: string): SlackBlock {
  if (text.length <= SLACK_MAX_SECTION_CHARS) return { type: 'section', text: { type: 'mrkdwn', text } };
  return { type: 'section', text: { type: 'mrkdwn', text: `${balanceFence(`${text.slice(0, SLACK_MAX_SECTION_CHARS - 40)}…`)}\n_(cut to Slack's limit)_` } };
}

/** A code block cut in half would open a fence it never closes: close it. */
function balanceFence(text: string): string {
  return (text.match(/```/g)?.length ?? 0) % 2 ? `${text}\n\`\`\`` : text;
}

/** A code block; a fence inside the text would end it early. */
const fence = (s: string) => `\`\`\`${mrkdwnEscape(s.replace(/\n$/, '').replace(/```/g, "'''"))}\`\`\``;
const context = (text: string): SlackBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
const link = (url: string, title: string) => `<${url}|${mrkdwnEscape(title)}>`;
const button = (text: string, action: string, value: string, style?: 'primary' | 'danger'): SlackBlock => ({ type: 'button', text: { type: 'plain_text', text }, action_id: action, value, ...(style ? { style } : {}) });

const ALARM_WORDS = { alarm_fired: ['🔴', 'fired'], alarm_cleared: ['🟢', 'cleared'], escalated: ['🟠', 'escalated'] } as const;
export type AlarmEventType = keyof typeof ALARM_WORDS;

/**
 * An alarm that fired, cleared or escalated: what, where, the value, links to the web UI's events
 * and the alarm's runbook.
 *
 * @example
 * alarmMessage(event, { webUrl: 'https://bw.example.com', runbookUrl: 'https://wiki/disk' })
 */
export function alarmMessage(event: FleetEvent & { type: AlarmEventType }, links: { webUrl: string; runbookUrl?: string | undefined }): SlackMessage {
  const [icon, verb] = ALARM_WORDS[event.type];
  const alarm = event.alarm ?? 'an alarm';
  const where = event.resource ?? event.host ?? 'the fleet';
  const title = `${icon} Alarm ${alarm} ${verb} on ${where}`;
  const fields = [
    ['Host', event.host ?? '-'],
    ['Value', event.value === null ? '-' : formatNumber(event.value, undefined)],
    ...(event.severity ? [['Severity', event.severity]] : []),
  ].map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${mrkdwnEscape(String(v))}` }));
  const refs = [link(`${links.webUrl}/events`, 'Open in Breakwater'), ...(links.runbookUrl ? [link(links.runbookUrl, 'Runbook')] : [])];
  return {
    text: title,
    blocks: [section(`*${mrkdwnEscape(title)}*\n${mrkdwnEscape(event.message)}`), { type: 'section', fields }, context(refs.join('  ·  '))],
  };
}

/**
 * A bot's run waiting for a person, with Approve and Deny buttons (their value: the approval's id).
 *
 * @example
 * approvalMessage(approval, { webUrl }) // blocks: the request, the statement, the buttons
 */
export function approvalMessage(a: Pick<Approval, 'id' | 'bot' | 'action' | 'resource' | 'statement'> & { readonly expiresAt?: number }, links: { webUrl: string }): SlackMessage {
  const title = `Bot ${a.bot} asks to run ${a.action} on ${a.resource}`;
  return {
    text: title,
    blocks: [
      section(`*${mrkdwnEscape(title)}*${a.expiresAt === undefined ? '' : `\nExpires ${new Date(a.expiresAt).toISOString()}`}`),
      section(fence(a.statement)),
      { type: 'actions', block_id: `approval:${a.id}`, elements: [button('Approve', SLACK_ACTIONS.approve, a.id, 'primary'), button('Deny', SLACK_ACTIONS.deny, a.id, 'danger')] },
      context(link(`${links.webUrl}/operate`, 'Approvals in Breakwater')),
    ],
  };
}

/** A decision made from Slack, replacing the approval request's message (its buttons gone). */
export function decisionMessage(a: Pick<Approval, 'bot' | 'action' | 'resource'>, verdict: 'approved' | 'denied', by: string, runUrl?: string): SlackMessage {
  const text = `${verdict === 'approved' ? '✅' : '⛔'} ${by} ${verdict} bot ${a.bot}'s run of ${a.action} on ${a.resource}`;
  return { text, replace_original: true, blocks: [section(mrkdwnEscape(text) + (runUrl ? `  ${link(runUrl, 'the run')}` : ''))] };
}

/** An answer that is only words: a refusal, help, an acknowledgement. */
export function noticeMessage(text: string, ephemeral = true): SlackMessage {
  return { text, response_type: ephemeral ? 'ephemeral' : 'in_channel', blocks: [section(text)] };
}

/**
 * The run would reach more resources than allowed without confirmation: a button that runs it
 * confirmed (the statement is the button's value), unless the statement is too long to carry.
 */
export function confirmMessage(statement: string, targets: number, limit: number): SlackMessage {
  const text = `This would run on ${targets} resources, more than the ${limit} allowed without confirmation; nothing ran.`;
  const fits = statement.length <= SLACK_MAX_BUTTON_VALUE;
  return {
    text,
    response_type: 'ephemeral',
    blocks: [
      section(`${text}\n${fence(statement)}`),
      fits ? { type: 'actions', elements: [button(`Run on ${targets}`, SLACK_ACTIONS.confirmRun, statement, 'danger')] } : context('The statement is too long for a button: confirm it with `breakwater run --yes`.'),
    ],
  };
}

/** A finished run: its counts, the rows grouped as the CLI groups them, a link to the whole run. */
export interface RunAnswer {
  readonly statement: string;
  readonly rows: readonly ResultRow[];
  readonly columns: readonly PlanColumn[];
  readonly targets: number;
  readonly failed: number;
  readonly durationMs: number;
  /** The run's page in the web UI; runs that record nothing (queries) have none. */
  readonly runUrl?: string | undefined;
}

const MAX_NAMES = 8;
const names = (rows: readonly ResultRow[]) => {
  const all = rows.map(label);
  return all.length > MAX_NAMES ? `${all.slice(0, MAX_NAMES).join(', ')}, +${all.length - MAX_NAMES} more` : all.join(', ');
};

/**
 * A run's answer: a header, identical outputs as one section each ("3 hosts (web-1, web-2, web-7)
 * exit 0"), other rows as lines of their values, failures grouped by reason; within Slack's limits.
 *
 * @example
 * runMessage({ statement, rows, columns: plan.columns, targets: 3, failed: 0, durationMs: 120, runUrl })
 */
export function runMessage(r: RunAnswer): SlackMessage {
  const ok = r.rows.filter((x) => x.status === 'ok').sort((a, b) => BY_NAME.compare(label(a), label(b)));
  const failed = r.rows.filter((x) => x.status !== 'ok');
  const head = `${r.failed ? '⚠️' : '✅'} \`${mrkdwnEscape(r.statement.slice(0, 200))}\`: ${r.rows.length} rows from ${r.targets} targets, ${r.failed} failed, ${(r.durationMs / 1000).toFixed(1)}s`;
  const body: SlackBlock[] = [];
  if (ok.some((x) => 'stdout' in x.values)) {
    for (const g of groupOutputs(ok)) {
      const out = [g.stdout && fence(g.stdout), g.stderr && `stderr:\n${fence(g.stderr)}`].filter(Boolean).join('\n') || '_(no output)_';
      body.push(section(`*${g.rows.length} ${noun(g.rows[0]?.resource?.type, g.rows.length)}* (${mrkdwnEscape(names(g.rows))}) exit ${String(g.exitCode)}:\n${out}`));
    }
  } else if (ok.length) {
    const cols = r.columns.length ? r.columns.map((c) => c.name) : [...new Set(ok.flatMap((x) => Object.keys(x.values)))];
    const unit = (n: string) => r.columns.find((c) => c.name === n)?.unit;
    const lines = ok.map((x) => `${label(x)}  ${cols.map((n) => `${n}=${value(x.values[n], unit(n))}`).join('  ')}`);
    // One section per ~3,000 characters of lines, so a long table spans blocks rather than being cut.
    for (const chunk of chunks(lines, SLACK_MAX_SECTION_CHARS - 8)) body.push(section(fence(chunk.join('\n'))));
  }
  for (const g of groupFailures(failed)) body.push(section(`✗ *${g.rows.length} ${noun(g.rows[0]?.resource?.type, g.rows.length)} ${g.status}* (${mrkdwnEscape(names(g.rows))}): ${mrkdwnEscape(g.error)}`));
  const more = r.runUrl ? link(r.runUrl, 'the full run in Breakwater') : 'run it with `breakwater run` for every row';
  const all = [section(head), ...body];
  // The last block links the whole run; when there are more than fit, it also says how many were left out.
  const kept = all.slice(0, SLACK_MAX_BLOCKS - 1);
  const left = all.length - kept.length;
  const last = left ? [context(`_${left} more sections not shown:_ ${more}`)] : r.runUrl ? [context(link(r.runUrl, 'Open the run in Breakwater'))] : [];
  const blocks = [...kept, ...last];
  return { text: head, response_type: 'in_channel', blocks };
}

function value(v: unknown, unit: string | undefined): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return formatNumber(v, unit);
  return typeof v === 'string' ? v.replace(/\n/g, '⏎').slice(0, 200) : JSON.stringify(v).slice(0, 200);
}

function chunks(lines: readonly string[], max: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const l of lines) {
    if (cur.length && size + l.length + 1 > max) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(l);
    size += l.length + 1;
  }
  if (cur.length) out.push(cur);
  return out;
}
