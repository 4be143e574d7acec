import { Document, isSeq, visit } from 'yaml';
import { UNITS, formatSeconds, parseDuration, parseSize } from '../lang/index.js';
import { formatMode } from './rules.js';
import type { ActionDefinition, ActionParam, Definition, IntegrationDefinition } from './types.js';

/*
 * Definitions back to the YAML they are written in. toDocument gives the YAML
 * shape as plain data (snake_case fields, durations and sizes with units), the
 * same shape diff.ts compares, so a plan speaks the language of the files.
 */

/** A duration as written in files: `0s`, `30s`, `5m`, `1h`. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const text = formatSeconds(seconds);
  return parseDuration(text) === seconds ? text : `${seconds}s`;
}

/** A size as written in files: the largest IEC or SI unit that divides it (`1MiB`, `512KB`), else bytes. */
export function formatSize(bytes: number): string {
  for (const unit of ['PiB', 'TiB', 'GiB', 'MiB', 'KiB', 'PB', 'TB', 'GB', 'MB', 'KB']) {
    const factor = UNITS[unit]?.factor ?? 1;
    if (bytes >= factor && Number.isInteger(bytes / factor) && parseSize(`${bytes / factor}${unit}`) === bytes) return `${bytes / factor}${unit}`;
  }
  return `${bytes}B`;
}

function paramDocument(p: ActionParam): unknown {
  if (p.required && p.default === undefined && p.description === undefined) return p.type;
  const out: Record<string, unknown> = { type: p.type };
  if (p.default !== undefined) out.default = p.type === 'duration' && typeof p.default === 'number' ? formatDuration(p.default) : p.default;
  else if (!p.required) out.required = false;
  if (p.description !== undefined) out.description = p.description;
  return out;
}

/** An integration's own fields: secrets as references, never values (a definition has none). */
function integrationDocument(def: IntegrationDefinition): Record<string, unknown> {
  const ref = (name: string | undefined) => (name === undefined ? {} : { secret: name });
  const doc: Record<string, unknown> = { type: def.type };
  switch (def.type) {
    case 'alertmanager':
      if (def.credentials !== undefined) doc.credentials = ref(def.credentials);
      if (def.signingSecret !== undefined) doc.signing_secret = ref(def.signingSecret);
      doc.trigger_label = def.triggerLabel;
      doc.targets = [...def.targets];
      break;
    case 'webhook':
      Object.assign(doc, { url: def.url, events: [...def.events], signing_secret: ref(def.signingSecret) });
      break;
    case 'pagerduty':
      Object.assign(doc, { routing_key: ref(def.routingKey), severity: { ...def.severity } });
      break;
    case 'slack':
      if (def.webhookUrl !== undefined) doc.webhook_url = ref(def.webhookUrl);
      if (def.botToken !== undefined) doc.bot_token = ref(def.botToken);
      if (def.channel !== undefined) doc.channel = def.channel;
      if (def.signingSecret !== undefined) doc.signing_secret = ref(def.signingSecret);
      if (Object.keys(def.users).length) doc.users = Object.fromEntries(Object.entries(def.users).map(([id, u]) => [id, { ...u }]));
      doc.unmapped = def.unmapped;
      if (def.responseOrigins !== undefined) doc.response_origins = [...def.responseOrigins];
      break;
  }
  return doc;
}

/**
 * One definition in its YAML shape, as plain data. `actionOf` looks up the
 * action a bot runs, so duration arguments are written with units (`5m`).
 */
export function toDocument(def: Definition, actionOf: (name: string) => ActionDefinition | undefined = () => undefined): Record<string, unknown> {
  const doc: Record<string, unknown> = { kind: def.kind, name: def.name };
  if (def.description !== '') doc.description = def.description;
  // Provenance survives an export and re-apply, so `breakwater get` still names the pack.
  if (def.pack !== undefined) doc.pack = def.pack;
  switch (def.kind) {
    case 'action':
      doc.command = def.command;
      if (def.params.length) doc.params = Object.fromEntries(def.params.map((p) => [p.name, paramDocument(p)]));
      doc.timeout = formatDuration(def.timeoutSeconds);
      if (def.user !== undefined) doc.user = def.user;
      doc.output_limit = formatSize(def.outputLimitBytes);
      doc.resources = [...def.resources];
      if (def.runBy) doc.allowed = { ...(def.allowed !== undefined ? { where: def.allowed } : {}), roles: [...def.runBy.roles], principals: [...def.runBy.principals] };
      else if (def.allowed !== undefined) doc.allowed = def.allowed;
      if (def.secrets?.length) doc.secrets = [...def.secrets];
      break;
    case 'metric':
      doc.resource = def.resource;
      doc.unit = def.unit;
      if (def.labels.length) doc.labels = [...def.labels];
      if ('command' in def.sampler) doc.command = def.sampler.command;
      else doc.scrape = { url: def.sampler.scrape, metric: def.sampler.metric };
      doc.interval = formatDuration(def.intervalSeconds);
      doc.timeout = formatDuration(def.timeoutSeconds);
      break;
    case 'alarm':
      doc.query = def.query;
      doc.fire = def.fire;
      doc.fire_for = formatDuration(def.fireForSeconds);
      if (def.clear !== undefined) doc.clear = def.clear;
      doc.clear_for = formatDuration(def.clearForSeconds);
      doc.severity = def.severity;
      doc.interval = formatDuration(def.intervalSeconds);
      if (def.runbook !== undefined) doc.runbook = def.runbook;
      break;
    case 'bot': {
      const t = def.trigger;
      doc.trigger = 'alarm' in t ? { alarm: t.alarm, on: t.on } : 'external' in t ? { external: t.external, ...(t.on ? { on: t.on } : {}) } : t.event === 'process_restarted' ? { event: t.event, process: t.process } : 'container' in t && t.container !== undefined ? { event: t.event, container: t.container } : { event: t.event };
      doc.action = def.action;
      const params = actionOf(def.action)?.params ?? [];
      const args = Object.entries(def.args).map(([k, v]) => {
        const type = params.find((p) => p.name === k)?.type;
        return [k, type === 'duration' && typeof v === 'number' ? formatDuration(v) : v] as const;
      });
      if (args.length) doc.args = Object.fromEntries(args);
      doc.cooldown = formatDuration(def.cooldownSeconds);
      doc.circuit_breaker = { max: def.circuitBreaker.max, window: formatDuration(def.circuitBreaker.windowSeconds) };
      doc.offline = def.offline;
      if (def.approval) doc.approval = { expires: formatDuration(def.approval.expiresSeconds) };
      if (def.verify) doc.verify = { within: formatDuration(def.verify.withinSeconds) };
      doc.enabled = def.enabled;
      break;
    }
    case 'schedule':
      if (def.cron !== null) doc.cron = def.cron;
      else if (def.everySeconds !== null) doc.every = formatDuration(def.everySeconds);
      doc.run = def.run;
      doc.enabled = def.enabled;
      break;
    case 'file':
      doc.path = def.path;
      doc.mode = formatMode(def.mode);
      doc.content = def.content;
      doc.query = def.query;
      break;
    case 'secret':
      // Never a value: a definition has none (it lives encrypted in the control plane's store).
      if (def.hosts !== '') doc.hosts = def.hosts;
      if (def.from) doc.from = { ...def.from };
      break;
    case 'integration':
      Object.assign(doc, integrationDocument(def));
      break;
  }
  return doc;
}

/**
 * Definitions back to definition files, one per definition at
 * `<kind>s/<name>.yaml`. Parsing the files gives the same definitions (their
 * `source` aside): an export of what a control plane runs can be committed
 * as the start of a GitOps folder.
 *
 * @example
 * for (const f of toYaml(definitions)) writeFileSync(join(dir, f.path), f.text);
 */
export function toYaml(definitions: readonly Definition[]): { path: string; text: string }[] {
  const actions = new Map(definitions.filter((d): d is ActionDefinition => d.kind === 'action').map((a) => [a.name, a]));
  return definitions.map((def) => {
    const doc = new Document(toDocument(def, (name) => actions.get(name)));
    visit(doc, {
      Seq(_, node) {
        if (isSeq(node)) node.flow = true; // `resources: [host, process]`
      },
    });
    return { path: `${def.kind}s/${def.name}.yaml`, text: doc.toString({ lineWidth: 0, blockQuote: 'literal' }) };
  });
}
