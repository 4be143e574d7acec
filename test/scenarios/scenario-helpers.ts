/*
 * Shared by the scenario tests (test/scenarios/*.test.ts): polling with a
 * deadline, the CLI and API against a lab, events, temporary definitions.
 * Timings are never asserted tightly: the machine is small and shared.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { OutboxLog } from '../../src/agent/index.js';
import { readOutboxLog } from '../../src/agent/index.js';
import type { Lab, LabHost, LabOptions } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import type { ResultRow } from '../../src/protocol/index.js';
import type { CliResult } from '../helpers.js';
import { ROOT, runCli } from '../helpers.js';

/** The lab pack: definitions for the scenarios of shared/design/SCENARIOS.md. */
export const PACK = join(ROOT, 'packs', 'lab');

export interface FleetEventRow {
  readonly id: string;
  readonly time: number;
  readonly type: string;
  readonly host: string | null;
  readonly resource: string | null;
  readonly alarm: string | null;
  readonly bot: string | null;
  readonly action: string | null;
  readonly runId: string | null;
  readonly principal: string | null;
  readonly message: string;
  readonly value: number | null;
  readonly details: Record<string, unknown>;
}

export interface RunRow {
  readonly id: string;
  readonly principal: string;
  readonly statement: string;
  readonly status: string;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly targets: number;
  readonly failures: number;
}

export interface RunDetail {
  readonly run: RunRow;
  readonly results: { host: string; status: string; exitCode: number | null; stdout: string | null; stderr: string | null; resourceId: string }[];
}

export interface AuditRow {
  readonly principal: string;
  readonly action: string;
  readonly target: string;
  readonly runId: string | null;
  readonly outcome: string;
  readonly detail: Record<string, unknown>;
}

export interface DriftRow {
  readonly name: string;
  readonly connected: boolean;
  readonly version: number | null;
  readonly current: number;
  readonly drift: boolean | null;
}

/**
 * Polls `probe` until it returns something other than undefined/false/null, or fails after
 * `timeoutMs` with `what` and the last value seen (or the last error thrown).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The lab's host of this name; a name the lab does not have fails the test, saying which. */
export function labHost(lab: Lab, name: string): LabHost {
  const h = lab.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no lab host ${name}`);
  return h;
}

export const cliEnv = (lab: Lab, token = lab.token) => ({ BREAKWATER_SERVER: lab.server, BREAKWATER_CA: lab.ca, BREAKWATER_TOKEN: token });

/** Runs the real CLI against the lab (admin token unless another is given). */
export function cli(lab: Lab, args: readonly string[], options: { token?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return runCli(args, { env: cliEnv(lab, options.token), timeoutMs: options.timeoutMs ?? 60_000 });
}

/** NDJSON lines of `breakwater run --json`. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Runs a statement through POST /api/v1/query (the admin token) and returns its rows. */
export async function query(lab: Lab, statement: string, token = lab.token): Promise<ResultRow[]> {
  const res = await lab.fetch('/api/v1/query', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ statement }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`query answered HTTP ${res.status}: ${text}`);
  const lines = jsonLines(text);
  const error = lines.find((l) => l.type === 'error');
  if (error) throw new Error(`query failed: ${String(error.message)}`);
  return lines.filter((l) => l.type === 'row').map((l) => l.row as ResultRow);
}

/** Events (newest first, as the API gives them), filtered like GET /api/v1/events. */
export function events(lab: Lab, filter: { type?: string; alarm?: string; bot?: string; host?: string; since?: number } = {}): Promise<FleetEventRow[]> {
  const q = new URLSearchParams({ limit: '1000' });
  for (const [k, v] of Object.entries(filter)) if (v !== undefined) q.set(k, String(v));
  return lab.api<FleetEventRow[]>(`/api/v1/events?${q}`);
}

/** Applies a folder (or file) of definitions through the CLI; fails the test unless it applied. */
export async function applyDefinitions(lab: Lab, dir: string): Promise<CliResult> {
  const r = await cli(lab, ['apply', '-f', dir, '--yes']);
  if (r.code !== 0) throw new Error(`breakwater apply -f ${dir} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
}

/** Waits until every connected agent reports the current definitions version (and it is `version`, if given). */
export async function waitNoDrift(lab: Lab, version?: number, timeoutMs = 20_000): Promise<DriftRow[]> {
  return waitFor(
    `every agent on definitions version ${version ?? 'current'}`,
    async () => {
      const rows = await lab.api<DriftRow[]>('/api/v1/drift');
      const ok = rows.length > 0 && rows.every((r) => r.connected && r.drift === false && (version === undefined || r.version === version));
      return ok ? rows : undefined;
    },
    timeoutMs,
  );
}

/** A temporary folder of definition files; removed by the returned cleanup. */
export async function tempDefinitions(files: Record<string, string>, copyOf?: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bw-scenario-defs-'));
  if (copyOf) await cp(copyOf, dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The lab of one test file: before all its tests, starts a lab of `options`, hands it to `started`,
 * applies `definitions` (a folder, or file texts written to a temporary folder) as version 1 and
 * waits until every agent runs it; after all its tests, stops the lab, then runs the returned
 * cleanups (the test file may push its own).
 *
 * @example
 * let lab: Lab;
 * const cleanups = labForFile({ hosts: 4 }, PACK, (l) => (lab = l));
 */
export function labForFile(options: LabOptions, definitions: string | Record<string, string>, started: (lab: Lab) => void, timeoutMs = 120_000): (() => Promise<void>)[] {
  const cleanups: (() => Promise<void>)[] = [];
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await startLab(options);
    started(lab);
    const defs = typeof definitions === 'string' ? { dir: definitions } : await tempDefinitions(definitions);
    if ('cleanup' in defs) cleanups.push(defs.cleanup);
    await applyDefinitions(lab, defs.dir);
    await waitNoDrift(lab, 1);
  }, timeoutMs);
  afterAll(async () => {
    await lab?.stop();
    for (const c of cleanups) await c();
  });
  return cleanups;
}

/** Numeric-aware name order, as the control plane sorts hosts (web-2 before web-10). */
export const BY_NAME = new Intl.Collator('en', { numeric: true }).compare;

/**
 * A lab with a folder of definition files applied (`files`, over a copy of `copyOf` if given) and
 * running on every agent; `stop` ends the lab and removes the folder.
 */
export async function labWithDefinitions(options: LabOptions, files: Record<string, string>, copyOf?: string): Promise<{ lab: Lab; dir: string; stop: () => Promise<void> }> {
  const lab = await startLab(options);
  const defs = await tempDefinitions(files, copyOf);
  const stop = async () => {
    await lab.stop();
    await defs.cleanup();
  };
  try {
    await applyDefinitions(lab, defs.dir);
    await waitNoDrift(lab);
  } catch (err) {
    await stop();
    throw err;
  }
  return { lab, dir: defs.dir, stop };
}

/**
 * A lab host's agent outbox, read from its log on disk: what the agent recorded (even while the
 * control plane is down) and what it has not yet had acknowledged (what it would still redeliver).
 */
export async function outbox(host: LabHost): Promise<OutboxLog> {
  try {
    return readOutboxLog(await readFile(join(host.dir, 'agent', 'outbox.jsonl'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { appended: [], pending: [] };
    throw err;
  }
}
