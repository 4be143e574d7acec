import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether the process group still has a member that is not a zombie. `kill(-pgid, 0)` also
 * succeeds for a group of zombies (reaped late, or never, under some container inits), so on
 * Linux the members are then looked up in /proc.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill()
  }
  const wanted = String(pgid);
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const fields = procStat(Number(name));
    // After the command name: state, ppid, pgrp, ...
    if (fields !== undefined && fields[2] === wanted && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** The fields of /proc/<pid>/stat after `(comm)`, or undefined when the process is gone. */
export function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Sends `sig` to every member of the process group; a group already gone is no error. */
export function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is already gone.
  }
}
