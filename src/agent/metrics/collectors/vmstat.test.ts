import { describe, expect, it } from 'vitest';

import { collectPass, fixtureTree } from '../../../../test/proc-fixture.js';
import { VmstatCollector } from './vmstat.js';

describe('VmstatCollector', () => {
  it('reports the OOM killer\'s kills since boot from the oom_kill line', () => {
    const tree = fixtureTree();
    const collector = new VmstatCollector(tree.ctx);
    expect(collectPass(collector, 1)).toEqual([{ name: 'oom_kills', value: 3 }]);
    tree.write('vmstat', tree.read('vmstat').replace('\noom_kill 3\n', '\noom_kill 4\n'));
    expect(collectPass(collector, 2)).toEqual([{ name: 'oom_kills', value: 4 }]);
  });

  it('reports nothing on a kernel without the counter (before 4.13), nor for a lookalike key', () => {
    const tree = fixtureTree();
    tree.write('vmstat', 'nr_free_pages 10\noom_kill_disable 1\npgfault 7\n');
    expect(collectPass(new VmstatCollector(tree.ctx), 1)).toEqual([]);
  });

  it('reads a counter on the last line without a newline after it', () => {
    const tree = fixtureTree();
    tree.write('vmstat', 'nr_free_pages 10\noom_kill 12');
    expect(collectPass(new VmstatCollector(tree.ctx), 1)).toEqual([{ name: 'oom_kills', value: 12 }]);
  });
});
