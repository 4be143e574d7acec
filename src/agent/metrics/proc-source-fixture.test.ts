import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, describe, expect, it } from 'vitest';

import { FIXTURES, hostValue, procOf as proc, sampleOf } from '../../../test/proc-fixture.js';
import { ProcSource, type ProcSourceOptions, type StatFsLike } from './proc-source.js';

// A whole pass of ProcSource on the fixture tree under ./fixtures, asserted exactly: host files,
// processes, mounts, the rates between passes and the caches (the real /proc is in
// proc-source.test.ts; each collector's own cases are in collectors/*.test.ts).

describe('ProcSource on a fixture /proc', () => {
  const root = mkdtempSync(join(os.tmpdir(), 'bw-procfix-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let seq = 0;

  /** A fresh copy of the fixture tree (tests rewrite files in it between passes). */
  function fixture(): { procRoot: string; write: (path: string, text: string) => void; read: (path: string) => string } {
    const procRoot = join(root, String(++seq));
    cpSync(join(FIXTURES, 'proc'), procRoot, { recursive: true });
    return {
      procRoot,
      write: (path, text) => writeFileSync(join(procRoot, path), text),
      read: (path) => readFileSync(join(procRoot, path), 'utf8'),
    };
  }

  const FS: Record<string, StatFsLike> = {
    '/': { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 100, ffree: 25 },
    '/run': { bsize: 4096, blocks: 400, bfree: 400, bavail: 400, files: 1000, ffree: 990 },
    '/dev/shm': { bsize: 4096, blocks: 100, bfree: 50, bavail: 50, files: 10, ffree: 9 },
    '/mnt/my disk': { bsize: 1024, blocks: 2000, bfree: 1000, bavail: 1000, files: 0, ffree: 0 },
    '/srv/merged': { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 100, ffree: 25 },
  };

  /** statfs from the table; `/mnt/nfs` hangs (until released), anything else is ENOENT. */
  function fakeStatfs(): { statfs: (p: string) => Promise<StatFsLike>; calls: string[]; releaseNfs: () => void } {
    const calls: string[] = [];
    let release: (() => void) | undefined;
    return {
      calls,
      releaseNfs: () => release?.(),
      statfs: (p) => {
        calls.push(p);
        if (p === '/mnt/nfs') {
          return new Promise((resolve) => {
            release = () => resolve({ bsize: 4096, blocks: 10, bfree: 5, bavail: 5, files: 10, ffree: 5 });
          });
        }
        const st = FS[p];
        return st ? Promise.resolve(st) : Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
      },
    };
  }

  function make(procRoot: string, extra: ProcSourceOptions = {}) {
    let mono = 10_000;
    const fake = fakeStatfs();
    const src = new ProcSource({
      procRoot,
      etcRoot: join(FIXTURES, 'etc'),
      statfs: fake.statfs,
      statfsTimeoutMs: 20,
      clock: () => 1_700_005_000_000,
      monotonic: () => mono,
      ...extra,
    });
    return { src, fake, advance: (ms: number) => (mono += ms) };
  }

  it('parses host files, processes and mounts exactly', async () => {
    const { procRoot } = fixture();
    const { src, fake } = make(procRoot);
    const snap = await src.collect();
    src.close();

    expect(snap.time).toBe(1_700_005_000_000);
    expect(hostValue(snap, 'cpu_usage')).toBeUndefined();
    expect(hostValue(snap, 'cpu_iowait')).toBeUndefined();
    expect(hostValue(snap, 'load1')).toBeCloseTo(0.52, 10);
    expect(hostValue(snap, 'load5')).toBeCloseTo(1.25, 10);
    expect(hostValue(snap, 'oom_kills')).toBe(3); // the fixture's /proc/vmstat
    expect(hostValue(snap, 'load15')).toBeCloseTo(2, 10);
    expect(hostValue(snap, 'mem_usage')).toBeCloseTo(75, 10);
    expect(hostValue(snap, 'mem_available_bytes')).toBe(2_000_000 * 1024);
    expect(hostValue(snap, 'swap_usage')).toBe(0); // no swap
    expect(hostValue(snap, 'fd_usage')).toBeCloseTo(1, 10);
    expect(hostValue(snap, 'uptime_seconds')).toBeCloseTo(5000.5, 10);
    expect(hostValue(snap, 'process_count')).toBe(4);
    expect(hostValue(snap, 'zombie_count')).toBe(1);
    // The listing is handed on whole (the container discovery's), the fixture's non-pid entries too.
    expect(snap.procListing?.root).toBe(procRoot);
    expect(snap.procListing?.names).toEqual(expect.arrayContaining(['1', '42', 'stat']));

    // Pseudo filesystems, mounts under /proc, /sys, /dev (but /dev/shm) and /run/credentials,
    // squashfs images and a container's root in docker's tree are left out; the hung NFS mount is skipped for the pass.
    const mounts = snap.host.filter((s) => s.name === 'disk_usage').map((s) => s.labels!.mount);
    expect(mounts.sort()).toEqual(['/', '/dev/shm', '/mnt/my disk', '/run', '/srv/merged']);
    expect(src.skippedMounts).toEqual(['/mnt/nfs']);
    expect(fake.calls.sort()).toEqual(['/', '/dev/shm', '/mnt/my disk', '/mnt/nfs', '/run', '/srv/merged']);
    const root = { mount: '/', device: '/dev/sda1', fstype: 'ext4' };
    expect(snap.host.find((s) => s.name === 'disk_usage' && s.labels?.mount === '/')!.labels).toEqual(root);
    expect(hostValue(snap, 'disk_usage', root)).toBeCloseTo((600 / 900) * 100, 10); // df: used / (used + avail)
    expect(hostValue(snap, 'disk_free_bytes', root)).toBe(300 * 4096);
    expect(hostValue(snap, 'inode_usage', root)).toBeCloseTo(75, 10);
    expect(hostValue(snap, 'disk_usage', { mount: '/mnt/my disk' })).toBeCloseTo(50, 10);
    expect(hostValue(snap, 'inode_usage', { mount: '/mnt/my disk' })).toBeUndefined(); // no inode counts (btrfs, vfat)

    expect(snap.processes.map((p) => p.info.pid).sort((a, b) => a - b)).toEqual([1, 2, 42, 43]); // 77 and 88 vanished
    const weird = proc(snap, 42)!;
    expect(weird.info).toEqual({
      pid: 42,
      ppid: 1,
      name: 'my )(weird) p',
      cmdline: 'my-prog --flag a b',
      user: 'alice',
      state: 'S',
      startTime: 1_700_000_123, // btime + 12345 ticks
    });
    expect(sampleOf(weird.samples, 'cpu_usage')).toBeUndefined();
    expect(sampleOf(weird.samples, 'mem_rss_bytes')).toBe(2560 * 4096);
    expect(sampleOf(weird.samples, 'thread_count')).toBe(3);
    expect(sampleOf(weird.samples, 'uptime_seconds')).toBeCloseTo(5000.5 - 123.45, 6);
    expect(proc(snap, 43)!.info).toMatchObject({ state: 'Z', ppid: 42, user: '1001', cmdline: '', name: 'defunct' });
    expect(proc(snap, 2)!.info).toMatchObject({ name: 'kthreadd', user: 'root', cmdline: '' });
    expect(proc(snap, 1)!.info).toMatchObject({ name: 'systemd', user: 'root', cmdline: '/sbin/init splash' });
  });

  it('computes cpu, network and per-process rates from deltas between passes', async () => {
    const f = fixture();
    const { src, fake, advance } = make(f.procRoot);
    await src.collect();

    advance(2000);
    f.write('stat', f.read('stat').replace('cpu  1000 0 500 8000 100', 'cpu  1300 0 600 8500 200'));
    f.write('uptime', '5002.50 9003.00\n');
    f.write('net/dev', f.read('net/dev').replace('1000       9', '5000      19').replace('500       6', '2500      16'));
    f.write('42/stat', f.read('42/stat').replace(' 150 50 ', ' 220 60 '));
    // A process born after the first pass: its count then was 0, so it has a rate at once.
    cpSync(join(f.procRoot, '1'), join(f.procRoot, '99'), { recursive: true });
    f.write('99/stat', f.read('1/stat').replace(/^1 \(systemd\)/, '99 (worker)').replace(' 300 200 ', ' 20 10 ').replace(' 0 2 104857600', ' 0 500100 104857600'));
    const snap = await src.collect();
    src.close();

    // /proc/stat deltas: user +300, system +100, idle +500, iowait +100 of 1000.
    expect(hostValue(snap, 'cpu_usage')).toBeCloseTo(40, 10);
    expect(hostValue(snap, 'cpu_iowait')).toBeCloseTo(10, 10);
    expect(hostValue(snap, 'net_rx_bytes_rate', { iface: 'eth0' })).toBeCloseTo(2000, 10);
    expect(hostValue(snap, 'net_tx_bytes_rate', { iface: 'eth0' })).toBeCloseTo(1000, 10);
    expect(hostValue(snap, 'net_rx_bytes_rate', { iface: 'docker0' })).toBe(0);
    expect(snap.host.some((s) => s.labels?.iface === 'lo')).toBe(false);
    // 80 ticks in 2 s = 0.8 s of cpu in 2 s.
    expect(sampleOf(proc(snap, 42)!.samples, 'cpu_usage')).toBeCloseTo(40, 10);
    expect(sampleOf(proc(snap, 1)!.samples, 'cpu_usage')).toBe(0);
    expect(sampleOf(proc(snap, 99)!.samples, 'cpu_usage')).toBeCloseTo(15, 10);
    expect(proc(snap, 99)!.info.name).toBe('worker');
    // The hung statfs of the first pass is still outstanding: not issued again.
    expect(fake.calls.filter((p) => p === '/mnt/nfs')).toHaveLength(1);
    expect(src.skippedMounts).toEqual(['/mnt/nfs']);
  });

  it('gives no process cpu_usage for passes too close together, and keeps the older baseline', async () => {
    const f = fixture();
    const { src, advance } = make(f.procRoot);
    await src.collect();
    advance(10);
    f.write('42/stat', f.read('42/stat').replace(' 150 50 ', ' 151 50 '));
    const close = await src.collect();
    expect(sampleOf(proc(close, 42)!.samples, 'cpu_usage')).toBeUndefined(); // 1 tick in 10 ms would read 100 %
    advance(990);
    f.write('42/stat', f.read('42/stat').replace(' 151 50 ', ' 160 50 '));
    const later = await src.collect();
    src.close();
    expect(sampleOf(proc(later, 42)!.samples, 'cpu_usage')).toBeCloseTo(10, 10); // 10 ticks over the whole second
  });

  it('picks a mount up again once its hung statfs returns', async () => {
    const { procRoot } = fixture();
    const { src, fake } = make(procRoot);
    await src.collect();
    fake.releaseNfs();
    await sleep(0);
    const snap = await src.collect();
    src.close();
    expect(fake.calls.filter((p) => p === '/mnt/nfs')).toHaveLength(2);
    // The second call hangs again (a new promise), so the mount is skipped again: no stale numbers.
    expect(src.skippedMounts).toEqual(['/mnt/nfs']);
    expect(hostValue(snap, 'disk_usage', { mount: '/mnt/nfs' })).toBeUndefined();
  });

  it('caches command lines, re-reads them when a process execs or after refreshSeconds; a reused pid is a new process', async () => {
    const f = fixture();
    const { src, advance } = make(f.procRoot, { refreshSeconds: 30 });
    await src.collect();
    advance(1000);
    await src.collect(); // the second sighting re-reads cmdline and uid once (fork, then setuid)
    advance(1000);
    // exec: same pid and start time, a new comm (of the same length, so only its bytes tell)
    f.write('42/stat', f.read('42/stat').replace('(my )(weird) p)', '(node-exporter)'));
    f.write('42/cmdline', 'node_exporter\0--web.listen-address=:9100\0');
    f.write('1/cmdline', '/sbin/init\0quiet\0'); // setproctitle-like change, comm unchanged: cached
    f.write('43/stat', f.read('43/stat').replace('(defunct) Z 42', '(fresh) S 1').replace(' 20000 ', ' 500010 '));
    f.write('43/cmdline', 'fresh\0');
    f.write('43/status', f.read('43/status').replace('Uid:\t1001', 'Uid:\t0'));
    f.write('uptime', '5001.50 9003.00\n');
    const snap = await src.collect();
    expect(proc(snap, 42)!.info).toMatchObject({ name: 'node-exporter', cmdline: 'node_exporter --web.listen-address=:9100', startTime: 1_700_000_123 });
    expect(proc(snap, 43)!.info).toMatchObject({ name: 'fresh', cmdline: 'fresh', user: 'root', state: 'S', startTime: 1_700_005_000 });
    expect(hostValue(snap, 'zombie_count')).toBe(0);
    expect(proc(snap, 1)!.info.cmdline).toBe('/sbin/init splash');
    advance(30_000);
    const later = await src.collect();
    src.close();
    expect(proc(later, 1)!.info.cmdline).toBe('/sbin/init quiet');
  });

  it('takes a custom mount filter', async () => {
    const { procRoot } = fixture();
    const { src, fake } = make(procRoot, { mountFilter: (m) => m.mount === '/' });
    const snap = await src.collect();
    src.close();
    expect(snap.host.filter((s) => s.name === 'disk_usage').map((s) => s.labels!.mount)).toEqual(['/']);
    expect(fake.calls).toEqual(['/']);
  });

  it('reads facts from the fixture etc and fd counts from the fixture tree', async () => {
    const { procRoot } = fixture();
    const { src } = make(procRoot);
    const facts = await src.facts();
    expect(facts).toMatchObject({ machineId: '0123456789abcdef0123456789abcdef', distro: 'ubuntu 22.04', os: 'linux' });
    expect(await src.onDemand(42, 'fd_count')).toBe(3);
    expect(await src.onDemand(4242, 'fd_count')).toBeUndefined();
    // The soft limit, not the hard one; usage is the count over it.
    expect(await src.onDemand(42, 'fd_limit')).toBe(12);
    expect(await src.onDemand(42, 'fd_usage')).toBe(25);
    expect(await src.onDemand(4242, 'fd_usage')).toBeUndefined();
    // A process whose limits cannot be read has neither a limit nor a usage.
    expect(await src.onDemand(77, 'fd_limit')).toBeUndefined();
    expect(await src.onDemand(77, 'fd_usage')).toBeUndefined();
    src.close();
  });

  it('survives a missing procfs', async () => {
    const src = new ProcSource({ procRoot: join(root, 'nowhere'), statfs: () => Promise.reject(new Error('no')) });
    const snap = await src.collect();
    expect(snap.processes).toEqual([]);
    expect(snap.procListing).toBeUndefined();
    expect(snap.host.map((s) => s.name)).toEqual(['process_count', 'zombie_count']);
    src.close();
  });
});
