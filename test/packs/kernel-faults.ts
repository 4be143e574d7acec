/*
 * Real faults for the kernel-counter packs (test/packs/kernel-counters.test.ts): a service the
 * kernel's OOM killer kills inside a small memory cgroup, a service that leaks descriptors up to
 * its RLIMIT_NOFILE, and a TCP server that never closes the sockets its clients closed. Each
 * runs as a real process under a lab host's root (so that host's agent sees it), started and
 * restarted by shell scripts there that play the service manager's start and restart commands.
 * Every fault is undone by `stop` (processes killed, cgroup removed), also when a test failed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rmdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabHost } from '../../src/lab/index.js';
import { sleep, waitFor } from '../scenarios/scenario-helpers.js';

/** A memory cgroup made for the test under the test's own (v1 or v2), removed by `remove`. */
export interface MemoryCgroup {
  readonly dir: string;
  readonly procs: string;
  remove(): Promise<void>;
}

/**
 * A child of this process's own memory cgroup, limited to `bytes` (and no swap): what systemd's
 * `MemoryMax=` gives a service. Fails, saying why, when the machine has no memory controller
 * this process may write to (needs root).
 */
export async function memoryCgroup(name: string, bytes: number): Promise<MemoryCgroup> {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes('memory'));
  const v2 = lines.find((l) => l.startsWith('0::'));
  let dir: string;
  /** File, value, and whether the cgroup may lack the file (swap accounting off). */
  let limits: [string, string, boolean][];
  if (v1 && existsSync('/sys/fs/cgroup/memory')) {
    dir = join('/sys/fs/cgroup/memory', v1.split(':')[2] ?? '/', name);
    // memsw (memory + swap) after memory: it may not be below it; absent without swap accounting.
    limits = [['memory.limit_in_bytes', String(bytes), false], ['memory.memsw.limit_in_bytes', String(bytes), true]];
  } else if (v2 && existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    const parent = join('/sys/fs/cgroup', v2.slice(3));
    // The memory controller for the children of our cgroup; refused when our cgroup has processes of its own (not the root).
    await writeFile(join(parent, 'cgroup.subtree_control'), '+memory').catch(() => undefined);
    dir = join(parent, name);
    limits = [['memory.max', String(bytes), false], ['memory.swap.max', '0', true]];
  } else {
    throw new Error('no writable memory cgroup (v1 memory controller or cgroup v2) for the OOM fault');
  }
  await mkdir(dir);
  const remove = async () => {
    // A cgroup goes once it has no process left; the service was killed by then.
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(dir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        await sleep(100);
      }
    }
  };
  try {
    for (const [file, value, optional] of limits) {
      // Without its limit the fault would fill the machine's memory: refuse rather than run it.
      if (!existsSync(join(dir, file))) {
        if (optional) continue;
        throw new Error(`cgroup ${dir} has no ${file}: the memory controller is not enabled for it, so the OOM fault cannot be confined`);
      }
      await writeFile(join(dir, file), value);
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { dir, procs: join(dir, 'cgroup.procs'), remove };
}

/** The pid in `$HOST_ROOT/run/<name>.pid`, or undefined. */
export function pidFile(host: LabHost, name: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(host.dir, 'run', `${name}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process runs (exists and is not a zombie). */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** Open descriptors of `pid` now. */
export const fdCount = (pid: number): number => Number(execFileSync('sh', ['-c', `ls /proc/${pid}/fd | wc -l`], { encoding: 'utf8' }).trim());

/** Sockets in CLOSE_WAIT on local port `port`, as `ss` counts them. */
export const closeWaitCount = (port: number): number => Number(execFileSync('sh', ['-c', `ss -H -t -n state close-wait '( sport = :${port} )' | wc -l`], { encoding: 'utf8' }).trim());

/**
 * A service on a lab host: `bin/start-<name>` starts it in the background (detached, its pid in
 * run/<name>.pid, its output in logs/<name>.log, its working directory the host's root) and
 * `bin/restart-<name>` stops the one running and starts a new one: the commands a pack's
 * `start_command` / `restart_command` parameters name. `program` runs with `sh -c` in the
 * host's root; `prefix` is put before it (a cgroup move, a ulimit).
 */
export async function installService(host: LabHost, name: string, program: string, prefix = ''): Promise<{ start: string; restart: string }> {
  const bin = join(host.dir, 'bin');
  await mkdir(bin, { recursive: true });
  await mkdir(join(host.dir, 'logs'), { recursive: true });
  const start = join(bin, `start-${name}`);
  const restart = join(bin, `restart-${name}`);
  await writeFile(
    start,
    `#!/bin/sh
# Starts ${name} detached (setsid: not in the caller's process group, output not on its pipes).
cd '${host.dir}' || exit 1
setsid sh -c '${prefix}echo $$ > run/${name}.pid; exec ${program}' </dev/null >>logs/${name}.log 2>&1 &
# Returns once the service runs, as systemctl start does.
for i in $(seq 50); do [ -s run/${name}.pid ] && kill -0 "$(cat run/${name}.pid)" 2>/dev/null && exit 0; sleep 0.1; done
echo "${name} did not start" >&2; exit 1
`,
  );
  await writeFile(
    restart,
    `#!/bin/sh
cd '${host.dir}' || exit 1
pid=$(cat run/${name}.pid 2>/dev/null)
if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
fi
rm -f run/${name}.pid
exec '${start}'
`,
  );
  await chmod(start, 0o755);
  await chmod(restart, 0o755);
  return { start, restart };
}

/** Links perl under `name` into the host's bin, so the process's name (comm) is `name`. */
export async function perlAs(host: LabHost, name: string): Promise<string> {
  const path = join(host.dir, 'bin', name);
  await mkdir(join(host.dir, 'bin'), { recursive: true });
  if (!existsSync(path)) await symlink(execFileSync('sh', ['-c', 'command -v perl'], { encoding: 'utf8' }).trim(), path);
  return path;
}

/** Writes a script file under the host's bin and returns its path. */
export async function script(host: LabHost, file: string, text: string): Promise<string> {
  const path = join(host.dir, 'bin', file);
  await mkdir(join(host.dir, 'bin'), { recursive: true });
  await writeFile(path, text);
  return path;
}

/** Kills the service whose pid is in run/<name>.pid (if it runs), waiting for it to go. */
export async function stopService(host: LabHost, name: string): Promise<void> {
  const pid = pidFile(host, name);
  if (pid === undefined || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitFor(`${name} (pid ${pid}) to exit`, () => !alive(pid), 5000, 50).catch(() => undefined);
}

export const readLog = (host: LabHost, name: string): Promise<string> => readFile(join(host.dir, 'logs', `${name}.log`), 'utf8').catch(() => '');
