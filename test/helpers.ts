import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, it } from 'vitest';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = fileURLToPath(new URL('../bin/breakwater.js', import.meta.url));
/** The agent executable, as on a real host (runs dist/breakwater-agent.js: build first). */
export const AGENT_BIN = fileURLToPath(new URL('../bin/breakwater-agent.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `breakwater` binary as a real child process (build first: `npm run build`). */
export function runCli(args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * In-memory stdout and stderr for running the CLI's `main` in-process, and what was written to each so far.
 *
 * @example
 * const { stdout, stderr, out } = memoryOutput();
 * await main(['--help'], { stdout, stderr, stdin: new PassThrough(), env: {} });
 * expect(out()).toContain('Usage');
 */
export function memoryOutput() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, out: () => out, err: () => err };
}

/** `fetch`, or one that trusts a CA of its own (`lab.fetch`). */
export type Fetcher = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>;

export interface SseMessage {
  readonly id: string | undefined;
  readonly data: string;
}

/**
 * An open server-sent-events stream (GET with `fetcher`, default fetch): its messages and comments as they arrive,
 * whether the server ended it, and a way to wait for one.
 */
export async function openEventStream(url: string, headers: Record<string, string> = {}, fetcher: Fetcher = fetch) {
  const abort = new AbortController();
  const res = await fetcher(url, { headers, signal: abort.signal });
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  let buffer = '';
  let ended = false;
  const waiters: (() => void)[] = [];
  const reading = (async () => {
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let id: string | undefined;
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) messages.push({ id, data: data.join('\n') });
          for (const w of waiters.splice(0)) w();
        }
      }
      ended = true;
    } catch {
      // aborted
    }
    for (const w of waiters.splice(0)) w();
  })();
  const waitFor = async <T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return {
    res,
    messages,
    comments,
    /** True once the server ended the stream. */
    get ended() {
      return ended;
    },
    waitFor,
    async close() {
      abort.abort();
      await reading;
    },
  };
}

export interface ApiAnswer {
  readonly status: number;
  readonly type: string;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

/**
 * Calls the HTTP API at `base` as a script would (fetch): a JSON body (or `raw` text), a bearer
 * token. The answer's text and, when it is JSON, its value; an event stream never ends, so for one
 * the status and headers are the answer.
 */
export async function callApi(base: string, method: string, path: string, options: { token?: string | undefined; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const body = options.raw ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(20_000) });
  if (res.ok && res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: '', json: undefined };
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json };
}

/**
 * Waits until `probe` holds, checking every 50 ms; `timeoutMs` only turns a hang into a failure
 * (a liveness bound, not a speed target).
 */
export async function waitUntil(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** PostgreSQL for tests: BREAKWATER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test. */
export const PG_URL = process.env.BREAKWATER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** undefined when PostgreSQL answers at `url`, else why not. */
export async function probePostgres(url: string = PG_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error && error.message !== '' ? error.message : String(error);
    return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A describe block that needs PostgreSQL at PG_URL (`file` names the test file in the warning).
 * Unreachable: skipped with a loud warning saying why, or, with BREAKWATER_REQUIRE_SERVICES=1 (CI),
 * one failing test that says why instead of a wall of connection errors.
 */
export async function describeWithPostgres(name: string, file: string, body: () => void): Promise<void> {
  await describeWithService({ service: 'PostgreSQL', url: PG_URL, unreachable: await probePostgres(PG_URL) }, name, file, body);
}

/** A service a test needs, where it is, and undefined when it answers there, else why not. */
export interface NeededService {
  readonly service: string;
  readonly url: string;
  readonly unreachable: string | undefined;
}

/**
 * A describe block that needs `needed` (see describeWithPostgres): skipped with a loud warning when
 * it is unreachable, or one failing test saying why with BREAKWATER_REQUIRE_SERVICES=1.
 */
export function describeWithService(needed: NeededService, name: string, file: string, body: () => void): void {
  const { service, url, unreachable } = needed;
  const skip = unreachable !== undefined && process.env.BREAKWATER_REQUIRE_SERVICES !== '1';
  if (skip) {
    console.warn(
      `\n*** SKIPPED: "${name}" (${file}): ${service} at ${url.replace(/\/\/[^@/]*@/, '//…@')} ` +
        `is unreachable (${unreachable}). Start it (see .ci/run) or set BREAKWATER_REQUIRE_SERVICES=1 to make this a failure. ***\n`,
    );
  }
  describe.skipIf(skip)(name, () => {
    if (unreachable !== undefined) {
      it(`${service} is reachable (required by BREAKWATER_REQUIRE_SERVICES=1)`, () => {
        throw new Error(`BREAKWATER_REQUIRE_SERVICES=1 but ${service} at ${url} is unreachable: ${unreachable}`);
      });
      return;
    }
    body();
  });
}

/**
 * Runs one statement on the database PG_URL names, on a connection of its own: a test's database
 * is made and dropped from another one.
 *
 * @example
 * await onSharedDatabase(`create database "${name}"`);
 */
export async function onSharedDatabase(statement: string): Promise<void> {
  const shared = new pg.Client({ connectionString: PG_URL });
  await shared.connect();
  try {
    await shared.query(statement);
  } finally {
    await shared.end();
  }
}
