import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCommand } from '../src/cli/run-command.js';
import type { Swarm } from '../src/lab/index.js';
import { startSwarm } from '../src/lab/index.js';
import type { ResultRow } from '../src/protocol/index.js';
import type { RunningServer } from '../src/server/index.js';
import { startServer } from '../src/server/index.js';

/*
 * The swarm against a real control plane on loopback: 50 simulated agents, each the real
 * AgentDaemon enrolled with a join token and connected over its own WebSocket.
 */

const AGENTS = 50;
let dataDir: string;
let server: RunningServer;
let admin: string;
let swarm: Swarm | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'bw-swarm-'));
  server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
  admin = server.initialAdminToken as string;
  const join_ = (await api('POST', '/api/v1/tokens', { role: 'agent', name: 'swarm-join' })) as { token: string };
  const progress: number[] = [];
  swarm = await startSwarm({ server: server.url, joinToken: join_.token, agents: AGENTS, prefix: 'sim', concurrency: 10, logLevel: 'silent', onProgress: (p) => progress.push(p.connected) });
  expect(progress.at(-1)).toBe(AGENTS);
}, 60_000);

afterAll(async () => {
  await swarm?.stop();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** POST /api/v1/query; the NDJSON lines split into rows and summary. */
async function query(statement: string): Promise<{ rows: ResultRow[]; summary: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/api/v1/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ statement, yes: true }),
  });
  expect(res.status).toBe(200);
  const lines = (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const error = lines.find((l) => l.type === 'error');
  if (error) throw new Error(`query failed: ${String(error.message)}`);
  return { rows: lines.filter((l) => l.type === 'row').map((l) => l.row as ResultRow), summary: lines.find((l) => l.type === 'summary') ?? {} };
}

describe('swarm', () => {
  it('connects every simulated agent with its name and tags', async () => {
    expect(swarm?.connected).toBe(AGENTS);
    const agents = (await api('GET', '/api/v1/agents')) as { name: string; status: string; tags: Record<string, string> }[];
    expect(agents).toHaveLength(AGENTS);
    expect(agents.every((a) => a.status === 'connected')).toBe(true);
    expect(agents[0]).toMatchObject({ name: 'sim-1', tags: { role: 'web', zone: 'a', swarm: 'sim' } });
    expect(new Set(agents.map((a) => a.tags.zone))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('answers a metric filter on every agent', async () => {
    const { rows, summary } = await query('host | cpu_usage > -1 | count');
    expect(rows.map((r) => r.values)).toEqual([{ count: AGENTS }]);
    expect(summary).toMatchObject({ agentsAsked: AGENTS, agentsAnswered: AGENTS });
  });

  it('runs built-in commands; identical outputs group into one for people', async () => {
    const { rows } = await query('host | `echo hi`');
    expect(rows).toHaveLength(AGENTS);
    for (const r of rows) expect(r).toMatchObject({ status: 'ok', values: { exit_code: 0, stdout: 'hi\n', stderr: '' } });

    const stdout = new PassThrough();
    let text = '';
    stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
    const io = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: { NO_COLOR: '1' } };
    const code = await runCommand({ server: server.url, token: admin }, 'host | `echo hi`', { yes: true }, io);
    expect(code).toBe(0);
    // Each host as it finished, then under a rule the identical outputs as one group.
    expect(text.split('\n').filter((l) => /^✓ sim-\d+ +exit 0 {2}hi$/.test(l))).toHaveLength(AGENTS);
    expect(text).toMatch(new RegExp(`\\n─+\\n${AGENTS} hosts \\(sim-1, sim-2, .*\\+${AGENTS - 8} more\\) exit 0:\\n    hi\\n`));
  });

  it('answers commands it cannot run with exit 127 and says why', async () => {
    const { rows } = await query('host | name = "sim-7" | `ls /etc`');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.values.exit_code).toBe(127);
    expect(rows[0]?.values.stderr).toMatch(/`ls \/etc`: not run: the swarm's simulated agents do not run real commands/);
    const hostname = await query('host | name = "sim-7" | `hostname`');
    expect(hostname.rows[0]?.values.stdout).toBe('sim-7\n');
  });

  it('shows the agents as disconnected once the swarm stops', async () => {
    await swarm?.stop();
    const deadline = Date.now() + 10_000;
    let agents: { status: string }[] = [];
    while (Date.now() < deadline) {
      agents = (await api('GET', '/api/v1/agents')) as { status: string }[];
      if (agents.every((a) => a.status === 'disconnected')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(agents).toHaveLength(AGENTS);
    expect(agents.filter((a) => a.status !== 'disconnected')).toEqual([]);
    expect(swarm?.agents.every((a) => a.daemon.state === 'stopped')).toBe(true);
  });
});
