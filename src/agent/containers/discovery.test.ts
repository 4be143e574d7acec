import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ContainerDiscovery, parsePpid } from './discovery.js';

/* A /proc of our own in a temp dir: each pid a folder with `cgroup` and `stat`, as the kernel lays them out. */

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
let root: string;

function proc(pid: number, ppid: number, cgroup: string, comm = 'sh'): void {
  mkdirSync(join(root, String(pid)), { recursive: true });
  writeFileSync(join(root, String(pid), 'cgroup'), cgroup);
  writeFileSync(join(root, String(pid), 'stat'), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0\n`);
}
const gone = (pid: number) => rmSync(join(root, String(pid)), { recursive: true });
const host = '0::/system.slice/sshd.service\n';
const podman = (id: string) => `1:cpu:/libpod_parent/libpod-${id}\n0::/libpod_parent/libpod-${id}\n`;

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('ContainerDiscovery', () => {
  it('groups processes by container; the init pid is the lowest whose parent is outside', () => {
    root = mkdtempSync(join(tmpdir(), 'bw-proc-'));
    proc(1, 0, host, 'systemd');
    proc(50, 1, host, 'conmon');
    // pid 60 is a child of 70 (a pid wrapped around): the init process is 70, whose parent is conmon.
    proc(60, 70, podman(A));
    proc(70, 50, podman(A));
    proc(80, 70, podman(A));
    proc(90, 1, `0::/system.slice/docker-${B}.scope\n`);
    writeFileSync(join(root, 'self'), ''); // not a pid
    const found = new ContainerDiscovery(root).scan();
    expect(found).toEqual([
      { id: A, runtime: 'podman', cgroupPath: `/libpod_parent/libpod-${A}`, initPid: 70, pids: [60, 70, 80] },
      { id: B, runtime: 'docker', cgroupPath: `/system.slice/docker-${B}.scope`, initPid: 90, pids: [90] },
    ]);
  });

  it('reads a pid once; forgets pids that are gone; sees new ones', () => {
    root = mkdtempSync(join(tmpdir(), 'bw-proc-'));
    proc(10, 1, podman(A));
    const discovery = new ContainerDiscovery(root);
    expect(discovery.scan().map((c) => c.id)).toEqual([A]);
    // Read once: rewriting the file does not move the process (a process does not change containers).
    writeFileSync(join(root, '10', 'cgroup'), host);
    expect(discovery.scan().map((c) => c.id)).toEqual([A]);
    gone(10);
    expect(discovery.scan()).toEqual([]);
    proc(10, 1, host);
    proc(11, 1, podman(B));
    expect(discovery.scan().map((c) => c.id)).toEqual([B]);
  });

  it('reads a process first seen on the host once more: a runtime moves a container\'s first process into its cgroup after cloning it', () => {
    root = mkdtempSync(join(tmpdir(), 'bw-proc-'));
    proc(50, 1, host, 'conmon');
    proc(60, 50, host, 'runc:[2:INIT]');
    const discovery = new ContainerDiscovery(root);
    expect(discovery.scan()).toEqual([]);
    writeFileSync(join(root, '60', 'cgroup'), podman(A));
    expect(discovery.scan()).toEqual([{ id: A, runtime: 'podman', cgroupPath: `/libpod_parent/libpod-${A}`, initPid: 60, pids: [60] }]);
    // Once more only: a host process is not read again every pass for its life.
    writeFileSync(join(root, '50', 'cgroup'), podman(B));
    expect(discovery.scan().map((c) => c.id)).toEqual([A]);
  });

  it('hands out the same container object while its processes are the same, a new one when they change', () => {
    root = mkdtempSync(join(tmpdir(), 'bw-proc-'));
    proc(10, 1, podman(A));
    const discovery = new ContainerDiscovery(root);
    const [first] = discovery.scan();
    expect(discovery.scan()[0]).toBe(first);
    proc(12, 10, podman(A));
    const [joined] = discovery.scan();
    expect(joined).not.toBe(first);
    expect([joined?.initPid, joined?.pids]).toEqual([10, [10, 12]]);
    expect(discovery.scan()[0]).toBe(joined);
  });

  it('uses the pass’s listing of the same procfs instead of listing it again; lists its own otherwise', () => {
    root = mkdtempSync(join(tmpdir(), 'bw-proc-'));
    proc(10, 1, podman(A));
    proc(11, 1, podman(B));
    const discovery = new ContainerDiscovery(root);
    // A listing taken before pid 11 started: 11 waits for the next one; a pid listed but gone is skipped.
    expect(discovery.scan({ root, names: ['10', '99', 'self'] }).map((c) => c.id)).toEqual([A]);
    expect(discovery.scan({ root: join(root, 'other'), names: ['10'] }).map((c) => c.id)).toEqual([A, B]);
  });

  it('a missing /proc or an unreadable process is no container, not an error', () => {
    root = mkdtempSync(join(tmpdir(), 'bw-proc-'));
    expect(new ContainerDiscovery(join(root, 'nope')).scan()).toEqual([]);
    mkdirSync(join(root, '12'));
    expect(new ContainerDiscovery(root).scan()).toEqual([]);
  });
});

describe('parsePpid', () => {
  it('reads past a command name with spaces and parentheses', () => {
    expect(parsePpid('42 (a) b (c)) S 7 42 42 0')).toBe(7);
    expect(parsePpid('garbage')).toBeUndefined();
  });

  it('never throws and gives a whole number or nothing (bounded fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const ppid = parsePpid(text);
        expect(ppid === undefined || (Number.isInteger(ppid) && ppid >= 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
