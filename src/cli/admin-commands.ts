import { runKindOf } from '../definitions/index.js';
import { runDuration } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import { getJson, postJson } from './api.js';
import { GET_KINDS } from './command-names.js';
import type { Io } from './io.js';
import type { Column, Listing } from './listing.js';
import { packColumn, printListing } from './listing.js';
import type { OutputFormat } from './output-format.js';

const time = (v: unknown) => (typeof v === 'number' ? new Date(v).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
const ago = (v: unknown) => {
  if (typeof v !== 'number') return 'never';
  const s = Math.max(0, Math.round((Date.now() - v) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};
/** A column showing one field of the item as text. */
const text = (header: string, field: string): Column => [header, (i) => String(i[field])];
const tags = (v: unknown) =>
  Object.entries((v ?? {}) as Record<string, string>)
    .map(([k, x]) => `${k}=${x}`)
    .join(',');

export type GetKind = (typeof GET_KINDS)[number];

/** A column of fields `key=value,...` (tags, attributes). */
const pairs = (header: string, field: string): Column => [header, (i) => tags(i[field])];

/** What `breakwater get <kind>` lists: where from, whether `--limit` applies, and how it is shown. */
export const LISTINGS: Record<GetKind, Listing & { readonly path: string; readonly limited: boolean }> = {
  agents: {
    path: '/api/v1/agents',
    limited: false,
    columns: [
      text('NAME', 'name'),
      ['STATUS', (i) => (i.revokedAt ? 'revoked' : String(i.status))],
      ['LAST SEEN', (i) => (i.status === 'connected' ? 'now' : ago(i.lastSeenAt))],
      ['IP', (i) => String((i.attributes as Record<string, unknown>)?.ip ?? '')],
      ['TAGS', (i) => tags(i.tags)],
    ],
    wide: [text('ID', 'id'), ['ENROLLED WITH', (i) => String(i.enrolledWith ?? '-')], pairs('ATTRIBUTES', 'attributes')],
    name: (i) => `agent/${String(i.name)}`,
  },
  runs: {
    path: '/api/v1/runs',
    limited: true,
    columns: [
      text('ID', 'id'),
      ['STARTED', (i) => time(i.startedAt)],
      text('BY', 'principal'),
      text('STATUS', 'status'),
      text('TARGETS', 'targets'),
      text('FAILED', 'failures'),
      text('STATEMENT', 'statement'),
    ],
    wide: [['FINISHED', (i) => time(i.finishedAt)], ['TOOK', (i) => runDuration(Number(i.startedAt), typeof i.finishedAt === 'number' ? i.finishedAt : null)], ['KIND', (i) => runKindOf(String(i.principal))], ['REPLICA', (i) => String(i.replicaId ?? '-')]],
    name: (i) => `run/${String(i.id)}`,
  },
  audit: {
    path: '/api/v1/audit',
    limited: true,
    columns: [
      ['TIME', (i) => time(i.time)],
      text('PRINCIPAL', 'principal'),
      text('ACTION', 'action'),
      text('OUTCOME', 'outcome'),
      text('TARGET', 'target'),
    ],
    wide: [['RUN', (i) => String(i.runId ?? '-')], ['DETAIL', (i) => JSON.stringify(i.detail ?? {})]],
    name: (i) => `audit/${String(i.id)}`,
  },
  tokens: {
    path: '/api/v1/tokens',
    limited: false,
    columns: [
      text('ID', 'id'),
      text('NAME', 'name'),
      text('ROLE', 'role'),
      ['CREATED', (i) => time(i.createdAt)],
      ['EXPIRES', (i) => (i.expiresAt ? time(i.expiresAt) : 'never')],
      ['USES', (i) => (i.role !== 'agent' ? '-' : `${String(i.uses)}/${i.maxUses === null ? 'any' : String(i.maxUses)}`)],
      ['REVOKED', (i) => (i.revokedAt ? time(i.revokedAt) : '-')],
    ],
    wide: [['CREATED BY', (i) => String(i.createdBy ?? '-')]],
    name: (i) => `token/${String(i.name)}`,
  },
  bots: {
    path: '/api/v1/bots',
    limited: false,
    columns: [
      text('NAME', 'name'),
      text('TRIGGER', 'triggerText'),
      text('ACTION', 'action'),
      ['BREAKER', (i) => breaker(i.breaker)],
      ['COOLDOWN', (i) => cooling(i)],
      ['LAST RUN', (i) => lastBotRun(i.lastRun)],
    ],
    wide: [['TARGET', (i) => String(i.target ?? '-')], ['ENABLED', (i) => String(i.enabled)]],
    name: (i) => `bot/${String(i.name)}`,
  },
  schedules: {
    path: '/api/v1/schedules',
    limited: false,
    columns: [
      text('NAME', 'name'),
      ['TIMING', (i) => (i.cron ? `cron ${String(i.cron)}` : `every ${String(i.everySeconds)}s`)],
      ['NEXT RUN', (i) => (i.enabled ? time(i.nextRun) : 'disabled')],
      ['LAST RUN', (i) => lastScheduleRun(i.lastRun)],
      text('STATEMENT', 'run'),
    ],
    wide: [['RUNNING', (i) => (i.running ? 'yes' : 'no')]],
    name: (i) => `schedule/${String(i.name)}`,
  },
  deliveries: {
    path: '/api/v1/deliveries',
    limited: true,
    columns: [
      ['TIME', (i) => time(i.time)],
      text('INTEGRATION', 'integration'),
      text('TYPE', 'type'),
      text('EVENT', 'eventType'),
      text('ATTEMPTS', 'attempts'),
      ['STATUS', (i) => String(i.httpStatus ?? '-')],
      text('ERROR', 'error'),
    ],
    wide: [text('TARGET', 'target'), text('EVENT ID', 'eventId'), ['FIRST TRIED', (i) => time(i.firstAt)]],
    name: (i) => `delivery/${String(i.id)}`,
  },
};

/** The breaker's window: `3/20 used, 17 left (10m)`. */
function breaker(v: unknown): string {
  const b = v as { used: number; max: number; left: number; windowSeconds: number; tripped: boolean };
  return `${b.used}/${b.max} used, ${b.left} left in ${b.windowSeconds}s${b.tripped ? ' (tripped)' : ''}`;
}

/** The cooldown, and the resources still cooling down. */
function cooling(i: Record<string, unknown>): string {
  const c = i.cooldowns as { resource: string; until: number }[];
  return `${String(i.cooldownSeconds)}s${c.length ? `; ${c.map((x) => `${x.resource} until ${time(x.until)}`).join(', ')}` : ''}`;
}

function lastBotRun(v: unknown): string {
  const r = v as { time: number; resource: string | null; ok: boolean; exitCode: number | null } | null;
  return r ? `${time(r.time)} ${r.resource ?? '-'} ${r.ok ? 'ok' : 'failed'} (exit ${String(r.exitCode ?? '-')})` : 'never';
}

function lastScheduleRun(v: unknown): string {
  const r = v as { time: number; outcome: string; targets: number | null; failures: number | null; runId: string | null } | null;
  return r ? `${time(r.time)} ${r.outcome}${r.targets !== null ? ` (${r.failures ?? 0}/${r.targets} failed)` : ''} run ${r.runId ?? '-'}` : 'never';
}

/** `breakwater get agents|runs|audit|tokens|bots|schedules|deliveries`; `grep` (audit only): entries whose principal, action or target contains it, in any case. */
export async function getCommand(ep: Endpoint, kind: string, options: { format: OutputFormat; limit?: number; grep?: string }, io: Io): Promise<number> {
  const listing = (GET_KINDS as readonly string[]).includes(kind) ? LISTINGS[kind as GetKind] : undefined;
  if (!listing) {
    io.stderr.write(`breakwater get: unknown kind ${JSON.stringify(kind)}: expected one of ${GET_KINDS.join(', ')}\n`);
    return 2;
  }
  const q = new URLSearchParams();
  if (listing.limited && options.limit) q.set('limit', String(options.limit));
  if (kind === 'audit' && options.grep) q.set('text', options.grep);
  const items = await getJson<Record<string, unknown>[]>(ep, `${listing.path}${q.size ? `?${q}` : ''}`);
  // Bots and schedules a pack installed name it (`disk-full-logs@1.0.0`), as `get alarms` does.
  await printListing(io, options.format, items, { ...listing, columns: [...listing.columns, ...packColumn(items)] });
  return 0;
}

/** `breakwater token create --role R --name N [--expires D|never] [--uses N]`: prints the secret once. */
export async function tokenCreateCommand(ep: Endpoint, options: { role: string; name: string; expiresInSeconds?: number | null; uses?: number; json?: boolean }, io: Io): Promise<number> {
  const created = await postJson<Record<string, unknown>>(ep, '/api/v1/tokens', {
    role: options.role,
    name: options.name,
    ...(options.expiresInSeconds === undefined ? {} : { expiresInSeconds: options.expiresInSeconds }),
    ...(options.uses === undefined ? {} : { uses: options.uses }),
  });
  if (options.json) io.stdout.write(`${JSON.stringify(created)}\n`);
  else {
    const limits = `expires ${created.expiresAt ? time(created.expiresAt) : 'never'}${created.maxUses ? `, enrolls at most ${String(created.maxUses)} agent(s)` : ''}`;
    io.stderr.write(`Created ${String(created.role)} token \`${String(created.name)}\` (${limits}). It is shown only now; store it safely:\n`);
    io.stdout.write(`${String(created.token)}\n`);
  }
  return 0;
}
