import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { startLab, type Lab } from '../../src/lab/index.js';
import { BIN } from '../helpers.js';

/*
 * Secrets never reach a log line. Real processes on loopback: a control plane (the built
 * bin/breakwater.js, debug level) answering requests that carry tokens in `?token=` and in the
 * Authorization header; an agent (bin/breakwater-agent.js) whose control plane (a stand-in here)
 * quotes its credential and join token back in a refusal; and a lab agent's command line.
 */

const AGENT_BIN = fileURLToPath(new URL('../../bin/breakwater-agent.js', import.meta.url));
const fake = (prefix: 'bwt' | 'bwa') => `${prefix}_${randomBytes(32).toString('base64url')}`;

interface Child {
  readonly process: ChildProcess;
  /** stdout and stderr as received so far. */
  output(): string;
  /** Resolves with the output once `pattern` appears in it (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<string>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

function start(program: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(program, args, { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const waiters = new Set<() => void>();
  const append = (d: string) => {
    output += d;
    for (const w of waiters) w();
  };
  child.stdout?.setEncoding('utf8').on('data', append);
  child.stderr?.setEncoding('utf8').on('data', append);
  return {
    process: child,
    output: () => output,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(output)) return;
          waiters.delete(check);
          resolve(output);
        };
        waiters.add(check);
        child.once('exit', (code) => reject(new Error(`exited (${code}) before ${pattern}: ${output.slice(-2000)}`)));
        check();
      }),
  };
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bw-redact-'));
  dirs.push(d);
  return d;
}

/** The JSON log lines of an output (the banner and plain lines left out). */
const logLines = (output: string) => output.split('\n').filter((l) => l.startsWith('{'));

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('secrets in logs', () => {
  it('the control plane logs requests with ?token= and Authorization without the token', async () => {
    const server = start(process.execPath, [BIN, 'server', '--no-tls', '--port', '0', '--host', '127.0.0.1', '--data', tempDir(), '--log-level', 'debug']);
    const banner = await server.waitFor(/BREAKWATER_TOKEN=\S+[\s\S]*BREAKWATER_SERVER=\S+|BREAKWATER_SERVER=\S+[\s\S]*BREAKWATER_TOKEN=\S+/);
    const url = /BREAKWATER_SERVER=(\S+)/.exec(banner)?.[1] ?? '';
    const admin = /BREAKWATER_TOKEN=(\S+)/.exec(banner)?.[1] ?? '';
    const wrong = fake('bwt');

    expect((await fetch(`${url}/api/v1/events/stream?token=${wrong}`)).status).toBe(401);
    expect((await fetch(`${url}/api/v1/agents?limit=5&token=${admin}`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    const enroll = await fetch(`${url}/api/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: wrong, name: 'x', hostId: 'y' }) });
    expect(enroll.status).toBe(401);

    const output = await server.waitFor(/"url":"\/api\/v1\/agents\/enroll"/);
    const lines = logLines(output);
    expect(lines.find((l) => l.includes('/api/v1/events/stream'))).toContain('"url":"/api/v1/events/stream?token=[redacted]"');
    expect(lines.find((l) => l.includes('/api/v1/agents?'))).toContain('"url":"/api/v1/agents?limit=5&token=[redacted]"');
    for (const secret of [wrong, admin]) expect(lines.filter((l) => l.includes(secret))).toEqual([]);
  }, 30_000);

  it('an agent does not log a credential or join token that its control plane quotes back', async () => {
    const join_ = fake('bwt');
    const credential = fake('bwa');
    // A control plane (or a proxy in front of it) that echoes what it was sent when it refuses.
    const standIn: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ agentId: 'a-1', credential }));
    });
    standIn.on('upgrade', (_req, socket) => {
      const body = `unknown agent credential ${credential}; enrolled with ${join_} via http://admin:hunter2@proxy.example/?token=${join_}`;
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
    await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
    try {
      const port = (standIn.address() as { port: number }).port;
      const agent = start(AGENT_BIN, ['--server', `http://127.0.0.1:${port}`, '--name', 'redact-1', '--data', tempDir(), '--log-level', 'debug'], { BREAKWATER_JOIN_TOKEN: join_ });
      const output = await agent.waitFor(/refused the connection/);
      expect(output).toContain('unknown agent credential bwa_[redacted]');
      for (const secret of [join_, credential, 'hunter2']) expect(output).not.toContain(secret);
    } finally {
      await new Promise((resolve) => standIn.close(resolve));
    }
  }, 30_000);

  it("a lab agent gets its join token through its environment, not its command line", async () => {
    const lab: Lab = await startLab({ hosts: 1 });
    try {
      const pid = lab.hosts[0]?.process.pid;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      expect(cmdline).toContain('--name');
      expect(cmdline).not.toContain('bwt_');
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain(`BREAKWATER_JOIN_TOKEN=${lab.joinToken}`);
      await lab.waitConnected();
    } finally {
      await lab.stop();
    }
  }, 60_000);
});
