import { describe, expect, it } from 'vitest';

import type { Sample } from '../types.js';
import { DiskCollector, type StatFsLike } from './disks.js';
import type { MountState } from './mounts.js';

const mount = (path: string): MountState => {
  const entry = { device: 'dev', mount: path, fstype: 'nfs4' };
  return { entry, sync: false, labels: { mount: path, device: 'dev', fstype: 'nfs4' } };
};

const ROOT: StatFsLike = { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 100, ffree: 25 };

describe('DiskCollector', () => {
  it('reports usage as df does (used / (used + available)), free bytes, and inodes as df -i does (IUse%, IUsed, IFree)', async () => {
    const disks = new DiskCollector(() => Promise.resolve(ROOT), 20);
    const host: Sample[] = [];
    disks.report(await disks.start([mount('/')]), host);
    const labels = { mount: '/', device: 'dev', fstype: 'nfs4' };
    expect(host).toEqual([
      { name: 'disk_usage', labels, value: expect.closeTo((600 / 900) * 100, 10) },
      { name: 'disk_free_bytes', labels, value: 300 * 4096 },
      { name: 'inode_usage', labels, value: 75 },
      { name: 'inode_used', labels, value: 75 },
      { name: 'inode_free', labels, value: 25 },
    ]);
    expect(disks.skippedMounts).toEqual([]);
  });

  it('reaches each mount through the path prefix it is given (the node\'s root from a pod), labelled with the mount\'s own path', async () => {
    const asked: string[] = [];
    const disks = new DiskCollector((p) => (asked.push(p), Promise.resolve(ROOT)), 20, '/host/proc/1/root');
    const host: Sample[] = [];
    disks.report(await disks.start([mount('/'), mount('/var/lib')]), host);
    expect(asked).toEqual(['/host/proc/1/root/', '/host/proc/1/root/var/lib']);
    expect(host.filter((s) => s.name === 'disk_usage').map((s) => s.labels!.mount)).toEqual(['/', '/var/lib']);
  });

  it('reports no inode usage without inode counts, and nothing for an empty filesystem', async () => {
    const stats: Record<string, StatFsLike> = {
      '/vfat': { ...ROOT, files: 0, ffree: 0 },
      '/empty': { ...ROOT, blocks: 0, bfree: 0, bavail: 0 },
    };
    const disks = new DiskCollector((p) => Promise.resolve(stats[p]!), 20);
    const host: Sample[] = [];
    disks.report(await disks.start([mount('/vfat'), mount('/empty')]), host);
    expect(host.map((s) => `${s.name} ${s.labels!.mount}`)).toEqual(['disk_usage /vfat', 'disk_free_bytes /vfat']);
  });

  it('skips a mount whose statfs fails or hangs, and asks a hung one again only once it answered', async () => {
    const calls: string[] = [];
    let release: (() => void) | undefined;
    const disks = new DiskCollector((p) => {
      calls.push(p);
      if (p === '/gone') return Promise.reject(new Error('ENOENT'));
      return new Promise((resolve) => (release = () => resolve(ROOT)));
    }, 20);
    const mounts = [mount('/hung'), mount('/gone')];
    disks.report(await disks.start(mounts), []);
    expect(disks.skippedMounts).toEqual(['/hung', '/gone']);
    disks.report(await disks.start(mounts), []);
    expect(calls).toEqual(['/hung', '/gone', '/gone']);
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    disks.start(mounts);
    expect(calls.filter((p) => p === '/hung')).toHaveLength(2);
  });
});
