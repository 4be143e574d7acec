import fc from 'fast-check';
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

  it('never throws on whatever the file holds, and reports at most one whole, non-negative count', () => {
    const tree = fixtureTree();
    const collector = new VmstatCollector(tree.ctx);
    const line = fc.oneof(fc.constantFrom('oom_kill 7', 'oom_kill', 'oom_kill -1', 'oom_kill 99999999999999999999', 'oom_kill\t3', 'oom_kills 2'), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        tree.write('vmstat', lines.join('\n'));
        const out = collectPass(collector, 1);
        expect(out.length).toBeLessThanOrEqual(1);
        for (const s of out) {
          expect(s.name).toBe('oom_kills');
          expect(Number.isInteger(s.value) && s.value >= 0).toBe(true);
        }
      }),
      { seed: 1616, numRuns: 60 },
    );
  });

  it('reads a counter on the last line without a newline after it', () => {
    const tree = fixtureTree();
    tree.write('vmstat', 'nr_free_pages 10\noom_kill 12');
    expect(collectPass(new VmstatCollector(tree.ctx), 1)).toEqual([{ name: 'oom_kills', value: 12 }]);
  });
});
