import { clampPct, cursor, intAfter, isDigit, readInt, seek, skipBlank } from '../proc-read.js';
import type { Sample } from '../types.js';
import { FileCollector, type CollectorContext } from './collector.js';

const KEY_BTIME = Buffer.from('\nbtime ');

/**
 * cpu_usage and cpu_iowait, percent of all CPUs' time since the previous pass, from the `cpu`
 * line of /proc/stat; none at the first pass. Also notes the boot time (`btime`), which process
 * start times are counted from.
 */
export class CpuCollector extends FileCollector {
  #prev: Float64Array | undefined;
  /** Epoch seconds the host booted at, once /proc/stat has been read. */
  bootTime: number | undefined;

  constructor(ctx: CollectorContext) {
    super(ctx, 'stat');
  }

  protected parse(buf: Buffer, n: number, host: Sample[]): void {
    if (this.bootTime === undefined) {
      const bt = intAfter(buf, n, KEY_BTIME);
      if (bt > 0) this.bootTime = bt;
    }
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is
    // already counted in user and nice, so the total stops at steal.
    if (buf[0] !== 99 || buf[1] !== 112 || buf[2] !== 117 || buf[3] !== 32) return;
    const cur = new Float64Array(8);
    seek(4);
    for (let i = 0; i < 8; i++) {
      skipBlank(buf, cursor(), n);
      if (!isDigit(buf[cursor()])) break;
      cur[i] = readInt(buf, n);
    }
    const prev = this.#prev;
    this.#prev = cur;
    if (!prev) return;
    let total = 0;
    for (let i = 0; i < 8; i++) total += cur[i]! - prev[i]!;
    if (total <= 0) return;
    const idle = cur[3]! - prev[3]!;
    const iowait = cur[4]! - prev[4]!;
    host.push({ name: 'cpu_usage', value: clampPct(((total - idle - iowait) / total) * 100) });
    host.push({ name: 'cpu_iowait', value: clampPct((iowait / total) * 100) });
  }
}
