import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, waitUntil } from './helpers.js';

/*
 * `breakwater server` prints an admin token at the very first start of a data directory, and never
 * again: started twice on the same --data, the second start prints none (the first token still
 * works). Real processes, loopback only. Needs `npm run build`.
 */

interface Started {
  /** Everything the server printed until it stopped. */
  readonly stdout: string;
  readonly stderr: string;
  readonly server: string;
  readonly ca: string;
  readonly code: number | null;
}

/** Starts `breakwater server` on `data`, runs `whileUp` once it announced its address, then stops it with SIGTERM. */
async function serveOnce(data: string, whileUp: (s: { server: string; ca: string; stderr: () => string }) => Promise<void>): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--data', data, '--log-level', 'silent'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    // It prints the address and the CA last, after any admin token: wait for those lines.
    const up = await Promise.race([
      new Promise<{ server: string; ca: string }>((resolve) => {
        const check = () => {
          const server = /^BREAKWATER_SERVER=(\S+)$/m.exec(stdout)?.[1];
          const ca = /^BREAKWATER_CA=(\S+)$/m.exec(stdout)?.[1];
          if (server && ca) resolve({ server, ca });
        };
        child.stdout.on('data', check);
      }),
      exited.then((code) => Promise.reject(new Error(`breakwater server exited (${code}) before it listened:\n${stderr}`))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`breakwater server did not start:\n${stderr}`)), 30_000).unref()),
    ]);
    await whileUp({ ...up, stderr: () => stderr });
    child.kill('SIGTERM');
    const code = await exited;
    return { stdout, stderr, code, ...up };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bw-first-start-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('breakwater server: the admin token', () => {
  it('is printed at the first start of a data directory only; the second start prints none and the first token still works', async () => {
    const data = join(dir, 'data');
    let token = '';
    const first = await serveOnce(data, async ({ server, ca, stderr }) => {
      // stdout and stderr are two pipes: the token may be read after the address.
      await waitUntil('the admin token on stderr', () => /^ {2}BREAKWATER_TOKEN=bwt_\S+$/m.test(stderr()));
      token = /^ {2}BREAKWATER_TOKEN=(bwt_\S+)$/m.exec(stderr())?.[1] ?? '';
      expect(token).not.toBe('');
      const r = await runCli(['get', 'tokens', '--json'], { env: { BREAKWATER_SERVER: server, BREAKWATER_CA: ca, BREAKWATER_TOKEN: token } });
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { name: string; role: string }[]).map((t) => [t.name, t.role])).toEqual([['admin', 'admin']]);
    });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('First start: an admin token was created. It is shown only now');
    // Printed once, on stderr (not into a script that captures stdout).
    expect(first.stderr.split(token).length - 1).toBe(1);
    expect(first.stdout).not.toContain('bwt_');

    const second = await serveOnce(data, async ({ server, ca }) => {
      const r = await runCli(['get', 'agents'], { env: { BREAKWATER_SERVER: server, BREAKWATER_CA: ca, BREAKWATER_TOKEN: token } });
      expect(r.code, r.stderr).toBe(0);
    });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('breakwater control plane listening on');
    expect(second.stderr).not.toContain('First start');
    expect(second.stderr).not.toContain('BREAKWATER_TOKEN');
    expect(`${second.stdout}${second.stderr}`).not.toContain('bwt_');
  }, 90_000);
});
