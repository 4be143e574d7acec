import { describe, expect, it } from 'vitest';

import { collectPass, fixtureTree } from '../../../../test/proc-fixture.js';
import { LoadCollector } from './load.js';

describe('LoadCollector', () => {
  it('reports the three load averages of /proc/loadavg', () => {
    expect(collectPass(new LoadCollector(fixtureTree().ctx), 1)).toEqual([
      { name: 'load1', value: expect.closeTo(0.52, 10) },
      { name: 'load5', value: expect.closeTo(1.25, 10) },
      { name: 'load15', value: expect.closeTo(2, 10) },
    ]);
  });

  it('re-reads the file each pass and reports nothing once it is gone', () => {
    const tree = fixtureTree();
    const load = new LoadCollector(tree.ctx);
    load.collect([], 1);
    tree.write('loadavg', '12.5 3 0.01 1/1 1\n');
    const host = collectPass(load, 2);
    expect(host.map((s) => s.value)).toEqual([12.5, 3, expect.closeTo(0.01, 10)]);
    load.close();
    tree.remove();
    const none = collectPass(load, 3);
    expect(none).toEqual([]);
  });
});
