import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findOwnCgroup, isNamespaceRelative, ownPid, resolveCgroupPath } from './cgroup-ns.js';

const AGENT = '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podaaa.slice/cri-containerd-agent.scope';

describe('resolveCgroupPath', () => {
  it('climbs from the namespace root to the common ancestor, then down (the kernel writes the shortest way)', () => {
    expect(resolveCgroupPath('/../../../kubepods-burstable.slice/podb.slice/cri-containerd-b.scope', AGENT)).toBe('/kubepods.slice/kubepods-burstable.slice/podb.slice/cri-containerd-b.scope');
    // A sibling in the agent's own pod, and a process of the host (pid 1 in /init.scope).
    expect(resolveCgroupPath('/../cri-containerd-side.scope', AGENT)).toBe('/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podaaa.slice/cri-containerd-side.scope');
    expect(resolveCgroupPath('/../../../../init.scope', AGENT)).toBe('/init.scope');
    expect(resolveCgroupPath('/', AGENT)).toBe(AGENT);
    expect(resolveCgroupPath('/x/y', '/')).toBe('/x/y');
  });

  it('refuses a path that climbs above the root of the tree', () => {
    expect(resolveCgroupPath('/../../../../../x', AGENT)).toBeUndefined();
    expect(resolveCgroupPath('/..', '/')).toBeUndefined();
  });

  it('tells a namespace-relative path from an absolute one', () => {
    expect(isNamespaceRelative('/../x')).toBe(true);
    expect(isNamespaceRelative('/..')).toBe(true);
    expect(isNamespaceRelative('/..x/y')).toBe(false);
    expect(isNamespaceRelative('/system.slice/docker-1.scope')).toBe(false);
  });

  it('never throws, and never leaves `..` in what it gives (bounded fuzz)', () => {
    const segment = fc.oneof(fc.constantFrom('..', '.', '', 'a', 'kubepods.slice'), fc.string({ maxLength: 12 }).filter((s) => !s.includes('/')));
    const path = fc.array(segment, { maxLength: 12 }).map((s) => `/${s.join('/')}`);
    fc.assert(
      fc.property(path, path, (p, root) => {
        const out = resolveCgroupPath(p, root);
        if (out !== undefined) {
          expect(out.startsWith('/')).toBe(true);
          expect(out.split('/')).not.toContain('..');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('findOwnCgroup', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bw-cgroupns-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A cgroup directory of the fixture tree with these pids in its cgroup.procs. */
  const cgroup = (path: string, pids: number[]) => {
    mkdirSync(join(dir, path), { recursive: true });
    writeFileSync(join(dir, path, 'cgroup.procs'), pids.map((p) => `${p}\n`).join(''));
  };

  it('finds the directory whose cgroup.procs lists the pid (a v2 node with kubepods)', () => {
    cgroup('/', [1, 2]);
    cgroup('/init.scope', [1]);
    cgroup('/kubepods.slice/kubepods-burstable.slice/podb.slice/cri-containerd-b.scope', [77, 78]);
    cgroup(AGENT, [4242]);
    cgroup('/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podaaa.slice/cri-containerd-side.scope', [42]);
    expect(findOwnCgroup(dir, 4242)).toBe(AGENT);
    expect(findOwnCgroup(dir, 42)).toBe('/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podaaa.slice/cri-containerd-side.scope');
    expect(findOwnCgroup(dir, 2)).toBe('/');
    expect(findOwnCgroup(dir, 9999)).toBeUndefined();
  });

  it('gives up on a missing tree', () => {
    expect(findOwnCgroup(join(dir, 'nothing'), 1)).toBeUndefined();
  });

  it('reads the pid of the process table it is given', () => {
    symlinkSync('/proc', join(dir, 'proc'));
    expect(ownPid(join(dir, 'proc'))).toBe(process.pid);
    expect(ownPid(join(dir, 'none'))).toBeUndefined();
  });
});
