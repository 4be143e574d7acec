import { mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixtureTree } from '../../test/proc-fixture.js';
import { ProcSource } from './metrics/proc-source.js';
import type { Snapshot } from './metrics/types.js';
import { ProcessScope, ProcessScopeSource } from './process-scope.js';

/*
 * A lab host's agent sees the processes working under its folder only (lab hosts share one
 * machine), and does not read the machine's others at all.
 */

/** The fixture /proc with working directories: 42 and 43 under the host's folder, 77 elsewhere. */
function scopedFixture() {
  const tree = fixtureTree();
  const host = join(tree.procRoot, '..', 'hosts', 'web-1');
  const other = join(tree.procRoot, '..', 'hosts', 'web-10');
  mkdirSync(join(host, 'app'), { recursive: true });
  mkdirSync(other, { recursive: true });
  const cwd = (pid: number, dir: string) => {
    rmSync(join(tree.procRoot, String(pid), 'cwd'), { force: true });
    symlinkSync(dir, join(tree.procRoot, String(pid), 'cwd'));
  };
  cwd(42, host);
  cwd(43, join(host, 'app'));
  cwd(77, other); // web-1's name is a prefix of web-10's folder: still not web-1's
  const scope = new ProcessScope(host, tree.procRoot);
  const proc = new ProcSource({ procRoot: tree.procRoot, etcRoot: join(FIXTURES, 'etc'), statfs: () => Promise.reject(new Error('no disks here')), processFilter: (pid) => scope.includes(pid) });
  return { tree, host, other, cwd, source: new ProcessScopeSource(proc, scope), close: () => proc.close() };
}

const pids = (snap: Snapshot) => snap.processes.map((p) => p.info.pid).sort((a, b) => a - b);
const processCount = (snap: Snapshot) => snap.host.find((s) => s.name === 'process_count')?.value;

describe('a lab host\'s process scope', () => {
  it('reports only the processes working under the host\'s folder, and counts only those', async () => {
    const f = scopedFixture();
    try {
      const snap = await f.source.collect();
      expect(pids(snap)).toEqual([42, 43]);
      expect(processCount(snap)).toBe(2);
    } finally {
      f.close();
    }
  });

  it('judges a reused pid again: a new process on the pid, working elsewhere, is not the host\'s', async () => {
    const f = scopedFixture();
    try {
      expect(pids(await f.source.collect())).toEqual([42, 43]);
      // The process of pid 43 exits and a new one (another start time) takes the pid, elsewhere.
      const stat = f.tree.read('43/stat').split(' ');
      stat[21] = String(Number(stat[21]) + 500);
      f.tree.write('43/stat', stat.join(' '));
      f.cwd(43, f.other);
      expect(pids(await f.source.collect())).toEqual([42]);
    } finally {
      f.close();
    }
  });

  it('looks once more at a process first seen working elsewhere: a service caught between its fork and its chdir is the host\'s', async () => {
    const f = scopedFixture();
    try {
      // The supervisor forked it; the child has the supervisor's working directory until it chdirs and execs.
      f.cwd(43, f.other);
      expect(pids(await f.source.collect())).toEqual([42]);
      f.cwd(43, f.host);
      expect(pids(await f.source.collect())).toEqual([42, 43]);
      // One more look only: a process that stays elsewhere costs no readlink a pass for its life.
      f.cwd(42, f.other);
      rmSync(join(f.tree.procRoot, '77', 'cwd'));
      symlinkSync(f.host, join(f.tree.procRoot, '77', 'cwd'));
      expect(pids(await f.source.collect())).toEqual([42, 43]);
    } finally {
      f.close();
    }
  });

  it('forgets a pid that is gone, so a process that comes back on it under the folder is the host\'s', async () => {
    const f = scopedFixture();
    try {
      f.cwd(43, f.other);
      expect(pids(await f.source.collect())).toEqual([42]);
      const gone = join(f.tree.procRoot, '..', 'gone-43');
      renameSync(join(f.tree.procRoot, '43'), gone);
      expect(pids(await f.source.collect())).toEqual([42]);
      renameSync(gone, join(f.tree.procRoot, '43'));
      f.cwd(43, f.host);
      expect(pids(await f.source.collect())).toEqual([42, 43]);
    } finally {
      f.close();
    }
  });

  it('counts a zombie as its parent\'s host\'s: it has no working directory left, its unreaping parent has', async () => {
    const f = scopedFixture();
    try {
      // 43 is a zombie child of 42 (the fixture's stat says Z): the kernel shows no cwd for it.
      rmSync(join(f.tree.procRoot, '43', 'cwd'));
      const snap = await f.source.collect();
      expect(pids(snap)).toEqual([42, 43]);
      expect(snap.host.find((s) => s.name === 'zombie_count')?.value).toBe(1);
    } finally {
      f.close();
    }
    const g = scopedFixture();
    try {
      // The same zombie whose parent works on another host is that host's, not this one's.
      rmSync(join(g.tree.procRoot, '43', 'cwd'));
      g.cwd(42, g.other);
      const snap = await g.source.collect();
      expect(pids(snap)).toEqual([]);
      expect(snap.host.find((s) => s.name === 'zombie_count')?.value).toBe(0);
    } finally {
      g.close();
    }
  });

  it('filters a source it cannot push the scope into (every process read, the host\'s kept)', async () => {
    const f = scopedFixture();
    const unscoped = new ProcSource({ procRoot: f.tree.procRoot, etcRoot: join(FIXTURES, 'etc'), statfs: () => Promise.reject(new Error('no disks here')) });
    try {
      const snap = await new ProcessScopeSource(unscoped, new ProcessScope(f.host, f.tree.procRoot)).collect();
      expect(pids(snap)).toEqual([42, 43]);
      expect(processCount(snap)).toBe(4);
    } finally {
      unscoped.close();
      f.close();
    }
  });
});
