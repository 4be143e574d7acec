import { clampPct, columns, readColumns, readInt } from '../proc-read.js';
import type { Sample } from '../types.js';
import { FileCollector, type CollectorContext } from './collector.js';

/** fd_usage: the share of the kernel's file handles in use, from /proc/sys/fs/file-nr ("allocated unused max"). */
export class FileNrCollector extends FileCollector {
  constructor(ctx: CollectorContext) {
    super(ctx, 'sys/fs/file-nr');
  }

  protected parse(buf: Buffer, n: number, host: Sample[]): void {
    readColumns(buf, n, readInt);
    const max = columns[2]!;
    if (max > 0) host.push({ name: 'fd_usage', value: clampPct(((columns[0]! - columns[1]!) / max) * 100) }); // (allocated - unused) / max
  }
}
