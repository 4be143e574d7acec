import { rmSync } from 'node:fs';

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

describe('ProcessCollector, a process whose stat reads the same bytes as last pass', () => {
  const collector = (t: FixtureTree): ProcessCollector =>
    new ProcessCollector({ procRoot: t.procRoot, reader: t.ctx.reader, users: new UserNames(`${FIXTURES}etc`, t.ctx.reader, t.ctx.monotonic), clock: () => 1_700_005_000_000, maxOpenFiles: 4096, refreshSeconds: 30 });
  const pass = (c: ProcessCollector, n: number, mono: number) => c.collect(n, mono, 5000 + mono / 1000, 1_700_000_000).find((p) => p.info.pid === 42)!;
  const value = (p: ReturnType<typeof pass>, name: string) => p.samples.find((s) => s.name === name)?.value;
  const addTicks = (tree: FixtureTree, ticks: number) => tree.write('42/stat', tree.read('42/stat').replace(/ (\d+) 50 /, (_, u: string) => ` ${Number(u) + ticks} 50 `));

  it('keeps its figures and its info, with a CPU rate of 0 and its uptime moving on', () => {
    const tree = fixtureTree();
    const c = collector(tree);
    pass(c, 1, 10_000);
    const second = pass(c, 2, 11_000);
    const info = second.info;
    const uptime = value(second, 'uptime_seconds')!; // the reading is rewritten in place by the next pass
    const third = pass(c, 3, 12_000);
    expect(third.info).toBe(info);
    expect(value(third, 'cpu_usage')).toBe(0);
    expect(value(third, 'mem_rss_bytes')).toBe(2560 * 4096);
    expect(value(third, 'thread_count')).toBe(3);
    expect(value(third, 'uptime_seconds')! - uptime).toBeCloseTo(1, 6);
    addTicks(tree, 25);
    expect(value(pass(c, 4, 13_000), 'cpu_usage')).toBeCloseTo(25, 6);
    c.close();
  });

  it('counts its rate from the older baseline a too-close pass kept, also when the next read is the same bytes', () => {
    const tree = fixtureTree();
    const c = collector(tree);
    pass(c, 1, 10_000);
    addTicks(tree, 5);
    // 20 ms later: 10 ms ticks mean nothing over 20 ms, so no rate, and the baseline stays at pass 1.
    expect(value(pass(c, 2, 10_020), 'cpu_usage')).toBeUndefined();
    // The same bytes as pass 2: the 5 ticks since pass 1 are the rate, over its 1 s.
    expect(value(pass(c, 3, 11_000), 'cpu_usage')).toBeCloseTo(5, 6);
    expect(value(pass(c, 4, 12_000), 'cpu_usage')).toBe(0);
    c.close();
  });

  it('keeps its rate\'s baseline when another process goes', () => {
    const tree = fixtureTree();
    const c = collector(tree);
    pass(c, 1, 10_000);
    pass(c, 2, 11_000);
    rmSync(`${tree.procRoot}/43`, { recursive: true });
    expect(pass(c, 3, 12_000).samples.map((s) => s.name)).toContain('cpu_usage');
    addTicks(tree, 10);
    expect(value(pass(c, 4, 13_000), 'cpu_usage')).toBeCloseTo(10, 6);
    c.close();
  });

  it('is parsed again when a field read grows by a digit, its old bytes a prefix of the new', () => {
    const tree = fixtureTree();
    const c = collector(tree);
    pass(c, 1, 10_000);
    pass(c, 2, 11_000);
    // rss 2560 pages becomes 25600: the bytes kept ("… 2560") still start the new text.
    tree.write('42/stat', tree.read('42/stat').replace(' 2560 ', ' 25600 '));
    expect(value(pass(c, 3, 12_000), 'mem_rss_bytes')).toBe(25600 * 4096);
    c.close();
  });

  it('still has its command line read again when the refresh is due', () => {
    const tree = fixtureTree();
    const c = collector(tree);
    pass(c, 1, 10_000);
    pass(c, 2, 11_000); // the second look at a new process
    tree.write('42/cmdline', 'renamed\0--by-setproctitle\0');
    expect(pass(c, 3, 12_000).info.cmdline).toBe('my-prog --flag a b');
    expect(pass(c, 4, 11_000 + 30_001).info.cmdline).toBe('renamed --by-setproctitle');
    c.close();
  });
});
