import type { Scalar } from 'yaml';
import { isMap, isScalar } from 'yaml';
import type { Fields } from './fields.js';
import { describe } from './fields.js';
import { KIND_FIELDS } from './rules.js';
import type { Raw } from './set-context.js';
import { basics } from './set-context.js';
import type { AlertTargetLabel, IntegrationDefinition, IntegrationRole, IntegrationType } from './types.js';

/*
 * The `integration` kind: a connection to Alertmanager, Slack, PagerDuty or a webhook receiver.
 * Each type has its own fields; credentials are references to `secret` definitions, checked
 * against the set by set-checker.ts (docs/integrations.md "## Definitions").
 */

export const INTEGRATION_TYPES: readonly IntegrationType[] = ['alertmanager', 'slack', 'pagerduty', 'webhook'];
export const ALERT_TARGET_LABELS: readonly AlertTargetLabel[] = ['instance', 'host', 'node', 'pod'];
const ROLES: readonly IntegrationRole[] = ['viewer', 'operator', 'admin'];
const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
const SEVERITY_KEYS = ['info', 'warning', 'critical'] as const;

/** The fields each type has, besides `type`. */
export const INTEGRATION_FIELDS: Readonly<Record<IntegrationType, readonly string[]>> = {
  alertmanager: ['credentials', 'signing_secret', 'trigger_label', 'targets'],
  webhook: ['url', 'events', 'signing_secret'],
  pagerduty: ['routing_key', 'severity'],
  slack: ['webhook_url', 'bot_token', 'channel', 'signing_secret', 'users', 'unmapped', 'response_origins'],
};

/** Event types a webhook may subscribe to: what the fleet records that an outside system acts on. */
export const WEBHOOK_EVENTS = ['fired', 'cleared', 'escalated', 'bot_ran', 'bot_skipped', 'approval_requested', 'approval_decided', 'delivery_failed'] as const;

/** What a webhook without `events` is sent: what a person acts on. */
export const DEFAULT_WEBHOOK_EVENTS: readonly string[] = ['fired', 'cleared', 'escalated', 'approval_requested'];

/**
 * Where Slack's `response_url`s point (its commercial and GovSlack hooks): the control plane posts a
 * command's late answer or a button's outcome to them, so a signed request naming any other origin is
 * refused rather than followed (docs/integrations.md "## Slack").
 */
export const SLACK_RESPONSE_ORIGINS: readonly string[] = ['https://hooks.slack.com', 'https://hooks.slack-gov.com'];

/** A Prometheus label name, as Alertmanager sends them. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;
const SECRET_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** A secret named by an integration, where it was written, for the set's check. */
export interface SecretRef {
  readonly value: string;
  readonly node: Scalar.Parsed;
  readonly field: string;
}

/**
 * Reads an `integration` document; the secrets it names are added to `refs`.
 *
 * @example
 * const def = readIntegration(raw, refs); // { kind: 'integration', type: 'alertmanager', credentials: 'am-token', triggerLabel: 'alertname', ... }
 */
export function readIntegration(r: Raw, refs: SecretRef[]): IntegrationDefinition | undefined {
  const f = r.fields;
  const type = f.oneOf('type', INTEGRATION_TYPES, undefined);
  if (type === undefined) return undefined;
  const own = INTEGRATION_FIELDS[type];
  for (const key of f.keys()) {
    if (key === 'type' || own.includes(key) || !KIND_FIELDS.integration.includes(key)) continue;
    const owners = INTEGRATION_TYPES.filter((t) => INTEGRATION_FIELDS[t].includes(key));
    f.badKey(key, 'BWD_UNKNOWN_FIELD', `\`${key}\` is a field of integration type ${owners.map((o) => `\`${o}\``).join(' and ')}, not \`${type}\`; type \`${type}\` has ${own.map((o) => `\`${o}\``).join(', ')}`);
  }
  const ref = (key: string, required: boolean) => readSecretRef(f, key, required, refs);
  const base = { kind: 'integration' as const, ...basics(r) };
  switch (type) {
    case 'alertmanager': {
      const credentials = ref('credentials', false);
      const signingSecret = ref('signing_secret', false);
      const triggerLabel = f.string('trigger_label', 'a label name, e.g. `alertname`', false) ?? 'alertname';
      if (!LABEL_NAME.test(triggerLabel)) f.bad('trigger_label', 'BWD_BAD_VALUE', `expected a label name (a letter or \`_\`, then letters, digits or \`_\`), found ${JSON.stringify(triggerLabel.slice(0, 40))}`);
      const targets = readTargets(f);
      return { ...base, type, ...(credentials ? { credentials } : {}), ...(signingSecret ? { signingSecret } : {}), triggerLabel, targets };
    }
    case 'webhook': {
      const url = readUrl(f, 'url', true) ?? '';
      const events = f.strings('events', `an event type: one of ${WEBHOOK_EVENTS.map((e) => `\`${e}\``).join(', ')}`);
      for (const e of events ?? []) {
        if (!(WEBHOOK_EVENTS as readonly string[]).includes(e.value)) f.doc.report(e.node.range[0], f.field('events'), 'BWD_BAD_VALUE', `unknown event type \`${e.value}\`: expected one of ${WEBHOOK_EVENTS.map((w) => `\`${w}\``).join(', ')}`);
      }
      return { ...base, type, url, events: events ? events.map((e) => e.value) : [...DEFAULT_WEBHOOK_EVENTS], signingSecret: ref('signing_secret', true) ?? '' };
    }
    case 'pagerduty':
      return { ...base, type, routingKey: ref('routing_key', true) ?? '', severity: readSeverityMap(f) };
    case 'slack': {
      const webhookUrl = ref('webhook_url', false);
      const botToken = ref('bot_token', false);
      if (f.has('webhook_url') === f.has('bot_token')) f.doc.report(f.anchor, '', f.has('bot_token') ? 'BWD_CONFLICT' : 'BWD_MISSING_FIELD', 'a slack integration posts through one of `webhook_url` (an incoming webhook) or `bot_token` (with `channel`), each `{ secret: <name> }`');
      const channel = f.string('channel', 'a channel, e.g. `#ops` or `C0123456789`', false, { nonEmpty: true });
      if (botToken && channel === undefined) f.missing('channel', 'the channel `chat.postMessage` posts to, e.g. `#ops`');
      if (webhookUrl && f.has('channel')) f.badKey('channel', 'BWD_CONFLICT', '`channel` goes with `bot_token`: an incoming webhook posts to the channel it was made for');
      const signingSecret = ref('signing_secret', false);
      const unmapped = f.oneOf('unmapped', ['viewer', 'refuse'] as const, 'refuse') ?? 'refuse';
      const responseOrigins = readOrigins(f, 'response_origins');
      return { ...base, type, ...(webhookUrl ? { webhookUrl } : {}), ...(botToken ? { botToken } : {}), ...(channel !== undefined ? { channel } : {}), ...(signingSecret ? { signingSecret } : {}), users: readUsers(f), unmapped, ...(responseOrigins ? { responseOrigins } : {}) };
    }
  }
}

/** `{ secret: <name> }`; a plain value is refused without being repeated (it may be the credential itself). */
function readSecretRef(f: Fields, key: string, required: boolean, refs: SecretRef[]): string | undefined {
  const shape = `a reference to a secret definition, \`{ secret: <name> }\``;
  const n = f.node(key);
  if (n === undefined) {
    if (required) f.missing(key, shape);
    return undefined;
  }
  if (isScalar(n)) {
    f.bad(key, 'BWD_INLINE_SECRET', `\`${key}\` is a credential: expected ${shape}, found a value (not repeated here); a value written in a definition would be in git, in every stored version and in every export. Define \`kind: secret\` and set it with \`breakwater secret set\``);
    return undefined;
  }
  const m = f.map(key, shape, true);
  if (!m) return undefined;
  m.allow(['secret'], `\`${key}\``);
  const s = m.scalar('secret', 'the name of a secret of this set', true, { nonEmpty: true });
  if (s === undefined) return undefined;
  if (!SECRET_NAME.test(s.value)) {
    m.bad('secret', 'BWD_BAD_VALUE', `expected a secret name (a lowercase letter, then lowercase letters, digits, \`_\` or \`-\`), found ${describe(s.node)}`);
    return undefined;
  }
  refs.push({ value: s.value, node: s.node, field: m.field('secret') });
  return s.value;
}

function readTargets(f: Fields): AlertTargetLabel[] {
  const list = f.strings('targets', `a label naming the target: one of ${ALERT_TARGET_LABELS.map((t) => `\`${t}\``).join(', ')}`);
  if (list === undefined) return [...ALERT_TARGET_LABELS];
  const out: AlertTargetLabel[] = [];
  for (const { value, node } of list) {
    if (!(ALERT_TARGET_LABELS as readonly string[]).includes(value)) {
      f.doc.report(node.range[0], f.field('targets'), 'BWD_BAD_VALUE', `\`${value}\` cannot name a target: expected one of ${ALERT_TARGET_LABELS.map((t) => `\`${t}\``).join(', ')} (\`instance\` has its port stripped, \`pod\` goes with \`namespace\`)`);
    } else if (out.includes(value as AlertTargetLabel)) {
      f.doc.report(node.range[0], f.field('targets'), 'BWD_BAD_VALUE', `target label \`${value}\` is listed twice`);
    } else out.push(value as AlertTargetLabel);
  }
  if (list.length && !out.length) return [...ALERT_TARGET_LABELS];
  if (!list.length) f.bad('targets', 'BWD_BAD_VALUE', 'expected at least one target label: an alert with none could never run a bot');
  return out;
}

/** An https URL with no credentials in it (a signing secret authenticates; a URL is shown and exported). */
function readUrl(f: Fields, key: string, required: boolean): string | undefined {
  const text = f.string(key, 'an https URL, e.g. `https://hooks.example.com/breakwater`', required, { nonEmpty: true });
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    f.bad(key, 'BWD_BAD_VALUE', `expected an absolute URL such as \`https://hooks.example.com/breakwater\`, found ${JSON.stringify(text.slice(0, 40))}`);
    return undefined;
  }
  if (url.username || url.password) {
    f.bad(key, 'BWD_INLINE_SECRET', `\`${key}\` has credentials in it (user:password@); they would be in git and every export: authenticate with \`signing_secret\` instead`);
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    f.bad(key, 'BWD_BAD_VALUE', `expected an http or https URL, found the scheme \`${url.protocol}\``);
    return undefined;
  }
  return text;
}

/** A list of origins (`https://host[:port]`, nothing after): each written as `new URL(x).origin` writes it. */
function readOrigins(f: Fields, key: string): string[] | undefined {
  const list = f.strings(key, 'an origin, e.g. `https://hooks.slack.com`');
  if (list === undefined) return undefined;
  const out: string[] = [];
  for (const { value, node } of list) {
    const problem = originProblem(value);
    if (problem) f.doc.report(node.range[0], f.field(key), 'BWD_BAD_VALUE', `expected an origin such as \`https://hooks.slack.com\` (a scheme, a host and an optional port, nothing after), found ${JSON.stringify(value.slice(0, 60))}: ${problem}`);
    else if (out.includes(value)) f.doc.report(node.range[0], f.field(key), 'BWD_BAD_VALUE', `origin \`${value}\` is listed twice`);
    else out.push(value);
  }
  if (!list.length) f.bad(key, 'BWD_BAD_VALUE', 'expected at least one origin: with none, no command could be answered late and no button answered at all');
  return out;
}

function originProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `the scheme is \`${url.protocol}\``;
  if (url.origin !== text) return `written as an origin it is \`${url.origin}\``;
  return undefined;
}

function readSeverityMap(f: Fields): Extract<IntegrationDefinition, { type: 'pagerduty' }>['severity'] {
  const out: Record<(typeof SEVERITY_KEYS)[number], (typeof PAGERDUTY_SEVERITIES)[number]> = { info: 'info', warning: 'warning', critical: 'critical' };
  const m = f.map('severity', 'a mapping of Breakwater severities (`info`, `warning`, `critical`) to PagerDuty\'s (`critical`, `error`, `warning`, `info`)', false);
  if (!m) return out;
  m.allow(SEVERITY_KEYS, '`severity`');
  for (const k of SEVERITY_KEYS) out[k] = m.oneOf(k, PAGERDUTY_SEVERITIES, out[k]) ?? out[k];
  return out;
}

function readUsers(f: Fields): Extract<IntegrationDefinition, { type: 'slack' }>['users'] {
  const out: Record<string, { principal: string; role: IntegrationRole }> = {};
  const m = f.map('users', 'a mapping of Slack user ids to `{ principal: <name>, role: viewer|operator|admin }`', false);
  if (!m) return out;
  for (const id of m.keys()) {
    if (!/^[UW][A-Z0-9]{2,31}$/.test(id)) {
      m.badKey(id, 'BWD_BAD_VALUE', `expected a Slack user id such as \`U012AB3CD\`, found ${JSON.stringify(id.slice(0, 40))}`);
      continue;
    }
    const node = m.node(id);
    const u = node !== undefined && isMap(node) ? m.map(id, '`{ principal: <name>, role: <role> }`', true) : undefined;
    if (!u) {
      m.bad(id, 'BWD_NOT_A_MAPPING', `expected \`{ principal: <name>, role: viewer|operator|admin }\`, found ${describe(node)}`);
      continue;
    }
    u.allow(['principal', 'role'], `user \`${id}\``);
    const principal = u.string('principal', 'the Breakwater principal the user acts as, e.g. `alice`', true, { nonEmpty: true });
    const role = u.oneOf('role', ROLES, undefined);
    if (principal !== undefined && role !== undefined) out[id] = { principal, role };
  }
  return out;
}
