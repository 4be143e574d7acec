import { columns, readColumns, readDecimal } from '../proc-read.js';
import type { Sample } from '../types.js';
import { FileCollector, type CollectorContext } from './collector.js';

/** load1, load5, load15 from /proc/loadavg ("0.52 1.25 2.00 1/234 5678"). */
export class LoadCollector extends FileCollector {
  constructor(ctx: CollectorContext) {
    super(ctx, 'loadavg');
  }

  protected parse(buf: Buffer, n: number, host: Sample[]): void {
    readColumns(buf, n, readDecimal);
    host.push({ name: 'load1', value: columns[0]! }, { name: 'load5', value: columns[1]! }, { name: 'load15', value: columns[2]! });
  }
}
