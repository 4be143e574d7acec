import type { Catalogue, Dimension, ResourceTypeName } from '../lang/index.js';
import { DIMENSION_NAMES, RESOURCE_TYPES } from '../lang/index.js';
import type { DefinitionKind } from './types.js';

/*
 * The rules of definition files as data: fields of each kind, defaults, and
 * naming rules. parse.ts enforces them, export.ts writes them back, and
 * docs/definitions.md describes them.
 */

export const COMMON_FIELDS = ['kind', 'name', 'description', 'pack'] as const;

/** A definition's provenance as `pack install` writes it: `disk-full-logs@1.0.0` (pack name, semver). */
export const PACK_REF = /^[a-z][a-z0-9-]{0,62}@(?:0|[1-9]\d{0,8})\.(?:0|[1-9]\d{0,8})\.(?:0|[1-9]\d{0,8})(?:-[0-9A-Za-z.-]{1,64})?$/;

/** The fields of each kind, besides kind, name and description, in the order export writes them. */
export const KIND_FIELDS: Readonly<Record<DefinitionKind, readonly string[]>> = {
  action: ['command', 'params', 'timeout', 'user', 'output_limit', 'resources', 'allowed', 'secrets'],
  metric: ['resource', 'unit', 'labels', 'command', 'scrape', 'interval', 'timeout'],
  alarm: ['query', 'fire', 'fire_for', 'clear', 'clear_for', 'severity', 'interval', 'runbook'],
  bot: ['trigger', 'action', 'args', 'cooldown', 'circuit_breaker', 'offline', 'approval', 'verify', 'enabled'],
  schedule: ['cron', 'every', 'run', 'enabled'],
  file: ['path', 'mode', 'content', 'query'],
  secret: ['hosts', 'from'],
  integration: ['type', 'credentials', 'signing_secret', 'trigger_label', 'targets', 'url', 'events', 'routing_key', 'severity', 'webhook_url', 'bot_token', 'channel', 'users', 'unmapped', 'response_origins'],
};

export const PARAM_FIELDS = ['type', 'required', 'default', 'description'] as const;
export const PARAM_TYPES = ['string', 'number', 'duration', 'bool'] as const;
export const TRIGGER_FIELDS = ['alarm', 'on', 'event', 'process', 'container', 'external'] as const;
export const TRIGGER_EVENTS = ['process_restarted', 'host_joined', 'container_restarted', 'container_oom_killed'] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const DIMENSIONS = Object.keys(DIMENSION_NAMES) as Dimension[];

/** Defaults, in seconds and bytes. */
export const DEFAULTS = {
  actionTimeoutSeconds: 60,
  outputLimitBytes: 1024 * 1024,
  actionResources: ['host'] as readonly ResourceTypeName[],
  metricUnit: 'none' as Dimension,
  metricIntervalSeconds: 10,
  /** A metric's timeout defaults to its interval, at most this. */
  metricTimeoutSeconds: 5,
  alarmIntervalSeconds: 1,
  severity: 'warning' as const,
  cooldownSeconds: 300,
  circuitBreaker: { max: 10, windowSeconds: 3600 },
  offline: 'run' as const,
  approvalExpiresSeconds: 3600,
  fileMode: 0o644,
};

/** Actions and metrics are named in statements, so their names are language identifiers. */
export const LANGUAGE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** Alarms, bots, schedules and files may also use `-`. */
export const OTHER_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** `an action`, `an alarm`, `a bot`, ... */
export const withArticle = (kind: DefinitionKind) => `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;

export const nameRule = (kind: DefinitionKind) => (kind === 'action' || kind === 'metric' ? LANGUAGE_NAME : OTHER_NAME);

export const describeNameRule = (kind: DefinitionKind) =>
  kind === 'action' || kind === 'metric'
    ? 'a lowercase letter, then up to 62 lowercase letters, digits or `_` (it is written in statements)'
    : 'a lowercase letter, then up to 62 lowercase letters, digits, `_` or `-`';

/** The name as it would pass the rule, if a simple fix gets there (`Clean-Logs` -> `clean_logs`). */
export function fixName(kind: DefinitionKind, name: string): string | undefined {
  let fixed = name.trim().toLowerCase().replace(/\s+/g, '_');
  if (kind === 'action' || kind === 'metric') fixed = fixed.replace(/-/g, '_');
  return fixed !== name && nameRule(kind).test(fixed) ? fixed : undefined;
}

const KEYWORDS = ['and', 'or', 'not', 'in', 'true', 'false'];

/**
 * Names an action or metric may not take, each with what already has it: the
 * language's functions, reductions, resource types, stage words, keywords and
 * built-in metrics (and, for metrics, host attributes, which a metric would hide).
 */
export function reservedNames(base: Catalogue, kind: 'action' | 'metric'): Map<string, string> {
  const taken = new Map<string, string>();
  for (const k of KEYWORDS) taken.set(k, 'a keyword of the language');
  taken.set('events', 'the events source');
  taken.set('rolling', 'the rollout stage');
  for (const t of RESOURCE_TYPES) taken.set(t, 'a resource type');
  for (const f of Object.keys(base.functions)) taken.set(f, 'a built-in function');
  for (const r of Object.keys(base.reductions)) if (!taken.has(r)) taken.set(r, 'a built-in reduction');
  for (const t of RESOURCE_TYPES) {
    for (const m of base.resources[t].metrics) if (!m.custom && !taken.has(m.name)) taken.set(m.name, `a built-in metric of ${t}`);
  }
  if (kind === 'metric') for (const a of base.resources.host.attributes) if (!taken.has(a.name)) taken.set(a.name, 'an attribute of host');
  return taken;
}

/** Environment variables an action parameter may not set: the shell's, the loader's and the agent's own. */
const RESERVED_ENV = new Set([
  'PATH', 'IFS', 'HOME', 'SHELL', 'USER', 'LOGNAME', 'PWD', 'OLDPWD', 'ENV', 'CDPATH', 'PS1', 'PS2', 'PS3', 'PS4', 'SHELLOPTS', 'BASHOPTS',
  'GLOBIGNORE', 'PROMPT_COMMAND', 'HISTFILE', 'TMPDIR', 'LANG', 'LANGUAGE', 'TZ', 'TERM', 'HOSTNAME', 'UID', 'EUID', 'PPID', 'OPTIND', 'OPTARG',
  'NODE_OPTIONS', 'PYTHONPATH', 'PERL5LIB',
]);
const RESERVED_ENV_PREFIXES = ['LD_', 'BW_', 'BASH_', 'LC_'];

/** Why a parameter name cannot be used, or undefined when it can. */
export function paramNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) return `expected an environment variable name (a letter or \`_\`, then letters, digits or \`_\`, at most 63), found \`${name}\``;
  if (KEYWORDS.includes(name)) return `\`${name}\` is a keyword of the language, so it cannot be written as a named argument`;
  if (RESERVED_ENV.has(name)) return `\`${name}\` is a reserved environment variable (the shell or the agent sets it)`;
  const prefix = RESERVED_ENV_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `names starting with \`${prefix}\` are reserved environment variables (the loader, the shell or the agent sets them)`;
  return undefined;
}

/** Which kinds have a field, for "`fire_for` is a field of alarm". */
export function kindsWithField(field: string): string | undefined {
  const kinds = (Object.keys(KIND_FIELDS) as DefinitionKind[]).filter((k) => KIND_FIELDS[k].includes(field));
  return kinds.length ? kinds.join(' and ') : undefined;
}

/** Whether a path is absolute and normalised: `/etc/app.conf`, not `etc/app.conf`, `/etc/../x` or `/etc/`. */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'expected an absolute path (starting with /)';
  if (path === '/' || path.endsWith('/')) return 'expected a path to a file, not a directory (no trailing /)';
  if (path.includes('\0')) return 'a path cannot contain a NUL character';
  if (path.includes('//')) return 'expected a normalised path (no //)';
  if (path.split('/').some((seg) => seg === '.' || seg === '..')) return 'expected a normalised path (no . or .. segments)';
  return undefined;
}

/** Octal file modes as written: `"0644"`, `"644"`, `"4755"`, `0o644`. */
export function parseMode(text: string): number | undefined {
  const m = /^(?:0o|0)?([0-7]{3,4})$/.exec(text.trim());
  if (!m) return undefined;
  return parseInt(m[1] as string, 8);
}

export const formatMode = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;
