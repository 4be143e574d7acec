/*
 * `breakwater get runs` with the API's filters, and `breakwater get run <id>`: one run with its
 * per-resource exit codes, durations and output, as the web UI's Runs page shows them.
 */
import { parseDuration } from '../lang/index.js';
import type { RunResult, RunWithResults } from '../protocol/index.js';
import { BY_NAME, BreakwaterError, runDuration } from '../protocol/index.js';
import { LISTINGS } from './admin-commands.js';
import type { Endpoint } from './api.js';
import { getJson } from './api.js';
import type { Io } from './io.js';
import type { Column } from './listing.js';
import { TableWriter, printListing } from './listing.js';
import type { OutputFormat } from './output-format.js';
import { yamlDocuments } from './output-format.js';
import { styleFor } from './style.js';

/** The flags of `get runs`, as typed. */
export interface RunFilterFlags {
  readonly bot?: string;
  readonly host?: string;
  readonly status?: string;
  readonly principal?: string;
  readonly kind?: string;
  /** A duration back from now (`2h`) or a time (`2026-12-06T05:00Z`). */
  readonly since?: string;
}

/**
 * The query string of GET /api/v1/runs for these flags. `--since` is read here (a duration back
 * from `now`, or a date); the other values are checked by the server, which names a bad one.
 *
 * @example
 * runsQuery({ bot: 'clean-data-logs', since: '1h' }, 50, Date.now()) // '?limit=50&bot=clean-data-logs&since=…'
 */
export function runsQuery(flags: RunFilterFlags, limit: number | undefined, now: number): string {
  const q = new URLSearchParams();
  if (limit) q.set('limit', String(limit));
  for (const key of ['bot', 'host', 'status', 'principal', 'kind'] as const) {
    const v = flags[key];
    if (v !== undefined) q.set(key, v);
  }
  if (flags.since !== undefined) q.set('since', String(sinceTime(flags.since, now)));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function sinceTime(text: string, now: number): number {
  const back = parseDuration(text);
  if (back !== undefined) return Math.round(now - back * 1000);
  const at = /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : NaN;
  if (Number.isFinite(at) && at >= 0) return at;
  throw new BreakwaterError('BW_ERR_CONFIG', `--since: expected a duration back from now (30m, 2h, 7d) or a date and time (2026-12-06T05:00Z), found ${JSON.stringify(text)}`);
}

/** `breakwater get runs [--bot B] [--host H] [--status S] [--principal P] [--kind K] [--since T]`. */
export async function getRunsCommand(ep: Endpoint, flags: RunFilterFlags, options: { format: OutputFormat; limit?: number }, io: Io): Promise<number> {
  const items = await getJson<Record<string, unknown>[]>(ep, `/api/v1/runs${runsQuery(flags, options.limit, Date.now())}`);
  await printListing(io, options.format, items, LISTINGS.runs);
  return 0;
}


const RESULT_COLUMNS: readonly Column[] = [
  ['HOST', (r) => String(r.host)],
  ['RESOURCE', (r) => String(r.resourceId)],
  ['STATUS', (r) => String(r.status)],
  ['EXIT', (r) => (r.exitCode === null ? '-' : String(r.exitCode))],
  ['DURATION', (r) => (typeof r.durationMs === 'number' ? runDuration(0, r.durationMs) : '-')],
];

/** `breakwater get run <id>`: the run, a line per resource, then each resource's output. */
export async function getRunCommand(ep: Endpoint, id: string, format: OutputFormat, io: Io): Promise<number> {
  const detail = await getJson<RunWithResults>(ep, `/api/v1/runs/${encodeURIComponent(id)}`);
  if (format === 'json') io.stdout.write(`${JSON.stringify(detail, null, 2)}\n`);
  else if (format === 'yaml') io.stdout.write(await yamlDocuments([detail]));
  else if (format === 'name') io.stdout.write(`run/${detail.run.id}\n`);
  else writeRun(io, detail);
  return 0;
}

function writeRun(io: Io, { run, results }: RunWithResults): void {
  const style = styleFor(io.stdout, io.env);
  const out = (s: string) => io.stdout.write(s);
  out(`${style.bold(`run ${run.id}`)}  ${run.status}  by ${run.principal}  started ${new Date(run.startedAt).toISOString()}  took ${runDuration(run.startedAt, run.finishedAt)}\n`);
  out(`${run.statement}\n${run.targets} targets, ${run.failures} failed\n\n`);
  const sorted = [...results].sort((a, b) => BY_NAME.compare(a.host, b.host) || BY_NAME.compare(a.resourceId, b.resourceId));
  new TableWriter(RESULT_COLUMNS, style, out).start(sorted as unknown as Record<string, unknown>[]);
  for (const r of sorted) writeOutput(out, style.dim, r);
}

function writeOutput(out: (s: string) => void, dim: (s: string) => string, r: RunResult): void {
  const streams: [string, string | null][] = [
    ['stdout', r.stdout],
    ['stderr', r.stderr],
    ['error', r.error],
  ];
  for (const [name, text] of streams) {
    if (!text) continue;
    out(`\n${dim(`── ${r.resourceId} ${name}`)}\n${text.endsWith('\n') ? text : `${text}\n`}`);
  }
}
