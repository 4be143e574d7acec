import { intAfter } from '../proc-read.js';
import type { Sample } from '../types.js';
import { FileCollector, type CollectorContext } from './collector.js';

const KEY_OOM_KILL = Buffer.from('\noom_kill ');

/**
 * oom_kills: processes the kernel's OOM killer has killed since boot, from the `oom_kill` line of
 * /proc/vmstat (Linux 4.13 and later; older kernels give no sample). Every kill counts, whether
 * the host ran out of memory or a cgroup hit its limit. A counter: alarms use its change over a
 * window (`delta(oom_kills[10m]) > 0`).
 */
export class VmstatCollector extends FileCollector {
  constructor(ctx: CollectorContext) {
    super(ctx, 'vmstat');
  }

  protected parse(buf: Buffer, n: number, host: Sample[]): void {
    // The first line is nr_free_pages, so every key of interest follows a newline.
    const kills = intAfter(buf, n, KEY_OOM_KILL);
    if (kills >= 0) host.push({ name: 'oom_kills', value: kills });
  }
}
