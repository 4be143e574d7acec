import { afterEach, describe, expect, it } from 'vitest';

import { fixtureTree, type FixtureTree } from '../fixture-tree.js';
import type { Sample } from '../types.js';
import { CpuCollector } from './cpu.js';

describe('CpuCollector', () => {
  let tree: FixtureTree;
  afterEach(() => tree.remove());

  it('reports nothing at the first pass, then cpu_usage and cpu_iowait of the time between passes', () => {
    tree = fixtureTree();
    const cpu = new CpuCollector(tree.ctx);
    const first: Sample[] = [];
    cpu.collect(first, 1);
    expect(first).toEqual([]);
    expect(cpu.bootTime).toBe(1_700_000_000);

    // user +300, system +100, idle +500, iowait +100 of 1000.
    tree.write('stat', tree.read('stat').replace('cpu  1000 0 500 8000 100', 'cpu  1300 0 600 8500 200'));
    const second: Sample[] = [];
    cpu.collect(second, 2);
    expect(second).toEqual([
      { name: 'cpu_usage', value: expect.closeTo(40, 10) },
      { name: 'cpu_iowait', value: expect.closeTo(10, 10) },
    ]);
  });

  it('reports nothing when no time passed between two readings', () => {
    tree = fixtureTree();
    const cpu = new CpuCollector(tree.ctx);
    cpu.collect([], 1);
    const host: Sample[] = [];
    cpu.collect(host, 2);
    expect(host).toEqual([]);
  });
});
