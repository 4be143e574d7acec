import { describe, expect, it } from 'vitest';

import { collectPass, fixtureTree } from '../../../../test/proc-fixture.js';
import type { Sample } from '../types.js';
import { MemoryCollector } from './memory.js';

const value = (host: readonly Sample[], name: string): number | undefined => host.find((s) => s.name === name)?.value;

describe('MemoryCollector', () => {
  const collect = (edit?: (meminfo: string) => string): Sample[] => {
    const tree = fixtureTree();
    if (edit) tree.write('meminfo', edit(tree.read('meminfo')));
    const host = collectPass(new MemoryCollector(tree.ctx), 1);
    return host;
  };

  it('reports memory in use and available from MemTotal and MemAvailable, no swap as 0', () => {
    const host = collect();
    expect(value(host, 'mem_usage')).toBeCloseTo(75, 10);
    expect(value(host, 'mem_available_bytes')).toBe(2_000_000 * 1024);
    expect(value(host, 'swap_usage')).toBe(0);
  });

  it('estimates available memory on kernels without MemAvailable', () => {
    const host = collect((m) => m.replace(/MemAvailable:.*\n/, ''));
    // free 500000 + buffers 100000 + cached 1000000 of 8000000 kB.
    expect(value(host, 'mem_available_bytes')).toBe(1_600_000 * 1024);
    expect(value(host, 'mem_usage')).toBeCloseTo(80, 10);
  });

  it('reports the share of swap in use', () => {
    const host = collect((m) => m.replace(/SwapTotal:.*\n/, 'SwapTotal: 1000 kB\n').replace(/SwapFree:.*\n/, 'SwapFree: 250 kB\n'));
    expect(value(host, 'swap_usage')).toBe(75);
  });
});
