/*
 * Real process faults for the pack lab tests (test/packs/process-faults.test.ts): programs started
 * in a lab host's folder (so that host's agent sees them), read back through /proc, and always
 * stopped at the end, even when a test fails.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabHost } from '../../src/lab/index.js';
import { sleep } from '../scenarios/scenario-helpers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The fault programs of test/packs/fixtures: each one's name is its process name (comm). */
export type FaultProgram = 'bw-zombie-maker' | 'bw-spin';

/** Started fault processes, stopped together by {@link FaultProcesses.stopAll}. */
export class FaultProcesses {
  readonly #children = new Set<ChildProcess>();

  /**
   * Starts a fault program working in the host's folder (the lab host's agent sees only processes
   * working there); resolves once it runs, with its pid.
   * @example const spin = await faults.start(host, 'bw-spin');
   */
  async start(host: LabHost, program: FaultProgram, args: readonly string[] = []): Promise<ChildProcess & { pid: number }> {
    const child = spawn(join(FIXTURES, program), args, { cwd: host.dir, stdio: 'ignore' });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return child as ChildProcess & { pid: number };
  }

  /** Kills every fault process still running (SIGKILL) and waits for them to exit. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.#children].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
  }
}

/** Fields of /proc/PID/stat after the command name: [0] is the state (field 3), [16] the nice value (field 19). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The process's nice value, read from /proc/PID/stat; undefined when it is gone. */
export function niceOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[16]) : undefined;
}

/** Whether the process runs (exists and is not a zombie). */
export function running(pid: number): boolean {
  const f = statFields(pid);
  return f !== undefined && f[0] !== 'Z';
}

/** Pids of the zombie children of `parent`, from /proc. */
export function zombieChildren(parent: number): number[] {
  const out: number[] = [];
  for (const name of readDir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f && f[0] === 'Z' && Number(f[1]) === parent) out.push(Number(name));
  }
  return out;
}

function readDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The pid of the host's lab service (bw-app), from its pid file. */
export const appPid = (h: LabHost): number => Number(readFileSync(join(h.dir, 'run', 'app.pid'), 'utf8').trim());

/** Whether the host's lab service answers /health. */
export async function appHealthy(h: LabHost): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${h.port}/health`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** One restart of a host's service as seen from outside: its pid changed (`down`), then it answered /health (`up`). */
export interface Restart {
  readonly host: string;
  readonly oldPid: number;
  readonly newPid: number;
  readonly down: number;
  up: number | undefined;
}

/**
 * Watches the services of `hosts` for their first restart (a new pid in the pid file) and the
 * first healthy answer after it, every 50 ms; `onRestart` is told at once (to turn a fault off).
 * @example const w = watchRestarts(hosts, (h) => lab.leakMemory(h, false)); await w.done(30_000);
 */
export function watchRestarts(hosts: readonly LabHost[], onRestart: (h: LabHost) => Promise<void> | void) {
  const before = new Map(hosts.map((h) => [h.name, appPid(h)]));
  const restarts = new Map<string, Restart>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const h of hosts) {
        const seen = restarts.get(h.name);
        if (!seen) {
          const pid = appPid(h);
          // 0: the new process truncated the file and has not written its pid yet.
          if (pid > 0 && pid !== before.get(h.name)) {
            restarts.set(h.name, { host: h.name, oldPid: before.get(h.name) as number, newPid: pid, down: Date.now(), up: undefined });
            await onRestart(h);
          }
        } else if (seen.up === undefined && (await appHealthy(h))) seen.up = Date.now();
      }
      if ([...restarts.values()].filter((r) => r.up !== undefined).length === hosts.length) return;
      await sleep(50);
    }
  })();
  return {
    /** Waits until every host restarted and answered healthy again; the restarts in the order they happened. */
    async done(timeoutMs: number): Promise<Restart[]> {
      const timer = sleep(timeoutMs).then(() => {
        stopped = true;
      });
      await Promise.race([loop, timer]);
      stopped = true;
      const all = [...restarts.values()].sort((a, b) => a.down - b.down);
      if (all.length < hosts.length || all.some((r) => r.up === undefined)) {
        throw new Error(`timed out after ${timeoutMs / 1000}s waiting for every service to restart and be healthy; seen: ${JSON.stringify(all)}`);
      }
      return all;
    },
    stop: () => {
      stopped = true;
    },
  };
}
