import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/index.js';
import { startServer } from '../../src/server/index.js';
import { runCli, waitUntil } from '../helpers.js';

/*
 * The operator's side of item 3 with real processes: a real agent (bin/breakwater-agent.js, as on a
 * host) enrolled with a one-use join token, then `breakwater token revoke`, `breakwater agent
 * revoke` and `breakwater agent delete` run as the CLI. Needs `npm run build`.
 */

const AGENT_BIN = fileURLToPath(new URL('../../bin/breakwater-agent.js', import.meta.url));
const HANG_MS = 20_000;

let server: RunningServer;
let dataDir: string;
let agent: ChildProcess | undefined;
let agentLog = '';
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dataDir = mkdtempSync(joinPath(tmpdir(), 'bw-revoke-'));
  server = await startServer({ port: 0, dataDir: joinPath(dataDir, 'server'), logLevel: 'silent' });
  env = { BREAKWATER_SERVER: server.url, BREAKWATER_TOKEN: server.initialAdminToken };
});

afterAll(async () => {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent?.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  }
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Waits for a state, with the agent's log in the failure. */
async function until(what: string, probe: () => boolean): Promise<void> {
  await waitUntil(what, probe, HANG_MS).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; agent log:\n${agentLog}`);
  });
}

describe('ending an agent from the command line (real agent process)', () => {
  it('token revoke leaves the agent working; agent revoke disconnects it at once and keeps it out; agent delete removes it', async () => {
    const created = await runCli(['token', 'create', '--role', 'agent', '--name', 'e2e-join', '--uses', '1', '--json'], { env });
    expect(created.code, created.stderr).toBe(0);
    const join = JSON.parse(created.stdout) as { token: string; maxUses: number; expiresAt: number };
    expect(join.maxUses).toBe(1);

    // The join token travels in the environment, not on the command line (ps shows arguments).
    agent = spawn(process.execPath, [AGENT_BIN, '--server', server.url, '--name', 'e2e-1', '--data', joinPath(dataDir, 'agent'), '--log-level', 'warn'], {
      env: { ...process.env, BREAKWATER_JOIN_TOKEN: join.token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout?.setEncoding('utf8').on('data', (d: string) => (agentLog += d));
    agent.stderr?.setEncoding('utf8').on('data', (d: string) => (agentLog += d));
    await until('the agent to connect', () => server.fleet.connected('e2e-1'));

    const tokenRevoked = await runCli(['token', 'revoke', 'e2e-join'], { env });
    expect(tokenRevoked.code, tokenRevoked.stderr).toBe(0);
    expect(tokenRevoked.stdout).toContain('The 1 agent(s) it enrolled keep their own credentials');
    expect(server.fleet.connected('e2e-1')).toBe(true);

    const revoked = await runCli(['agent', 'revoke', 'e2e-1'], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('Revoked the credential of agent `e2e-1` and disconnected it');
    expect(server.fleet.connected('e2e-1')).toBe(false); // at once: before the call returned

    // The agent tries again: its credential is refused as revoked, and its join token is revoked too.
    await until('the agent to be told its join token was revoked', () => agentLog.includes('join token `e2e-join` was revoked'));
    expect(agentLog).toContain('was revoked at');
    expect(server.fleet.connected('e2e-1')).toBe(false);
    expect(agentLog).not.toContain(join.token);
    const listed = await runCli(['get', 'agents'], { env });
    expect(listed.stdout).toMatch(/e2e-1\s+revoked/);

    const deleted = await runCli(['agent', 'delete', 'e2e-1'], { env });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain('Deleted agent `e2e-1`');
    const after = JSON.parse((await runCli(['get', 'agents', '--json'], { env })).stdout) as { name: string }[];
    expect(after.map((a) => a.name)).not.toContain('e2e-1');

    const missing = await runCli(['agent', 'delete', 'e2e-1'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no agent named `e2e-1`');
  });
});
