import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { hostValue, procOf as proc, sampleOf } from '../../../test/proc-fixture.js';
import { isRealMount, ProcSource } from './proc-source.js';
import type { Snapshot } from './types.js';

// The real /proc of this machine: values in sane ranges, real processes coming and going (exact
// parsing of a whole pass on a fixture tree is in proc-source-fixture.test.ts, each collector's own
// cases in collectors/*.test.ts). No assertion is about timing: the waits below only poll until the
// kernel shows what a test set up, bounded to catch hangs.

/** Collects until `pred` holds (at most `tries` passes, `everyMs` apart); the last snapshot. */
async function collectUntil(src: ProcSource, pred: (s: Snapshot) => boolean, tries = 150, everyMs = 100): Promise<Snapshot> {
  let snap = await src.collect();
  for (let i = 0; i < tries && !pred(snap); i++) {
    await sleep(everyMs);
    snap = await src.collect();
  }
  return snap;
}

describe('ProcSource on the real /proc', () => {
  const sources: ProcSource[] = [];
  const children: ChildProcess[] = [];
  const source = (): ProcSource => {
    const s = new ProcSource();
    sources.push(s);
    return s;
  };
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const s of sources.splice(0)) s.close();
  });

  it('reports every host metric of the catalogue, with its labels, in sane ranges', async () => {
    const src = source();
    const first = await src.collect();
    // Deltas need two readings: the first pass has no cpu_usage, cpu_iowait or network rates.
    expect(hostValue(first, 'cpu_usage')).toBeUndefined();
    expect(hostValue(first, 'net_rx_bytes_rate')).toBeUndefined();
    await sleep(300);
    const snap = await src.collect();

    const spec = BUILTIN_CATALOGUE.resources.host.metrics;
    for (const s of snap.host) {
      const m = spec.find((x) => x.name === s.name);
      expect(m, s.name).toBeDefined();
      expect(Object.keys(s.labels ?? {}).sort(), s.name).toEqual([...m!.labels].sort());
      expect(Number.isFinite(s.value), s.name).toBe(true);
      expect(s.value, s.name).toBeGreaterThanOrEqual(0);
      if (m!.dim === 'percent') expect(s.value, s.name).toBeLessThanOrEqual(100);
    }
    const names = new Set(snap.host.map((s) => s.name));
    const always = spec.map((m) => m.name).filter((n) => !n.startsWith('net_')); // this machine may have no interface but lo
    for (const n of always) expect(names, n).toContain(n);

    expect(hostValue(snap, 'mem_available_bytes')).toBeLessThanOrEqual(os.totalmem());
    expect(hostValue(snap, 'mem_usage')).toBeGreaterThan(0);
    expect(Math.abs(hostValue(snap, 'uptime_seconds')! - os.uptime())).toBeLessThan(5);
    expect(hostValue(snap, 'load1')).toBeCloseTo(os.loadavg()[0]!, 0);
    expect(hostValue(snap, 'process_count')).toBe(snap.processes.length);
    expect(hostValue(snap, 'zombie_count')).toBe(snap.processes.filter((p) => p.info.state === 'Z').length);
    expect(snap.processes.length).toBeGreaterThan(2);
    expect(snap.host.some((s) => s.name === 'net_rx_bytes_rate' && s.labels?.iface === 'lo')).toBe(false);
    for (const s of snap.host.filter((x) => x.labels?.mount !== undefined)) {
      expect(isRealMount({ mount: s.labels!.mount!, device: s.labels!.device!, fstype: s.labels!.fstype! })).toBe(true);
    }

    const pm = BUILTIN_CATALOGUE.resources.process.metrics.map((m) => m.name);
    for (const p of snap.processes) {
      for (const s of p.samples) expect(pm, s.name).toContain(s.name);
      expect(p.samples.map((s) => s.name)).toEqual(expect.arrayContaining(['mem_rss_bytes', 'thread_count', 'uptime_seconds']));
    }
  });

  it('sees its own process with the right pid, name, user and figures', async () => {
    const src = source();
    await src.collect();
    await sleep(100);
    const snap = await src.collect();
    const me = proc(snap, process.pid);
    expect(me).toBeDefined();
    const { info, samples } = me!;
    expect(info.ppid).toBe(process.ppid);
    expect(info.name).toBe(readFileSync(`/proc/${process.pid}/comm`, 'utf8').trimEnd());
    expect(info.cmdline).toBe(readFileSync(`/proc/${process.pid}/cmdline`, 'utf8').replace(/\0+$/, '').replaceAll('\0', ' '));
    expect(info.user).toBe(os.userInfo().username);
    expect(['R', 'S']).toContain(info.state);
    const bornAt = Date.now() / 1000 - process.uptime();
    expect(Math.abs(info.startTime - bornAt)).toBeLessThan(5);
    expect(Math.abs(sampleOf(samples, 'uptime_seconds')! - process.uptime())).toBeLessThan(5);
    const rss = sampleOf(samples, 'mem_rss_bytes')!;
    expect(rss).toBeGreaterThan(process.memoryUsage().rss / 2);
    expect(rss).toBeLessThan(process.memoryUsage().rss * 2);
    expect(sampleOf(samples, 'thread_count')).toBeGreaterThanOrEqual(1);
    const cpu = sampleOf(samples, 'cpu_usage');
    expect(cpu).toBeGreaterThanOrEqual(0);
    expect(cpu).toBeLessThanOrEqual(100 * os.cpus().length);
  });

  it('sees a child process with its command line and user, and forgets it once killed', async () => {
    const src = source();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid!;
    // Polls until the child has exec'd (before that it is a copy of node).
    const seen = await collectUntil(src, (s) => proc(s, pid)?.info.name === 'sleep');
    const info = proc(seen, pid)!.info;
    expect(info).toMatchObject({ pid, ppid: process.pid, name: 'sleep', cmdline: 'sleep 30', user: os.userInfo().username });

    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    const after = await src.collect();
    expect(proc(after, pid)).toBeUndefined();
  });

  it('counts a zombie: a child its parent never reaps', async () => {
    const src = source();
    // sh starts `sleep 0.1` in the background, then becomes `sleep 30` by exec: the short sleep's
    // parent is now a program that never calls wait(), so when it exits it stays a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & exec sleep 30'], { stdio: 'ignore' });
    children.push(parent);
    await new Promise((resolve) => parent.once('spawn', resolve));
    const isOurZombie = (s: Snapshot): boolean => s.processes.some((p) => p.info.ppid === parent.pid && p.info.state === 'Z');
    const snap = await collectUntil(src, isOurZombie);
    expect(isOurZombie(snap)).toBe(true);
    const zombie = snap.processes.find((p) => p.info.ppid === parent.pid && p.info.state === 'Z')!;
    expect(zombie.info.name).toBe('sleep');
    expect(hostValue(snap, 'zombie_count')).toBeGreaterThanOrEqual(1);
    expect(hostValue(snap, 'zombie_count')).toBe(snap.processes.filter((p) => p.info.state === 'Z').length);
  });

  it('reports disk metrics for the filesystem holding the temporary directory', async () => {
    const src = source();
    const snap = await src.collect();
    const tmp = os.tmpdir();
    const mounts = snap.host.filter((s) => s.name === 'disk_usage').map((s) => s.labels!.mount!);
    const under = (m: string): boolean => m === '/' || tmp === m || tmp.startsWith(m + '/');
    const mount = mounts.filter(under).sort((a, b) => b.length - a.length)[0];
    expect(mount, `a disk_usage series for a mount holding ${tmp} among ${mounts.join(', ')}`).toBeDefined();
    const usage = hostValue(snap, 'disk_usage', { mount: mount! })!;
    expect(usage).toBeGreaterThanOrEqual(0);
    expect(usage).toBeLessThanOrEqual(100);
    const st = statfsSync(tmp);
    expect(hostValue(snap, 'disk_free_bytes', { mount: mount! })).toBeCloseTo(st.bavail * st.bsize, -9); // within ~1 GB: others write too
  });

  describe('on a tmpfs of its own', () => {
    const isRoot = process.getuid?.() === 0;
    const dir = mkdtempSync(join(os.tmpdir(), 'bw-tmpfs-'));
    let mounted = false;
    afterAll(() => {
      if (mounted) execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    });

    it.skipIf(!isRoot)('sees disk_usage rise after writing 4 MB into an 8 MB tmpfs (needs root to mount; skipped otherwise)', async (ctx) => {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
        mounted = true;
      } catch (e) {
        ctx.skip(`cannot mount a tmpfs here: ${(e as Error).message.split('\n')[0]}`);
      }
      const src = source();
      const before = await src.collect();
      const labels = { mount: dir, device: 'tmpfs', fstype: 'tmpfs' };
      const usage0 = hostValue(before, 'disk_usage', labels);
      const free0 = hostValue(before, 'disk_free_bytes', labels);
      expect(usage0).toBeDefined();
      expect(usage0).toBeLessThan(5);
      expect(free0).toBeGreaterThan(7 * 1024 * 1024);

      writeFileSync(join(dir, 'fill'), Buffer.alloc(4 * 1024 * 1024, 1));
      const after = await src.collect();
      expect(hostValue(after, 'disk_usage', labels)).toBeGreaterThan(45);
      expect(hostValue(after, 'disk_usage', labels)).toBeLessThan(60);
      expect(free0! - hostValue(after, 'disk_free_bytes', labels)!).toBeGreaterThanOrEqual(4 * 1024 * 1024);
      expect(hostValue(after, 'inode_usage', labels)).toBeGreaterThan(0);
    });
  });

  it('counts open descriptors on demand, undefined for a process that does not exist', async () => {
    const src = source();
    const fds = await src.onDemand(process.pid, 'fd_count');
    expect(fds).toBeGreaterThanOrEqual(3);
    expect(await src.onDemand(4_194_305, 'fd_count')).toBeUndefined(); // above the largest pid_max
    const limit = await src.onDemand(process.pid, 'fd_limit');
    expect(limit).toBeGreaterThan(0);
    const usage = await src.onDemand(process.pid, 'fd_usage');
    expect(usage).toBeGreaterThan(0);
    expect(usage).toBeLessThanOrEqual(100);
  });

  it('reads the host facts', async () => {
    const facts = await source().facts();
    expect(facts.hostname).toBe(os.hostname());
    expect(facts.machineId).not.toBe('');
    expect(facts).toMatchObject({ os: 'linux', arch: process.arch, kernel: os.release() });
    expect(facts.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(facts.distro).not.toBe('');
  });
});
