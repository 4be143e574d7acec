import { afterEach, describe, expect, it } from 'vitest';

import { fixtureTree, type FixtureTree } from '../fixture-tree.js';
import { isRealMount, MountTable, unescapeMount } from './mounts.js';

describe('mounts', () => {
  it('keeps real filesystems and tmpfs, drops pseudo ones and kernel trees', () => {
    const keep = (mount: string, fstype: string, device = 'x'): boolean => isRealMount({ mount, fstype, device });
    expect(keep('/', 'ext4')).toBe(true);
    expect(keep('/var/lib/docker/overlay2/x/merged', 'overlay')).toBe(true);
    expect(keep('/tmp', 'tmpfs')).toBe(true);
    expect(keep('/dev/shm', 'tmpfs')).toBe(true);
    expect(keep('/mnt/data', 'nfs4')).toBe(true);
    expect(keep('/proc', 'proc')).toBe(false);
    expect(keep('/sys/fs/cgroup/cpu', 'cgroup')).toBe(false);
    expect(keep('/sys/fs/cgroup', 'cgroup2')).toBe(false);
    expect(keep('/dev/pts', 'devpts')).toBe(false);
    expect(keep('/dev/mqueue', 'mqueue')).toBe(false);
    expect(keep('/run/credentials/x.service', 'tmpfs')).toBe(false);
    expect(keep('/sys/fs/cgroup', 'tmpfs')).toBe(false);
    expect(keep('/devices', 'ext4')).toBe(true); // a sibling of /dev, not under it
    expect(keep('/snap/core/1', 'squashfs')).toBe(false);
  });

  it('decodes mount escapes', () => {
    expect(unescapeMount('/mnt/my\\040disk\\011x\\134y')).toBe('/mnt/my disk\tx\\y');
  });
});

describe('MountTable', () => {
  let tree: FixtureTree;
  afterEach(() => tree.remove());

  it('lists the real mounts of /proc/self/mounts with their labels; local ones are asked inline', () => {
    tree = fixtureTree();
    const mounts = new MountTable(tree.procRoot, tree.ctx.reader, isRealMount, true).refresh();
    expect(mounts.map((m) => m.entry.mount)).toEqual(['/', '/run', '/dev/shm', '/mnt/my disk', '/var/lib/docker/overlay2/abc/merged', '/mnt/nfs']);
    expect(mounts[0]).toEqual({ entry: { device: '/dev/sda1', mount: '/', fstype: 'ext4' }, sync: true, labels: { mount: '/', device: '/dev/sda1', fstype: 'ext4' } });
    expect(mounts.filter((m) => m.sync).map((m) => m.entry.mount)).toEqual(['/', '/run', '/dev/shm', '/mnt/my disk']);
  });

  it('never asks inline with an injected statfs, and lets a later mount on the same point hide the earlier', () => {
    tree = fixtureTree();
    const table = new MountTable(tree.procRoot, tree.ctx.reader, (m) => m.mount === '/', false);
    expect(table.refresh().map((m) => m.sync)).toEqual([false]);
    tree.write('self/mounts', `${tree.read('self/mounts')}/dev/sdc1 / xfs rw 0 0\n`);
    expect(table.refresh().map((m) => m.entry)).toEqual([{ device: '/dev/sdc1', mount: '/', fstype: 'xfs' }]);
    table.close(); // a held descriptor would still read the deleted file
    tree.remove();
    expect(table.refresh()).toEqual([]);
  });
});
