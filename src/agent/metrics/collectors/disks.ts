import fs from 'node:fs';

import type { Sample } from '../types.js';
import type { MountState } from './mounts.js';

/** The fields of statfs(2) that disk metrics need (node's fs.StatsFs has them). */
export interface StatFsLike {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
}

/** The statfs answers of one pass, by mount (undefined: no answer in time, or it failed). */
export interface DiskReading {
  readonly mounts: readonly MountState[];
  readonly stats: readonly (StatFsLike | undefined)[];
}

/**
 * disk_usage, disk_free_bytes, inode_usage, inode_used and inode_free{mount,device,fstype} from
 * statfs(2) of each mount (the inode counts as `df -i` shows them).
 *
 * Mounts marked `sync` (local filesystems answering from memory) are asked inline; the others run
 * on libuv's thread pool, overlapped with the rest of the pass, bounded by `timeoutMs`. A mount
 * whose statfs is still outstanding (a hung NFS server) is skipped, and no new statfs is issued
 * for it until the old one returns, so a hung mount holds at most one pool thread and never
 * delays a pass by more than the timeout.
 *
 * @example
 * const reading = disks.start(mountTable.refresh()); // before the /proc scan
 * disks.report(await reading, host);                 // after it
 */
export class DiskCollector {
  readonly #pending = new Set<string>();
  /** Mounts skipped in the last pass because statfs did not answer in time or failed. */
  skippedMounts: readonly string[] = [];

  /**
   * @param pathPrefix where the listed mounts' paths are reached: '' for the agent's own mount
   * namespace, `/host/proc/1/root` for the node's from a pod (a magic link into PID 1's root)
   */
  constructor(
    private readonly statfs: (path: string) => Promise<StatFsLike>,
    private readonly timeoutMs: number,
    private readonly pathPrefix = '',
  ) {}

  /** statfs of every mount, in parallel; resolves when all answered or after the timeout. */
  start(mounts: readonly MountState[]): Promise<DiskReading> {
    const stats: (StatFsLike | undefined)[] = new Array<StatFsLike | undefined>(mounts.length).fill(undefined);
    if (mounts.length === 0) return Promise.resolve({ mounts, stats });
    return new Promise((resolve) => {
      let remaining = 0;
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (): void => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        resolve({ mounts, stats });
      };
      for (let i = 0; i < mounts.length; i++) {
        const m = mounts[i]!;
        const path = this.pathPrefix + m.entry.mount;
        if (m.sync) {
          try {
            stats[i] = fs.statfsSync(path);
          } catch {
            // unmounted since the list was read
          }
          continue;
        }
        // Still waiting on an earlier pass's statfs (a hung network mount): skip, do not pile up.
        if (this.#pending.has(path)) continue;
        remaining++;
        this.#pending.add(path);
        let p: Promise<StatFsLike>;
        try {
          p = this.statfs(path);
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(
          (st) => {
            if (!done) stats[i] = st;
          },
          () => undefined,
        ).finally(() => {
          this.#pending.delete(path);
          if (--remaining === 0) finish();
        });
      }
      if (remaining === 0) finish();
      else timer = setTimeout(finish, this.timeoutMs);
    });
  }

  /** Pushes the samples of the mounts that answered; notes the others in `skippedMounts`. */
  report({ mounts, stats }: DiskReading, host: Sample[]): void {
    const skipped: string[] = [];
    for (let i = 0; i < mounts.length; i++) {
      const m = mounts[i]!;
      const st = stats[i];
      if (!st) {
        skipped.push(m.entry.mount);
        continue;
      }
      const used = st.blocks - st.bfree;
      const denom = used + st.bavail;
      if (st.blocks <= 0 || denom <= 0) continue;
      host.push({ name: 'disk_usage', labels: m.labels, value: (used / denom) * 100 });
      host.push({ name: 'disk_free_bytes', labels: m.labels, value: st.bavail * st.bsize });
      // Filesystems without a fixed inode table (btrfs, vfat) report 0 inodes: no inode metrics.
      if (st.files > 0) {
        host.push({ name: 'inode_usage', labels: m.labels, value: ((st.files - st.ffree) / st.files) * 100 });
        host.push({ name: 'inode_used', labels: m.labels, value: st.files - st.ffree });
        host.push({ name: 'inode_free', labels: m.labels, value: st.ffree });
      }
    }
    this.skippedMounts = skipped;
  }
}
