/*
 * How a command enters a container: util-linux `nsenter` into the namespaces of the container's
 * init process (mount, UTS, IPC, network, PID), as that process's user, with its environment.
 * Everything read here comes from /proc entries the container controls (its environ, its
 * status), so each read is bounded and each value checked; and the init pid is verified to still
 * be the container's (and not to share the agent's mount namespace) right before the run, so a
 * stopped container whose pid was reused cannot make the command run on the host.
 */
import { open, readlink } from 'node:fs/promises';

import { parseCgroup } from '../containers/cgroup.js';
import { describe } from './result.js';
import type { ContainerTarget } from './types.js';

/** util-linux's nsenter, on every Debian machine (package util-linux). */
export const NSENTER = '/usr/bin/nsenter';
/** A container's environ beyond this is not read (the kernel allows far more; we need a few variables). */
export const MAX_ENVIRON_BYTES = 64 * 1024;
/** At most this many of the container's variables are passed on. */
export const MAX_ENVIRON_VARS = 256;
const MAX_STATUS_BYTES = 16 * 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONTAINER_ID = /^[0-9a-f]{64}$/;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The container's variables that are not passed on: nsenter is a host binary running as root
 * with this environment until it enters the container, so anything the dynamic loader or glibc
 * reads from the environment (glibc's own list of variables it ignores for setuid programs, plus
 * every `LD_*` and `MALLOC_*`) would let the container choose code or files on the host.
 */
export const UNSAFE_CONTAINER_ENV: ReadonlySet<string> = new Set([
  'GCONV_PATH',
  'GETCONF_DIR',
  'GLIBC_TUNABLES',
  'HOSTALIASES',
  'LOCALDOMAIN',
  'LOCPATH',
  'NIS_PATH',
  'NLSPATH',
  'RESOLV_HOST_CONF',
  'RES_OPTIONS',
  'TMPDIR',
  'TZDIR',
]);

/** What the runner needs to start a command inside a container. */
export interface ContainerEntry {
  /** nsenter's arguments, up to and including `--`; the shell and its arguments follow. */
  readonly nsenterArgs: readonly string[];
  /** The container's own environment, filtered: the command's variables go on top of it. */
  readonly env: Readonly<Record<string, string>>;
}

async function readBounded(path: string, max: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(max);
    let size = 0;
    while (size < max) {
      const { bytesRead } = await file.read(buf, size, max - size, size);
      if (bytesRead === 0) break;
      size += bytesRead;
    }
    return buf.subarray(0, size);
  } finally {
    await file.close();
  }
}

/**
 * The variables of a container's environ (NUL-separated `NAME=value`), bounded and filtered: bad
 * names, unsafe names (see {@link UNSAFE_CONTAINER_ENV}) and an unterminated (cut) last entry are dropped.
 * @example parseEnviron(Buffer.from('PATH=/bin\0LD_PRELOAD=/x.so\0')); // { PATH: '/bin' }
 */
export function parseEnviron(raw: Buffer): Record<string, string> {
  const entries = raw.toString('utf8').split('\0');
  // Every entry ends with a NUL: what follows the last one is empty, or an entry cut by the bound.
  entries.pop();
  const env: Record<string, string> = {};
  let count = 0;
  for (const entry of entries) {
    if (count >= MAX_ENVIRON_VARS) break;
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    if (!ENV_NAME.test(name) || UNSAFE_CONTAINER_ENV.has(name) || name.startsWith('LD_') || name.startsWith('MALLOC_')) continue;
    env[name] = entry.slice(eq + 1);
    count++;
  }
  return env;
}

/** The effective uid and gid in a /proc/PID/status text, or undefined when it has none. */
export function parseStatusIds(text: string): { uid: number; gid: number } | undefined {
  const field = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+(\\d+)`, 'm').exec(text);
    const value = m ? Number(m[2]) : NaN;
    return Number.isSafeInteger(value) && value >= 0 && value < 2 ** 32 ? value : undefined;
  };
  const uid = field('Uid');
  const gid = field('Gid');
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

/** CAP_SYS_ADMIN's bit in a capability set: setns(2) into another mount namespace needs it. */
const CAP_SYS_ADMIN = 21n;

/**
 * Whether a /proc/PID/status text's effective capabilities (CapEff, hex) include `bit`.
 * @example hasCapability('CapEff:\t000001ffffffffff\n', 21n) // true
 */
export function hasCapability(status: string, bit: bigint): boolean {
  const m = /^CapEff:\s+([0-9a-fA-F]{1,16})$/m.exec(status);
  return m !== null && ((BigInt(`0x${m[1]}`) >> bit) & 1n) === 1n;
}

/**
 * The user a command runs as inside a container: the init process's when `user` is absent, else a
 * numeric uid (its gid too) or `root`. Names are not looked up: the container's /etc/passwd is
 * its own and may be a symlink out of its root when read from the host.
 */
export function containerUser(user: string | undefined, init: { uid: number; gid: number }): { uid: number; gid: number } | string {
  if (user === undefined) return init;
  if (user === 'root') return { uid: 0, gid: 0 };
  if (/^\d{1,10}$/.test(user) && Number(user) < 2 ** 32) return { uid: Number(user), gid: Number(user) };
  return `user ${JSON.stringify(user)} cannot be resolved inside a container: give a numeric uid or root`;
}

/**
 * Everything needed to run inside `target`, or why it cannot: the init pid must still belong to
 * the container and must not share the agent's mount namespace.
 * @example const entry = await enterContainer({ id, initPid: 4242 }, undefined);
 */
export async function enterContainer(target: ContainerTarget, user: string | undefined, procRoot = '/proc'): Promise<ContainerEntry | string> {
  const { id, initPid } = target;
  if (typeof id !== 'string' || !CONTAINER_ID.test(id)) return `invalid container id ${JSON.stringify(String(id)).slice(0, 80)}`;
  if (!Number.isSafeInteger(initPid) || initPid < 2) return `invalid init pid ${String(initPid)} for container ${id.slice(0, 12)}`;
  const short = id.slice(0, 12);
  const proc = `${procRoot}/${initPid}`;
  try {
    // Without it nsenter fails half-way with "Operation not permitted"; say why before starting
    // (the Kubernetes DaemonSet leaves it out unless asked: deploy/k8s/README.md).
    if (!hasCapability((await readBounded('/proc/self/status', MAX_STATUS_BYTES)).toString('utf8'), CAP_SYS_ADMIN)) {
      return `entering container ${short} needs the CAP_SYS_ADMIN capability, which this agent does not have (on Kubernetes: deploy/k8s/README.md, "Commands inside containers"); the command did not run`;
    }
    const membership = parseCgroup((await readBounded(`${proc}/cgroup`, 16 * 1024)).toString('utf8'));
    if (membership?.id !== id) return `container ${short} stopped or restarted: pid ${initPid} is no longer its process; the command did not run`;
    const [theirs, ours] = await Promise.all([readlink(`${proc}/ns/mnt`), readlink(`${procRoot}/self/ns/mnt`)]);
    if (theirs === ours) return `container ${short} shares the host's mount namespace: the command would run on the host, so it did not run`;
    const ids = parseStatusIds((await readBounded(`${proc}/status`, MAX_STATUS_BYTES)).toString('utf8'));
    if (!ids) return `cannot read the user of container ${short} (pid ${initPid})`;
    const who = containerUser(user, ids);
    if (typeof who === 'string') return who;
    const env = parseEnviron(await readBounded(`${proc}/environ`, MAX_ENVIRON_BYTES));
    env.PATH ??= DEFAULT_PATH;
    const nsenterArgs = ['--target', String(initPid), '--mount', '--uts', '--ipc', '--net', '--pid', '--setuid', String(who.uid), '--setgid', String(who.gid), '--'];
    return { nsenterArgs, env };
  } catch (err) {
    return `container ${short} (pid ${initPid}) cannot be entered: ${describe(err)}; the command did not run`;
  }
}
