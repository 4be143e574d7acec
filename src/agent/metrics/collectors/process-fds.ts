import fs from 'node:fs';
import { intAfter, type Reader } from '../proc-read.js';

/*
 * A process's file descriptors, read when a statement asks (fd_count, fd_limit, fd_usage), for the
 * processes its earlier stages kept: never in the collection pass.
 */

const KEY_MAX_OPEN = Buffer.from('\nMax open files');

/**
 * Open descriptors of `pid`, or undefined when it does not exist.
 * @example await fdCount('/proc', 4242); // 17
 */
export async function fdCount(procRoot: string, pid: number): Promise<number | undefined> {
  try {
    return (await fs.promises.readdir(`${procRoot}/${pid}/fd`)).length;
  } catch {
    return undefined;
  }
}

/**
 * The soft RLIMIT_NOFILE of `pid` (the `Max open files` line of /proc/<pid>/limits), or undefined
 * when it does not exist or has no limit ("unlimited" cannot be set for descriptors, but a
 * fixture or an odd kernel could say so).
 * @example await fdLimit('/proc', 4242); // 1024
 */
export async function fdLimit(procRoot: string, pid: number): Promise<number | undefined> {
  let text: Buffer;
  try {
    text = await fs.promises.readFile(`${procRoot}/${pid}/limits`);
  } catch {
    return undefined;
  }
  return maxOpenFiles(text, text.length);
}

/** The agent's own soft RLIMIT_NOFILE, from `procRoot`/self/limits (1024 when unreadable): how many /proc files it may hold open. */
export function ownFdLimit(r: Reader, procRoot: string): number {
  const n = r.readPath(`${procRoot}/self/limits`);
  // "unlimited" cannot be: the kernel caps it at nr_open.
  return (n > 0 ? maxOpenFiles(r.buf, n) : undefined) ?? 1024;
}

/** The soft limit of a limits file's `Max open files` line, undefined when absent or not a number. */
function maxOpenFiles(buf: Buffer, n: number): number | undefined {
  const v = intAfter(buf, n, KEY_MAX_OPEN);
  return v > 0 ? v : undefined;
}
