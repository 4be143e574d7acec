import { afterEach, describe, expect, it } from 'vitest';

import { fixtureTree, type FixtureTree } from '../fixture-tree.js';
import type { Sample } from '../types.js';
import { LoadCollector } from './load.js';

describe('LoadCollector', () => {
  let tree: FixtureTree;
  afterEach(() => tree.remove());

  it('reports the three load averages of /proc/loadavg', () => {
    tree = fixtureTree();
    const host: Sample[] = [];
    new LoadCollector(tree.ctx).collect(host, 1);
    expect(host).toEqual([
      { name: 'load1', value: expect.closeTo(0.52, 10) },
      { name: 'load5', value: expect.closeTo(1.25, 10) },
      { name: 'load15', value: expect.closeTo(2, 10) },
    ]);
  });

  it('re-reads the file each pass and reports nothing once it is gone', () => {
    tree = fixtureTree();
    const load = new LoadCollector(tree.ctx);
    load.collect([], 1);
    tree.write('loadavg', '12.5 3 0.01 1/1 1\n');
    const host: Sample[] = [];
    load.collect(host, 2);
    expect(host.map((s) => s.value)).toEqual([12.5, 3, expect.closeTo(0.01, 10)]);
    load.close();
    tree.remove();
    const none: Sample[] = [];
    load.collect(none, 3);
    expect(none).toEqual([]);
  });
});
