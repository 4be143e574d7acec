import { HeldFile, type Reader } from '../proc-read.js';

/** A mounted filesystem as /proc/self/mounts lists it (escapes such as `\040` decoded). */
export interface MountEntry {
  readonly device: string;
  readonly mount: string;
  readonly fstype: string;
}

/** A mount that gets disk metrics. */
export interface MountState {
  readonly entry: MountEntry;
  /** statfs is answered from in-memory counters and the path crosses no network mount: call it inline. */
  readonly sync: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

/** Filesystem types that hold no user data (or are read-only images that are always full). */
const PSEUDO_FS = new Set([
  'proc', 'sysfs', 'devpts', 'mqueue', 'debugfs', 'tracefs', 'securityfs', 'pstore', 'bpf', 'configfs',
  'fusectl', 'hugetlbfs', 'autofs', 'binfmt_misc', 'rpc_pipefs', 'nsfs', 'efivarfs', 'selinuxfs',
  'devtmpfs', 'ramfs', 'rootfs', 'squashfs', 'nfsd', 'sockfs', 'pipefs', 'binder', 'fuse.lxcfs',
  'fuse.gvfsd-fuse', 'fuse.portal', 'fuse.snapfuse',
]);

/**
 * Filesystems whose statfs only reads in-memory counters (no I/O, no network): a thread-pool round
 * trip costs ten times the call itself, so these are called inline. Everything else (nfs, cifs,
 * fuse, ceph, btrfs, zfs, overlay, ...) goes through the thread pool under a timeout.
 */
const SYNC_STATFS_FS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'tmpfs', 'vfat']);
/** Filesystems a path lookup may cross on its way to a mount point without risk of blocking. */
const LOCAL_FS = new Set([...SYNC_STATFS_FS, 'overlay', 'rootfs', 'btrfs', 'zfs', 'devtmpfs', 'proc', 'sysfs']);

/** Whether every mount above `mount` (the file systems its path lookup walks) is local. */
function crossesOnlyLocal(mount: string, byMount: ReadonlyMap<string, MountEntry>): boolean {
  let p = mount;
  while (p !== '/' && p !== '') {
    const slash = p.lastIndexOf('/');
    p = slash <= 0 ? '/' : p.slice(0, slash);
    const parent = byMount.get(p);
    if (parent && !LOCAL_FS.has(parent.fstype)) return false;
  }
  return true;
}

/** Trees of kernel interfaces: mounts at or under them are not storage operators fill. */
const PSEUDO_TREES = ['/proc', '/sys', '/dev', '/run/credentials', '/run/netns', '/run/docker/netns', '/run/snapd/ns'];
/**
 * The container runtimes' own trees: an overlay or tmpfs mounted under them is a container's (its
 * root overlay, whose statfs is the disk beneath it again; its /dev/shm; its secrets), one or more
 * a container, so the host's series would grow with its containers (issue 14's benchmark: 50
 * containers, 50 such mounts). A disk or a network filesystem mounted there (a dedicated disk for
 * the images, a volume on NFS) is kept, as is a disk mounted at one of them (`/var/lib/docker`).
 * node_exporter's default `mount-points-exclude` leaves out docker's and podman's trees whole.
 */
const RUNTIME_TREES = [
  '/var/lib/docker/', '/var/lib/containers/storage/', '/run/containers/storage/', '/var/lib/containerd/', '/run/containerd/',
  '/run/k3s/containerd/', '/var/lib/rancher/k3s/agent/containerd/', '/var/lib/rancher/rke2/agent/containerd/', '/var/snap/microk8s/common/',
];
const CONTAINER_FS = new Set(['overlay', 'tmpfs']);
/** The kubelet's secret and service-account token volumes: a small tmpfs a pod, never filled. */
const KUBELET_PODS = '/var/lib/kubelet/pods/';
const KUBELET_TOKEN_VOLUMES = ['/volumes/kubernetes.io~projected/', '/volumes/kubernetes.io~secret/'];

/**
 * The default mount filter: real filesystems, tmpfs and overlay included; pseudo filesystems
 * (proc, sysfs, cgroup*, devpts, mqueue, ...), squashfs images and anything mounted under /proc,
 * /sys, /dev or /run/credentials excluded — except /dev/shm, a tmpfs that does fill up — and so
 * are the mounts of each container in its runtime's tree and the kubelet's token volumes.
 * @example isRealMount({ device: '/dev/sda1', mount: '/', fstype: 'ext4' }); // true
 */
export function isRealMount(m: MountEntry): boolean {
  if (PSEUDO_FS.has(m.fstype) || m.fstype.startsWith('cgroup')) return false;
  if (m.mount === '/dev/shm') return true;
  for (const tree of PSEUDO_TREES) {
    if (m.mount === tree || (m.mount.startsWith(tree) && m.mount.charCodeAt(tree.length) === 47)) return false;
  }
  if (CONTAINER_FS.has(m.fstype) && RUNTIME_TREES.some((tree) => m.mount.startsWith(tree))) return false;
  return !(m.mount.startsWith(KUBELET_PODS) && KUBELET_TOKEN_VOLUMES.some((v) => m.mount.includes(v)));
}

/** Decodes the octal escapes of /proc/self/mounts (`\040` space, `\011` tab, `\012`, `\134`). */
export function unescapeMount(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * The mounts that get disk metrics, from /proc/self/mounts (or another process's, the node's in a
 * pod: `mountsOf`): parsed again only when the file's bytes change (compared byte for byte), which
 * on most hosts is never.
 */
export class MountTable {
  readonly #file: HeldFile;
  #raw: Buffer | undefined;
  #mounts: MountState[] = [];

  /**
   * @param filter which mounts get disk metrics
   * @param allowSync whether statfs may be called inline on local filesystems (not with an injected statfs)
   * @param mountsOf the process (its /proc entry's name) whose mount namespace is listed: `self`, or `1` for the node's from a pod
   */
  constructor(
    procRoot: string,
    private readonly reader: Reader,
    private readonly filter: (m: MountEntry) => boolean,
    private readonly allowSync: boolean,
    mountsOf = 'self',
  ) {
    this.#file = new HeldFile(`${procRoot}/${mountsOf}/mounts`);
  }

  /** The mounts as the file lists them now (none when it cannot be read). */
  refresh(): readonly MountState[] {
    const n = this.#file.read(this.reader);
    if (n < 0) {
      this.#mounts = [];
      this.#raw = undefined;
      return this.#mounts;
    }
    const buf = this.reader.buf;
    const old = this.#raw;
    if (old && old.length === n && buf.compare(old, 0, n, 0, n) === 0) return this.#mounts;
    this.#raw = Buffer.from(buf.subarray(0, n));
    const text = buf.toString('utf8', 0, n);
    const byMount = new Map<string, MountEntry>();
    for (const line of text.split('\n')) {
      const f = line.split(' ');
      if (f.length < 3) continue;
      const entry: MountEntry = { device: unescapeMount(f[0]!), mount: unescapeMount(f[1]!), fstype: f[2]! };
      // A later mount on the same point hides the earlier one: statfs sees the top one.
      byMount.delete(entry.mount);
      byMount.set(entry.mount, entry);
    }
    const mounts: MountState[] = [];
    for (const entry of byMount.values()) {
      if (!this.filter(entry)) continue;
      const sync = this.allowSync && SYNC_STATFS_FS.has(entry.fstype) && crossesOnlyLocal(entry.mount, byMount);
      mounts.push({ entry, sync, labels: Object.freeze({ mount: entry.mount, device: entry.device, fstype: entry.fstype }) });
    }
    this.#mounts = mounts;
    return mounts;
  }

  close(): void {
    this.#file.close();
  }
}
