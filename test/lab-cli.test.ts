import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchTrusting } from '../src/transport/index.js';
import { BIN, ROOT, runCli } from './helpers.js';

/*
 * `breakwater lab` as an operator runs it, a real process with its control plane and agents: it
 * says how far the start has come, every agent connects, a host runs no demo service unless
 * --services asks, and the control plane takes the lab's --max-targets and --no-tls. (The lab of
 * 200 is in the benchmark, never in tests.)
 */

interface RunningLab {
  readonly child: ChildProcessWithoutNullStreams;
  readonly env: Record<string, string>;
  /** The lab's working directory (hosts/, logs/). */
  readonly dir: string;
  stderr(): string;
}

/** Starts `breakwater lab ARGS` and resolves once it printed its connection lines. */
async function startLabCli(args: readonly string[]): Promise<RunningLab> {
  const child = spawn(process.execPath, [BIN, 'lab', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    const ready = () => /BREAKWATER_TOKEN=\S+\n/.test(stdout) && /lab ready/.test(stderr);
    child.stdout.on('data', () => ready() && resolve());
    child.stderr.on('data', () => ready() && resolve());
    child.once('exit', (code) => reject(new Error(`the lab exited with ${code}: ${stderr}`)));
  });
  const env = Object.fromEntries([...stdout.matchAll(/^(BREAKWATER_\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  const dir = /logs in (\S+)\/logs\. /.exec(stderr)![1]!;
  return { child, env, dir, stderr: () => stderr };
}

/** Ctrl-C, as an operator stops it: every process ends and the lab exits 0. */
async function stopLabCli(lab: RunningLab): Promise<number | NodeJS.Signals | null> {
  if (lab.child.exitCode !== null || lab.child.signalCode !== null) return lab.child.exitCode ?? lab.child.signalCode;
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => lab.child.once('exit', (code, signal) => resolve(code ?? signal)));
  lab.child.kill('SIGINT');
  return exited;
}

/** The lab's own child processes (its control plane, agents and services): command line and working directory. */
function children(lab: RunningLab): { command: string; cwd: string }[] {
  const pids = readFileSync(`/proc/${lab.child.pid}/task/${lab.child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return pids.flatMap((pid) => {
    try {
      return [{ command: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(), cwd: readlinkSync(`/proc/${pid}/cwd`) }];
    } catch {
      return []; // exited meanwhile
    }
  });
}

const agentProcesses = (lab: RunningLab) => children(lab).filter((c) => c.command.includes('breakwater-agent.js'));
/** The lab service: `bw-app` (its process.title) once started, node running faults/app.js before. */
const serviceProcesses = (lab: RunningLab) => children(lab).filter((c) => c.command === 'bw-app' || c.command.includes('faults/app.js'));

async function agents(lab: RunningLab): Promise<{ name: string; status: string }[]> {
  const ca = lab.env.BREAKWATER_CA === undefined ? undefined : readFileSync(lab.env.BREAKWATER_CA, 'utf8');
  const res = await fetchTrusting(`${lab.env.BREAKWATER_SERVER}/api/v1/agents`, { headers: { authorization: `Bearer ${lab.env.BREAKWATER_TOKEN}` }, ca });
  return (await res.json()) as { name: string; status: string }[];
}

describe('breakwater lab', () => {
  it('starts 12 agents saying how many are connected, every one connects, and no host runs a service', async () => {
    const lab = await startLabCli(['--hosts', '12']);
    try {
      const progress = lab.stderr().split('\n').filter((l) => l.startsWith('agents: '));
      expect(progress.length).toBeGreaterThanOrEqual(2);
      for (const line of progress) expect(line).toMatch(/^agents: \d{1,2}\/12 connected \(\d+ s\)$/);
      const counts = progress.map((l) => Number(/(\d+)\//.exec(l)![1]));
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(progress.at(-1)).toMatch(/^agents: 12\/12 connected/);
      expect(lab.stderr()).toMatch(/lab ready in \d+ s: 12 hosts \(web-1, web-2, db-3, …, cache-12\)/);

      const listed = await agents(lab);
      expect(listed).toHaveLength(12);
      expect(listed.every((a) => a.status === 'connected')).toBe(true);

      expect(agentProcesses(lab)).toHaveLength(12);
      expect(serviceProcesses(lab)).toEqual([]);
      expect(readdirSync(join(lab.dir, 'logs')).filter((f) => f.endsWith('-app.log'))).toEqual([]);
    } finally {
      expect(await stopLabCli(lab)).toBe(0);
    }
    expect(existsSync(lab.dir)).toBe(false);
  }, 240_000);

  it('--services runs the lab service on every host', async () => {
    const lab = await startLabCli(['--hosts', '2', '--services']);
    try {
      expect(lab.stderr()).toContain('starting a lab of 2 hosts, each with the lab service...');
      // Each service's log is made when it is started. (Whether it stays up depends on its port,
      // 18080 and up, being free on this machine: other labs' services may hold it.)
      expect(readdirSync(join(lab.dir, 'logs')).filter((f) => f.endsWith('-app.log')).sort()).toEqual(['web-1-app.log', 'web-2-app.log']);
    } finally {
      expect(await stopLabCli(lab)).toBe(0);
    }
  }, 120_000);

  it('--max-targets and --no-tls: plain http:// for the CLI and the agents, and a run over more hosts than allowed needs --yes', async () => {
    const lab = await startLabCli(['--hosts', '3', '--max-targets', '2', '--no-tls']);
    try {
      expect(lab.env.BREAKWATER_SERVER).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(lab.env.BREAKWATER_CA).toBeUndefined();
      expect(lab.stderr()).toContain('TLS off (--no-tls)');
      const agentCommands = agentProcesses(lab).map((c) => c.command);
      expect(agentCommands).toHaveLength(3);
      for (const c of agentCommands) {
        expect(c).toContain(`--server ${lab.env.BREAKWATER_SERVER} `);
        expect(c).not.toContain('--ca ');
      }
      expect((await agents(lab)).filter((a) => a.status === 'connected')).toHaveLength(3);

      const marker = (host: string) => join(lab.dir, 'hosts', host, 'ran');
      const statement = 'host | `touch "$HOST_ROOT/ran"`';
      const refused = await runCli(['run', statement], { env: lab.env, timeoutMs: 60_000 });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("this would run on 3 resources, more than the 2 allowed without confirmation; nothing ran");
      expect(['web-1', 'web-2', 'db-3'].filter((h) => existsSync(marker(h)))).toEqual([]);

      const confirmed = await runCli(['run', statement, '--yes'], { env: lab.env, timeoutMs: 60_000 });
      expect(confirmed.code).toBe(0);
      expect(['web-1', 'web-2', 'db-3'].filter((h) => existsSync(marker(h)))).toEqual(['web-1', 'web-2', 'db-3']);
    } finally {
      expect(await stopLabCli(lab)).toBe(0);
    }
  }, 180_000);
});
