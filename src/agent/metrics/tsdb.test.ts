import { describe, expect, it } from 'vitest';

import { MemoryTsdb } from './tsdb.js';
import type { LabelMatcher } from './types.js';

/** A whole minute, in ms since the epoch. */
const T0 = 1_700_000_040_000;
const at = (s: number): number => T0 + s * 1000;
const ALL: LabelMatcher[] = [];

/** Appends `value(s)` for every second s in [from, to]. */
function fill(db: MemoryTsdb, resource: string, metric: string, from: number, to: number, value: (s: number) => number, labels?: Record<string, string>): void {
  for (let s = from; s <= to; s++) db.append(resource, at(s), [{ name: metric, value: value(s), ...(labels ? { labels } : {}) }]);
}

const times = (r: { points: { time: number }[] }[]): number[] => (r[0]?.points ?? []).map((p) => (p.time - T0) / 1000);
const values = (r: { points: { value: number }[] }[]): number[] => (r[0]?.points ?? []).map((p) => p.value);

describe('MemoryTsdb', () => {
  it('keeps per-second points and answers latest, honouring maxAgeMs', () => {
    let now = at(10);
    const db = new MemoryTsdb({ clock: () => now });
    fill(db, 'host', 'cpu_usage', 1, 10, (s) => s * 10);
    expect(db.latest('host', 'cpu_usage', ALL)).toEqual([{ labels: {}, value: 100 }]);
    expect(db.latest('host', 'cpu_usage', ALL, 5000)).toHaveLength(1);
    now = at(20);
    expect(db.latest('host', 'cpu_usage', ALL, 5000)).toEqual([]);
    expect(db.latest('host', 'cpu_usage', ALL)).toHaveLength(1); // no maxAge: the newest, however old
    expect(db.latest('host', 'load1', ALL)).toEqual([]);
    expect(db.latest('process/1', 'cpu_usage', ALL)).toEqual([]);
    const r = db.range('host', 'cpu_usage', ALL, 5, at(10));
    expect(times(r)).toEqual([6, 7, 8, 9, 10]);
    expect(values(r)).toEqual([60, 70, 80, 90, 100]);
    expect(r[0]!.points[0]!.time).toBe(at(6)); // whole seconds, oldest first
  });

  it('wraps around its ring: only the last retentionSeconds survive', () => {
    const db = new MemoryTsdb({ retentionSeconds: 10, rollupRetentionSeconds: 0 });
    fill(db, 'host', 'cpu_usage', 1, 25, (s) => s);
    expect(times(db.range('host', 'cpu_usage', ALL, 100, at(25)))).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(times(db.range('host', 'cpu_usage', ALL, 3, at(25)))).toEqual([23, 24, 25]);
    // A window ending earlier than the newest point.
    expect(times(db.range('host', 'cpu_usage', ALL, 3, at(20)))).toEqual([18, 19, 20]);
    expect(db.latest('host', 'cpu_usage', ALL)[0]!.value).toBe(25);
  });

  it('shows gaps as missing points, never as stale values from a lap ago', () => {
    const db = new MemoryTsdb({ retentionSeconds: 10, rollupRetentionSeconds: 0 });
    fill(db, 'host', 'cpu_usage', 100, 109, (s) => s);
    db.append('host', at(115), [{ name: 'cpu_usage', value: 115 }]);
    // Slots of 110..114 still hold 100..104: they must not show up as 110..114.
    expect(times(db.range('host', 'cpu_usage', ALL, 10, at(115)))).toEqual([106, 107, 108, 109, 115]);
    expect(values(db.range('host', 'cpu_usage', ALL, 10, at(115)))).toEqual([106, 107, 108, 109, 115]);

    const gappy = new MemoryTsdb();
    for (const s of [1, 2, 3, 7, 8, 20]) gappy.append('host', at(s), [{ name: 'load1', value: s }]);
    expect(times(gappy.range('host', 'load1', ALL, 60, at(20)))).toEqual([1, 2, 3, 7, 8, 20]);
    expect(gappy.range('host', 'load1', ALL, 5, at(19))).toEqual([]); // nothing in (14, 19]
  });

  it('grows a series ring as it ages instead of allocating the whole hour up front', () => {
    const db = new MemoryTsdb();
    fill(db, 'process/1', 'cpu_usage', 1, 10, () => 1);
    const young = db.bytes;
    expect(young).toBeLessThan(3600 * 12);
    fill(db, 'process/1', 'cpu_usage', 11, 1000, (s) => s);
    const r = db.range('process/1', 'cpu_usage', ALL, 1000, at(1000));
    expect(times(r)).toHaveLength(1000);
    expect(values(r).slice(-3)).toEqual([998, 999, 1000]);
    expect(db.bytes).toBeGreaterThan(young);
    fill(db, 'process/1', 'cpu_usage', 1001, 5000, (s) => s);
    expect(times(db.range('process/1', 'cpu_usage', ALL, 3600, at(5000)))).toHaveLength(3600);
  });

  it('answers windows beyond the per-second retention from one-minute roll-ups', () => {
    const db = new MemoryTsdb({ retentionSeconds: 60, rollupRetentionSeconds: 3600 });
    // Ten minutes; within minute m the values are m*100 + (0..59).
    fill(db, 'host', 'cpu_usage', 0, 599, (s) => Math.floor(s / 60) * 100 + (s % 60));
    const now = at(599);
    const fine = db.range('host', 'cpu_usage', ALL, 60, now);
    expect(times(fine)).toHaveLength(60);
    const coarse = db.range('host', 'cpu_usage', ALL, 600, now);
    expect(times(coarse)).toEqual([0, 60, 120, 180, 240, 300, 360, 420, 480, 540]);
    expect(values(coarse)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => m * 100 + 29.5));
    const rolled = db.rollups('host', 'cpu_usage', ALL, 600, now);
    expect(rolled[0]!.points[3]).toEqual({ time: at(180), avg: 329.5, min: 300, max: 359, count: 60 });

    // The current minute is rolled up as it fills.
    db.append('host', at(600), [{ name: 'cpu_usage', value: 7 }]);
    const latest = db.rollups('host', 'cpu_usage', ALL, 120, at(600)).at(0)!.points.at(-1)!;
    expect(latest).toEqual({ time: at(600), avg: 7, min: 7, max: 7, count: 1 });
  });

  it('keeps the later of two values in one second, and corrects the roll-up sum', () => {
    const db = new MemoryTsdb({ retentionSeconds: 60 });
    db.append('host', at(0), [{ name: 'load1', value: 1 }]);
    db.append('host', at(0) + 400, [{ name: 'load1', value: 3 }]);
    db.append('host', at(1), [{ name: 'load1', value: 5 }]);
    expect(values(db.range('host', 'load1', ALL, 10, at(1)))).toEqual([3, 5]);
    const p = db.rollups('host', 'load1', ALL, 60, at(1))[0]!.points[0]!;
    expect(p.avg).toBe(4);
    expect(p.count).toBe(2);
  });

  it('ignores values that are not finite numbers', () => {
    const db = new MemoryTsdb();
    db.append('host', at(1), [{ name: 'load1', value: 2 }]);
    db.append('host', at(2), [{ name: 'load1', value: Number.NaN }]);
    db.append('host', at(3), [{ name: 'load1', value: Number.POSITIVE_INFINITY }]);
    expect(values(db.range('host', 'load1', ALL, 10, at(3)))).toEqual([2]);
    expect(db.rollups('host', 'load1', ALL, 60, at(3))[0]!.points[0]!.avg).toBe(2);
  });

  it('accepts points out of order within retention, drops older ones', () => {
    const db = new MemoryTsdb({ retentionSeconds: 10 });
    db.append('host', at(20), [{ name: 'load1', value: 20 }]);
    db.append('host', at(15), [{ name: 'load1', value: 15 }]);
    db.append('host', at(5), [{ name: 'load1', value: 5 }]);
    expect(times(db.range('host', 'load1', ALL, 10, at(20)))).toEqual([15, 20]);
    expect(db.latest('host', 'load1', ALL)[0]!.value).toBe(20);
  });

  it('selects series by label matchers, PromQL style', () => {
    const db = new MemoryTsdb();
    const ifaces = ['eth0', 'eth1', 'veth0a', 'docker0'];
    db.append('host', at(1), [
      ...ifaces.map((iface, i) => ({ name: 'net_rx_bytes_rate', labels: { iface }, value: i })),
      { name: 'net_rx_bytes_rate', value: 99 }, // no iface label at all
      { name: 'disk_usage', labels: { mount: '/', device: '/dev/sda1', fstype: 'ext4' }, value: 50 },
      { name: 'disk_usage', labels: { fstype: 'tmpfs', mount: '/run', device: 'tmpfs' }, value: 1 },
    ]);
    const names = (m: LabelMatcher[]): string[] => db.latest('host', 'net_rx_bytes_rate', m).map((r) => r.labels.iface ?? '-');
    expect(names([{ name: 'iface', op: '=', value: 'eth0' }])).toEqual(['eth0']);
    expect(names([{ name: 'iface', op: '!=', value: 'eth0' }])).toEqual(['eth1', 'veth0a', 'docker0', '-']);
    // Anchored at both ends: `eth.*` does not match `veth0a`.
    expect(names([{ name: 'iface', op: '=~', value: 'eth.*' }])).toEqual(['eth0', 'eth1']);
    expect(names([{ name: 'iface', op: '=~', value: 'eth0|docker0' }])).toEqual(['eth0', 'docker0']);
    expect(names([{ name: 'iface', op: '!~', value: 'eth.*' }])).toEqual(['veth0a', 'docker0', '-']);
    // A missing label matches as "".
    expect(names([{ name: 'iface', op: '=', value: '' }])).toEqual(['-']);
    expect(names([{ name: 'iface', op: '=~', value: '.+' }])).toEqual(['eth0', 'eth1', 'veth0a', 'docker0']);
    expect(names([
      { name: 'iface', op: '=~', value: 'eth.*' },
      { name: 'iface', op: '!=', value: 'eth1' },
    ])).toEqual(['eth0']);
    expect(() => names([{ name: 'iface', op: '=~', value: '(' }])).toThrow(/invalid label regex/);
    // Label order does not make a different series.
    db.append('host', at(2), [{ name: 'disk_usage', labels: { device: 'tmpfs', mount: '/run', fstype: 'tmpfs' }, value: 2 }]);
    expect(db.latest('host', 'disk_usage', [{ name: 'mount', op: '=', value: '/run' }])).toEqual([{ labels: { fstype: 'tmpfs', mount: '/run', device: 'tmpfs' }, value: 2 }]);
    expect(db.range('host', 'disk_usage', [{ name: 'fstype', op: '=', value: 'tmpfs' }], 60, at(2))[0]!.points).toHaveLength(2);
  });

  it('gives resources their own retention: processes keep ten minutes, no roll-ups', () => {
    const db = new MemoryTsdb({ retentionFor: (r) => (r.startsWith('process/') ? 600 : undefined) });
    fill(db, 'process/42', 'cpu_usage', 1, 900, (s) => s);
    fill(db, 'host', 'cpu_usage', 1, 900, (s) => s);
    expect(times(db.range('process/42', 'cpu_usage', ALL, 900, at(900)))).toHaveLength(600);
    expect(times(db.range('process/42', 'cpu_usage', ALL, 900, at(900)))[0]).toBe(301);
    expect(db.rollups('process/42', 'cpu_usage', ALL, 900, at(900))).toEqual([]);
    expect(times(db.range('host', 'cpu_usage', ALL, 900, at(900)))).toHaveLength(900);
    expect(db.rollups('host', 'cpu_usage', ALL, 900, at(900))[0]!.points.length).toBeGreaterThan(0);
  });

  it('forgets series that went quiet for longer than their retention', () => {
    const db = new MemoryTsdb({ retentionFor: (r) => (r.startsWith('process/') ? 600 : undefined) });
    db.append('process/7', at(0), [{ name: 'cpu_usage', value: 1 }]);
    fill(db, 'host', 'load1', 0, 700, () => 1);
    expect(db.latest('process/7', 'cpu_usage', ALL)).toEqual([]);
    expect(db.resourceNames()).toEqual(['host']);
    expect(db.seriesCount).toBe(1);
  });

  it('refuses series beyond maxSeries and counts the refusals', () => {
    const db = new MemoryTsdb({ maxSeries: 3 });
    db.append('host', at(1), [
      { name: 'a', value: 1 },
      { name: 'b', value: 1 },
      { name: 'c', value: 1 },
      { name: 'd', value: 1 },
    ]);
    db.append('process/1', at(1), [{ name: 'cpu_usage', value: 1 }]);
    expect(db.seriesCount).toBe(3);
    expect(db.refused).toBe(2);
    db.append('host', at(2), [{ name: 'a', value: 2 }]); // existing series still take points
    expect(db.latest('host', 'a', ALL)[0]!.value).toBe(2);
    expect(db.latest('host', 'd', ALL)).toEqual([]);
    db.drop('host');
    db.append('process/1', at(3), [{ name: 'cpu_usage', value: 1 }]);
    expect(db.seriesCount).toBe(1);
    expect(db.refused).toBe(2);
  });

  it('drops a resource and gives its memory back', () => {
    const db = new MemoryTsdb();
    fill(db, 'host', 'cpu_usage', 1, 100, () => 1);
    const hostOnly = db.bytes;
    fill(db, 'process/9', 'mem_rss_bytes', 1, 100, () => 1e9);
    expect(db.bytes).toBeGreaterThan(hostOnly);
    db.drop('process/9');
    expect(db.bytes).toBe(hostOnly);
    expect(db.latest('process/9', 'mem_rss_bytes', ALL)).toEqual([]);
    expect(db.range('process/9', 'mem_rss_bytes', ALL, 100, at(100))).toEqual([]);
    db.drop('process/9'); // twice is fine
    expect(db.seriesCount).toBe(1);
  });

  describe('append of a frozen samples array (a source\'s own, reused every pass)', () => {
    /** A process's samples as its collector hands them out: objects rewritten in place, in one frozen array. */
    const reused = () => {
      const cpu = { name: 'cpu_usage', value: 0 };
      const threads = { name: 'thread_count', value: 0 };
      return { cpu, threads, samples: Object.freeze([cpu, threads]) };
    };

    it('writes what an array made afresh each pass writes', () => {
      const frozen = new MemoryTsdb();
      const fresh = new MemoryTsdb();
      const p = reused();
      for (let s = 1; s <= 5; s++) {
        p.cpu.value = s * 10;
        p.threads.value = s;
        frozen.append('process/1', at(s), p.samples);
        fresh.append('process/1', at(s), [{ name: 'cpu_usage', value: s * 10 }, { name: 'thread_count', value: s }]);
      }
      for (const metric of ['cpu_usage', 'thread_count']) expect(frozen.range('process/1', metric, ALL, 10, at(5))).toEqual(fresh.range('process/1', metric, ALL, 10, at(5)));
      expect(values(frozen.range('process/1', 'cpu_usage', ALL, 10, at(5)))).toEqual([10, 20, 30, 40, 50]);
      expect(frozen.seriesCount).toBe(2);
    });

    it('writes to new series after its resource was dropped or a series swept away, never to the old ones', () => {
      const db = new MemoryTsdb({ retentionFor: () => 600 });
      const p = reused();
      db.append('process/1', at(1), p.samples);
      db.drop('process/1'); // the pid is another process now
      p.cpu.value = 7;
      db.append('process/1', at(2), p.samples);
      expect(times(db.range('process/1', 'cpu_usage', ALL, 10, at(2)))).toEqual([2]);
      expect(db.seriesCount).toBe(2);
      // The other resource's appends move time on past process/1's retention: its series are swept.
      for (let s = 3; s <= 700; s++) db.append('host', at(s), [{ name: 'load1', value: 1 }]);
      expect(db.resourceNames()).toEqual(['host']);
      p.cpu.value = 9;
      db.append('process/1', at(701), p.samples);
      expect(db.latest('process/1', 'cpu_usage', ALL)).toEqual([{ labels: {}, value: 9 }]);
      expect(db.seriesCount).toBe(3);
    });

    it('makes its series again when they were swept away while another metric of the resource kept it', () => {
      const db = new MemoryTsdb({ retentionFor: () => 600 });
      const p = reused();
      db.append('process/1', at(1), p.samples);
      // Only another metric of the same resource for longer than the retention: the array's series go, the resource stays.
      for (let s = 2; s <= 700; s++) db.append('process/1', at(s), [{ name: 'fd_count', value: 3 }]);
      expect(db.latest('process/1', 'cpu_usage', ALL)).toEqual([]);
      p.cpu.value = 4;
      db.append('process/1', at(701), p.samples);
      expect(db.latest('process/1', 'cpu_usage', ALL)).toEqual([{ labels: {}, value: 4 }]);
      expect(db.seriesCount).toBe(3);
    });

    it('is refused series beyond maxSeries like any append, and takes them once there is room', () => {
      const db = new MemoryTsdb({ maxSeries: 1 });
      const p = reused();
      db.append('process/1', at(1), p.samples);
      db.append('process/1', at(2), p.samples);
      expect(db.refused).toBe(2);
      expect(db.latest('process/1', 'thread_count', ALL)).toEqual([]);
      db.drop('process/1');
      db.append('process/1', at(3), p.samples);
      expect(db.seriesCount).toBe(1);
      expect(db.latest('process/1', 'cpu_usage', ALL)).toHaveLength(1);
    });
  });

  describe('writer', () => {
    it('appends by position what append does by name, a NaN being a metric absent that pass', () => {
      const byWriter = new MemoryTsdb();
      const byName = new MemoryTsdb();
      const w = byWriter.writer('container/c1', ['cpu_usage', 'pid_count']);
      for (let s = 1; s <= 5; s++) {
        const cpu = s === 3 ? NaN : s * 10;
        w.append(at(s), [cpu, 4]);
        byName.append('container/c1', at(s), [...(s === 3 ? [] : [{ name: 'cpu_usage', value: cpu }]), { name: 'pid_count', value: 4 }]);
      }
      for (const metric of ['cpu_usage', 'pid_count']) expect(byWriter.range('container/c1', metric, ALL, 10, at(5))).toEqual(byName.range('container/c1', metric, ALL, 10, at(5)));
      expect(times(byWriter.range('container/c1', 'cpu_usage', ALL, 10, at(5)))).toEqual([1, 2, 4, 5]);
      expect(byWriter.seriesCount).toBe(2);
      expect(byWriter.bytes).toBe(byName.bytes);
    });

    it('writes again after its resource was dropped or its series swept away', () => {
      const db = new MemoryTsdb({ retentionFor: (r) => (r.startsWith('container/') ? 600 : undefined) });
      const w = db.writer('container/c1', ['cpu_usage', 'oom_kill_count']);
      w.append(at(0), [1, 0]);
      db.drop('container/c1');
      expect(db.seriesCount).toBe(0);
      w.append(at(1), [2, NaN]);
      expect(db.latest('container/c1', 'cpu_usage', ALL)).toEqual([{ labels: {}, value: 2 }]);
      expect(db.seriesCount).toBe(1);
      // cpu_usage silent past its retention is swept; the writer makes it again when it has a value.
      for (let s = 2; s <= 700; s++) w.append(at(s), [NaN, 0]);
      expect(db.latest('container/c1', 'cpu_usage', ALL)).toEqual([]);
      w.append(at(701), [3, 0]);
      expect(db.latest('container/c1', 'cpu_usage', ALL)).toEqual([{ labels: {}, value: 3 }]);
      expect(db.seriesCount).toBe(2);
    });

    it('is refused series beyond maxSeries like append, and takes them once there is room', () => {
      const db = new MemoryTsdb({ maxSeries: 1 });
      const w = db.writer('container/c1', ['a', 'b']);
      w.append(at(1), [1, 1]);
      expect(db.refused).toBe(1);
      expect(db.latest('container/c1', 'b', ALL)).toEqual([]);
      db.drop('container/c1');
      db.writer('container/c2', ['b']).append(at(2), [5]);
      expect(db.latest('container/c2', 'b', ALL)).toEqual([{ labels: {}, value: 5 }]);
    });
  });
});
