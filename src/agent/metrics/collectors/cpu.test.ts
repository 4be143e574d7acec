import { describe, expect, it } from 'vitest';

import { collectPass, fixtureTree } from '../../../../test/proc-fixture.js';
import { CpuCollector } from './cpu.js';

describe('CpuCollector', () => {
  it('reports nothing at the first pass, then cpu_usage and cpu_iowait of the time between passes', () => {
    const tree = fixtureTree();
    const cpu = new CpuCollector(tree.ctx);
    expect(collectPass(cpu, 1)).toEqual([]);
    expect(cpu.bootTime).toBe(1_700_000_000);

    // user +300, system +100, idle +500, iowait +100 of 1000.
    tree.write('stat', tree.read('stat').replace('cpu  1000 0 500 8000 100', 'cpu  1300 0 600 8500 200'));
    expect(collectPass(cpu, 2)).toEqual([
      { name: 'cpu_usage', value: expect.closeTo(40, 10) },
      { name: 'cpu_iowait', value: expect.closeTo(10, 10) },
    ]);
  });

  it('reports nothing when no time passed between two readings', () => {
    const cpu = new CpuCollector(fixtureTree().ctx);
    cpu.collect([], 1);
    expect(collectPass(cpu, 2)).toEqual([]);
  });
});
