import { spawn } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { groupAlive, procStat, signalGroup } from './process-group.js';

describe('process groups', () => {
  it('sees a live group until it is signalled, then sees it gone', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const pgid = child.pid!;
    expect(groupAlive(pgid)).toBe(true);
    signalGroup(pgid, 'SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(groupAlive(pgid)).toBe(false);
  });

  it('takes a group that no longer exists calmly', () => {
    expect(groupAlive(4_194_305)).toBe(false); // above the largest pid_max
    expect(() => signalGroup(4_194_305, 'SIGTERM')).not.toThrow();
    expect(procStat(4_194_305)).toBeUndefined();
  });

  it("reads a process's stat fields after its command name", () => {
    const fields = procStat(process.pid)!;
    expect(['R', 'S']).toContain(fields[0]); // state
    expect(fields[1]).toBe(String(process.ppid));
  });
});
