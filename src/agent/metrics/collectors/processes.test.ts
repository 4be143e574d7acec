import { describe, expect, it } from 'vitest';

import { FIXTURES, fixtureTree, type FixtureTree } from '../../../../test/proc-fixture.js';
import { cmdlineOf } from '../proc-read.js';
import { ProcessCollector } from './processes.js';
import { UserNames } from './users.js';

describe('processes', () => {
  it('decodes command lines', () => {
    const enc = new TextEncoder();
    const buf = enc.encode('java\0-jar\0a b.jar\0\0');
    expect(cmdlineOf(buf, buf.length)).toBe('java -jar a b.jar');
    expect(cmdlineOf(buf, 0)).toBe('');
  });
});

describe('ProcessCollector', () => {
  const collector = (t: FixtureTree, maxOpenFiles = 4096): ProcessCollector =>
    new ProcessCollector({
      procRoot: t.procRoot,
      reader: t.ctx.reader,
      users: new UserNames(`${FIXTURES}etc`, t.ctx.reader, t.ctx.monotonic),
      clock: () => 1_700_005_000_000,
      maxOpenFiles,
      refreshSeconds: 30,
    });

  it('reads each process of the tree, its start time counted from the boot time it is given', () => {
    const tree = fixtureTree();
    const seen = collector(tree).collect(1, 10_000, 5000.5, 1_700_000_000);
    expect(seen.map((p) => p.info.pid).sort((a, b) => a - b)).toEqual([1, 2, 42, 43]);
    const weird = seen.find((p) => p.info.pid === 42)!;
    expect(weird.info).toEqual({ pid: 42, ppid: 1, name: 'my )(weird) p', cmdline: 'my-prog --flag a b', user: 'alice', state: 'S', startTime: 1_700_000_123 });
    expect(weird.samples.map((s) => s.name)).toEqual(['mem_rss_bytes', 'thread_count', 'uptime_seconds']);
  });

  it('without a boot time, counts start times from the wall clock minus the uptime', () => {
    const tree = fixtureTree();
    const seen = collector(tree).collect(1, 10_000, 5000.5, undefined);
    expect(seen.find((p) => p.info.pid === 42)!.info.startTime).toBe(Math.round(1_700_005_000 - 5000.5 + 123.45));
  });

  it('gives the same figures whether it holds descriptors open or not', () => {
    const tree = fixtureTree();
    const held = collector(tree);
    const unheld = collector(tree, 0);
    for (let pass = 1; pass <= 2; pass++) {
      tree.advance(1000);
      tree.write('42/stat', tree.read('42/stat').replace(/ (\d+) 50 /, (_, u: string) => ` ${Number(u) + 10} 50 `));
      const a = held.collect(pass, 10_000 + pass * 1000, 5000.5 + pass, 1_700_000_000);
      const b = unheld.collect(pass, 10_000 + pass * 1000, 5000.5 + pass, 1_700_000_000);
      expect(a).toEqual(b);
    }
    held.close();
  });
});
