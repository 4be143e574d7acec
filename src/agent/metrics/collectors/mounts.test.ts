import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { fixtureTree } from '../../../../test/proc-fixture.js';
import { isRealMount, MountTable, unescapeMount } from './mounts.js';

describe('mounts', () => {
  // "mount fstype": kept, and left out.
  const real = ['/ ext4', '/var/lib/docker ext4' /* the runtime's own disk */, '/var/lib/docker/volumes/pgdata/_data nfs4', '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs xfs', '/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/pv1/mount ext4', '/tmp tmpfs', '/dev/shm tmpfs', '/mnt/data nfs4', '/devices ext4' /* a sibling of /dev, not under it */];
  const pseudo = ['/proc proc', '/sys/fs/cgroup/cpu cgroup', '/sys/fs/cgroup cgroup2', '/dev/pts devpts', '/dev/mqueue mqueue'];
  const kernelTrees = ['/run/credentials/x.service tmpfs', '/sys/fs/cgroup tmpfs', '/snap/core/1 squashfs'];
  // One or two a container: the host's disk series would grow with its containers.
  const containers = ['/var/lib/docker/overlay2/x/merged overlay', '/var/lib/docker/containers/x/mounts/shm tmpfs', '/var/lib/containers/storage/overlay-containers/x/userdata/shm tmpfs', '/run/containerd/io.containerd.runtime.v2.task/k8s.io/x/rootfs overlay', '/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/x/rootfs overlay', '/var/lib/rancher/k3s/agent/containerd/io.containerd.grpc.v1.cri/sandboxes/x/shm tmpfs', '/var/lib/kubelet/pods/u1/volumes/kubernetes.io~projected/kube-api-access-x tmpfs'];
  it.each([...real.map((m) => [m, true] as const), ...[...pseudo, ...kernelTrees, ...containers].map((m) => [m, false] as const)])(
    'keeps real filesystems and tmpfs, drops pseudo ones, kernel trees and containers\' own mounts: %s kept is %s',
    (line, kept) => {
      const [mount = '', fstype = ''] = line.split(' ');
      expect(isRealMount({ mount, fstype, device: 'x' })).toBe(kept);
    },
  );

  it('decodes mount escapes', () => {
    expect(unescapeMount('/mnt/my\\040disk\\011x\\134y')).toBe('/mnt/my disk\tx\\y');
  });
});

describe('MountTable', () => {
  it('lists the real mounts of /proc/self/mounts with their labels; local ones are asked inline', () => {
    const tree = fixtureTree();
    const mounts = new MountTable(tree.procRoot, tree.ctx.reader, isRealMount, true).refresh();
    expect(mounts.map((m) => m.entry.mount)).toEqual(['/', '/run', '/dev/shm', '/mnt/my disk', '/srv/merged', '/mnt/nfs']);
    expect(mounts[0]).toEqual({ entry: { device: '/dev/sda1', mount: '/', fstype: 'ext4' }, sync: true, labels: { mount: '/', device: '/dev/sda1', fstype: 'ext4' } });
    expect(mounts.filter((m) => m.sync).map((m) => m.entry.mount)).toEqual(['/', '/run', '/dev/shm', '/mnt/my disk']);
  });

  it('never asks inline with an injected statfs, and lets a later mount on the same point hide the earlier', () => {
    const tree = fixtureTree();
    const table = new MountTable(tree.procRoot, tree.ctx.reader, (m) => m.mount === '/', false);
    expect(table.refresh().map((m) => m.sync)).toEqual([false]);
    tree.write('self/mounts', `${tree.read('self/mounts')}/dev/sdc1 / xfs rw 0 0\n`);
    expect(table.refresh().map((m) => m.entry)).toEqual([{ device: '/dev/sdc1', mount: '/', fstype: 'xfs' }]);
    table.close(); // a held descriptor would still read the deleted file
    tree.remove();
    expect(table.refresh()).toEqual([]);
  });

  it('lists another process\'s mount namespace when told (the node\'s, PID 1, from a pod): not its own', () => {
    const tree = fixtureTree();
    mkdirSync(join(tree.procRoot, '1'), { recursive: true });
    tree.write('1/mounts', '/dev/nvme0n1p1 / ext4 rw 0 0\n/dev/nvme1n1 /var/lib/containerd xfs rw 0 0\nproc /proc proc rw 0 0\n');
    const table = new MountTable(tree.procRoot, tree.ctx.reader, isRealMount, true, '1');
    expect(table.refresh().map((m) => `${m.entry.device} ${m.entry.mount}`)).toEqual(['/dev/nvme0n1p1 /', '/dev/nvme1n1 /var/lib/containerd']);
  });
});
