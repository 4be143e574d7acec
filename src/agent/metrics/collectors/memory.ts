import { clampPct, intAfter } from '../proc-read.js';
import type { Sample } from '../types.js';
import { FileCollector, type CollectorContext } from './collector.js';

const KEY_MEM_TOTAL = Buffer.from('MemTotal:');
const KEY_MEM_FREE = Buffer.from('\nMemFree:');
const KEY_MEM_AVAILABLE = Buffer.from('\nMemAvailable:');
const KEY_BUFFERS = Buffer.from('\nBuffers:');
const KEY_CACHED = Buffer.from('\nCached:');
const KEY_SWAP_TOTAL = Buffer.from('\nSwapTotal:');
const KEY_SWAP_FREE = Buffer.from('\nSwapFree:');

/** mem_usage, mem_available_bytes and swap_usage from /proc/meminfo. */
export class MemoryCollector extends FileCollector {
  constructor(ctx: CollectorContext) {
    super(ctx, 'meminfo');
  }

  protected parse(buf: Buffer, n: number, host: Sample[]): void {
    const total = intAfter(buf, n, KEY_MEM_TOTAL);
    let available = intAfter(buf, n, KEY_MEM_AVAILABLE);
    if (available < 0) {
      // Kernels before 3.14 have no MemAvailable: approximate it as free + buffers + page cache.
      available = Math.max(0, intAfter(buf, n, KEY_MEM_FREE)) + Math.max(0, intAfter(buf, n, KEY_BUFFERS)) + Math.max(0, intAfter(buf, n, KEY_CACHED));
    }
    const swapTotal = intAfter(buf, n, KEY_SWAP_TOTAL);
    const swapFree = intAfter(buf, n, KEY_SWAP_FREE);
    if (total > 0) {
      host.push({ name: 'mem_usage', value: clampPct(((total - available) / total) * 100) });
      host.push({ name: 'mem_available_bytes', value: available * 1024 });
    }
    host.push({ name: 'swap_usage', value: swapTotal > 0 && swapFree >= 0 ? clampPct(((swapTotal - swapFree) / swapTotal) * 100) : 0 });
  }
}
