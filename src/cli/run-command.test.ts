import { createServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../lang/index.js';
import { BUILTIN_CATALOGUE, analyze, summarizeFleet } from '../lang/index.js';
import type { QueryLine, ResultRow } from '../protocol/index.js';
import { BreakwaterError } from '../protocol/index.js';
import { queryLines } from './api.js';
import type { RunOptions } from './run-command.js';
import { runCommand } from './run-command.js';

const host = (name: string, cpu: number): ResultRow => ({ resource: { type: 'host', id: name, name, host: name }, status: 'ok', values: { cpu_usage: cpu } });
const planOf = (statement: string) => analyze(statement, BUILTIN_CATALOGUE).plan as Plan;
const answer = (plan: Plan, rows: readonly ResultRow[]): QueryLine<Plan>[] => [
  { type: 'plan', runId: null, dryRun: false, plan, warnings: [] },
  ...rows.map((row) => ({ type: 'row' as const, row })),
  { type: 'summary', runId: null, rows: rows.length, failures: 0, failed: 0, targets: 0, agentsAsked: rows.length, agentsAnswered: rows.length, durationMs: 12 },
];

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A control plane that answers POST /api/v1/query with `body`, written in the given pieces. */
async function controlPlane(pieces: readonly (string | Buffer)[]): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
    for (const p of pieces) res.write(p);
    res.end();
  });
  await new Promise<void>((ready) => server?.listen(0, '127.0.0.1', ready));
  return `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
}

async function run(statement: string, lines: readonly QueryLine<Plan>[]): Promise<{ code: number; out: string }> {
  const url = await controlPlane([lines.map((l) => `${JSON.stringify(l)}\n`).join('')]);
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  const io = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: { NO_COLOR: '1' } };
  const code = await runCommand({ server: url, token: 'bwt_x' }, statement, {}, io);
  return { code, out };
}

const hostsIn = (out: string) => out.split('\n').map((l) => /^(web-\d+)\s/.exec(l)?.[1]).filter(Boolean);

describe('breakwater run: row order', () => {
  const rows = [host('web-10', 5), host('web-2', 90), host('web-1', 40)];

  it('keeps the rows exactly as they come when the plan says they are ordered', async () => {
    const statement = 'host | sort(-cpu_usage)';
    expect(planOf(statement).ordered).toBe(true);
    const sorted = [host('web-2', 90), host('web-1', 40), host('web-10', 5)];
    const r = await run(statement, answer(planOf(statement), sorted));
    expect(r.code).toBe(0);
    expect(hostsIn(r.out)).toEqual(['web-2', 'web-1', 'web-10']);
  });

  it('shows unordered rows by name, web-2 before web-10, whatever order agents answered in', async () => {
    const statement = 'host | limit(3)';
    expect(planOf(statement).ordered).toBe(false);
    const r = await run(statement, answer(planOf(statement), rows));
    expect(hostsIn(r.out)).toEqual(['web-1', 'web-2', 'web-10']);
  });
});

describe('queryLines', () => {
  it('reads lines whose bytes arrive split anywhere, a multi-byte character included', async () => {
    const lines = answer(planOf('host | cpu_usage'), [{ ...host('wéb-1', 1), values: { note: '✓ é' } }]);
    const bytes = Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const at = bytes.indexOf(Buffer.from('✓')) + 1;
    const url = await controlPlane([bytes.subarray(0, at), bytes.subarray(at)]);
    const read: QueryLine<Plan>[] = [];
    for await (const line of queryLines(await fetch(url))) read.push(line);
    expect(read).toEqual(lines);
  });

  it('refuses a plan line whose plan it cannot read, naming the line', async () => {
    const url = await controlPlane(['{"type":"plan","runId":null,"dryRun":false,"plan":{"version":2},"warnings":[]}\n']);
    const err = await (async () => {
      for await (const line of queryLines(await fetch(url))) void line;
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BreakwaterError);
    expect((err as BreakwaterError).message).toMatch(/^line 1 of the query answer carries a plan this reader cannot read: version: /);
  });
});

describe('breakwater run: the control plane dies mid-answer', () => {
  it('ends with one line saying the connection was lost, not a crash', async () => {
    const plan = planOf('host | cpu_usage');
    // The plan line, then the socket destroyed with the answer unfinished: what a SIGKILLed replica does.
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
      res.write(`${JSON.stringify(answer(plan, [])[0])}\n`, () => req.socket.destroy());
    });
    await new Promise<void>((ready) => server?.listen(0, '127.0.0.1', ready));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: { NO_COLOR: '1' } };
    const err = await runCommand({ server: url, token: 'bwt_x' }, 'host | cpu_usage', { format: 'json' }, io).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BreakwaterError);
    expect((err as BreakwaterError).code).toBe('BW_ERR_UNAVAILABLE');
    expect((err as BreakwaterError).message).toMatch(/^the connection to the control plane was lost before its answer was complete \(aborted, ECONNRESET\)/);
  });
});

describe('breakwater run: progress', () => {
  const uptime = (name: string, exit: number): ResultRow => ({ resource: { type: 'host', id: name, name, host: name }, status: 'ok', values: { exit_code: exit, stdout: 'up\n', stderr: '', duration: 0.01 } });

  /** Runs against a control plane answering `lines`, stdout a pipe and stderr a terminal. */
  async function runOnTerminal(statement: string, lines: readonly QueryLine<Plan>[]) {
    const url = await controlPlane([lines.map((l) => `${JSON.stringify(l)}\n`).join('')]);
    let out = '';
    let err = '';
    const stdout = new PassThrough();
    const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await runCommand({ server: url, token: 'bwt_x' }, statement, {}, { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1' } });
    return { code, out, err };
  }

  it('a command: each host on stdout as it comes, the status line on the terminal (stderr), erased at the end', async () => {
    const statement = 'host | `uptime`';
    const [plan, ...rest] = answer(planOf(statement), [uptime('web-2', 0), uptime('web-1', 3)]);
    const r = await runOnTerminal(statement, [plan as QueryLine<Plan>, { type: 'targets', hosts: 3 }, ...rest]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 2)).toEqual(['✓ web-2         exit 0  up', '✗ web-1         exit 3  up']);
    expect(r.out).not.toContain('\u001b');
    expect(r.err).toContain('\r\u001b[2K1/3 done · 1 ok · 0 failed · 2 pending · ');
    expect(r.err).toContain('\r\u001b[2K2/3 done · 1 ok · 1 failed · 1 pending · ');
    expect(r.err.endsWith('\r\u001b[2K')).toBe(true);
  });

  it('a table: no line per host (the table needs every row to align), the status line still', async () => {
    const statement = 'host | cpu_usage';
    const [plan, ...rest] = answer(planOf(statement), [host('web-1', 5)]);
    const r = await runOnTerminal(statement, [plan as QueryLine<Plan>, { type: 'targets', hosts: 1 }, ...rest]);
    expect(r.out.split('\n')[0]).toMatch(/^host\s+cpu_usage$/);
    expect(r.err).toContain('1/1 done · 1 ok · 0 failed · 0 pending');
  });
});

describe('breakwater run: warnings from the plan line', () => {
  const statement = 'host | role = "wbe" | cpu_usage';
  const warning = analyze(statement, BUILTIN_CATALOGUE, () => summarizeFleet([{ tags: { role: 'web' }, attributes: {} }])).diagnostics;

  async function runWith(options: RunOptions, env: NodeJS.ProcessEnv) {
    const lines = answer(planOf(statement), []);
    const url = await controlPlane([[{ ...lines[0], warnings: warning }, ...lines.slice(1)].map((l) => `${JSON.stringify(l)}\n`).join('')]);
    let out = '';
    let err = '';
    const stdout = new PassThrough().on('data', (c: Buffer) => (out += c.toString()));
    const stderr = new PassThrough().on('data', (c: Buffer) => (err += c.toString()));
    const code = await runCommand({ server: url, token: 'bwt_x' }, statement, options, { stdout, stderr, stdin: new PassThrough(), env });
    return { code, out, err };
  }

  it('prints them on stderr before the answer, yellow where colour is on; a read with no rows still exits 0', async () => {
    expect(warning.map((w) => w.code)).toEqual(['BW_NO_MATCH']);
    const plain = await runWith({}, { NO_COLOR: '1' });
    expect(plain.code).toBe(0);
    expect(plain.err.split('\n')[0]).toBe('warning[BW_NO_MATCH]: no host has role = "wbe"; did you mean "web" (1 host)?');
    expect(plain.out).toMatch(/^0 rows/);
    const coloured = await runWith({}, { FORCE_COLOR: '1' });
    expect(coloured.err.startsWith('\u001b[1m\u001b[33mwarning[BW_NO_MATCH]')).toBe(true);
  });

  it('leaves them in the plan line for --json, printing nothing else', async () => {
    const r = await runWith({ format: 'json' }, { NO_COLOR: '1' });
    expect(r.err).toBe('');
    expect(JSON.parse(r.out.split('\n')[0] ?? '')).toMatchObject({ type: 'plan', warnings: [{ code: 'BW_NO_MATCH', found: 'wbe', near: [{ value: 'web', hosts: 1 }] }] });
  });
});

describe('breakwater run: times from events', () => {
  const now = 1_765_000_000;
  const event = (ago: number, message: string): ResultRow => ({
    status: 'ok',
    values: { time: now - ago, age: ago, type: 'bot_ran', host: 'web-1', resource: 'host/web-1', alarm: null, bot: 'clean-data-logs', action: 'clean_logs', severity: null, run: 'r-1', principal: 'bot:clean-data-logs', message, value: null },
  });
  const events = [event(200, 'deleted 3 files'), event(7200, 'deleted 9 files')];

  it('prints when each event happened in ISO 8601 UTC, its age with a unit, and no min/avg/max of times', async () => {
    const statement = 'events | type = "bot_ran" | host = "web-1" | top(5, time) | bot | message';
    const r = await run(statement, answer(planOf(statement), events));
    expect(r.code).toBe(0);
    expect(r.out).toContain('2025-12-06T05:43:20Z');
    expect(r.out).toContain('deleted 3 files');
    expect(r.out).not.toMatch(/\d+d\b/);
    expect(r.out).not.toMatch(/min .* avg .* max/);
  });

  it('shows every field of an event with its unit when the statement picks none', async () => {
    const statement = 'events | type = "bot_ran"';
    const r = await run(statement, answer(planOf(statement), events));
    const header = r.out.split('\n')[0] ?? '';
    expect(header).toMatch(/^type\s+time\s+age\s+host/);
    expect(r.out).toMatch(/bot_ran\s+2025-12-06T05:43:20Z\s+3\.3m\s+web-1/);
    expect(r.out).toMatch(/bot_ran\s+2025-12-06T03:46:40Z\s+2h\s+web-1/);
    expect(r.out).not.toMatch(/^time: min/m);
    expect(r.out).toMatch(/^age: min 3\.3m {2}avg 61.7m {2}max 2h$/m);
  });
});
