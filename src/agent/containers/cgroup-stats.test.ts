import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reader } from '../metrics/proc-read.js';
import { countOf, cpuLimitCores, cpuMaxOf, key, keyedCount, memLimitOf, netDev, netDevOf, sumAfter } from './cgroup-parse.js';
import type { CgroupLayout, ContainerFiles } from './cgroup-stats.js';
import { MAX_CGROUP_STAT, cgroupVersion } from './cgroup-stats.js';
import { cgroupV1 } from './cgroup-v1.js';
import { cgroupV2 } from './cgroup-v2.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const V1_PATH = '/libpod_parent/libpod-6877ea216077cd27dea74c7fd38c8cb7031d98c0c9d65b75be074ae1a50029be';
const V2_PATH = `/system.slice/docker-${'1'.repeat(64)}.scope`;

/** A layout's files in a tree, each opened at its read. */
function filesOf(layout: CgroupLayout, root: string, path: string): ContainerFiles {
  const reader = new Reader();
  const paths = layout.paths(root, path);
  return { get buf() { return reader.buf; }, read: (slot) => reader.readPath(paths[slot] as string, MAX_CGROUP_STAT) };
}

/** A layout's CPU time and other counters read from a tree. */
function counters(layout: CgroupLayout, root: string, path: string, limits = true) {
  const files = filesOf(layout, root, path);
  return { cpuNs: layout.cpuNs(files), ...layout.counters(files, true, limits) };
}

/** The text as the parsers see it: in a scratch buffer whose bytes past the text are another file's. */
function scratch(text: string, stale = 'rss 99\n 8:0 rbytes=7 Read 7\neth9: 1 2 3 4 5 6 7 8 9\n'): [Buffer, number] {
  const bytes = Buffer.from(text, 'latin1');
  return [Buffer.concat([bytes, Buffer.from(stale)]), bytes.length];
}

describe('cgroup counters from the fixture trees', () => {
  it('v1 (podman on cgroupfs, taken from this project’s CI machine; limits set): one hierarchy per controller', () => {
    expect(cgroupVersion(fixture('cgroup-v1'))).toBe(1);
    expect(counters(cgroupV1, fixture('cgroup-v1'), V1_PATH)).toEqual({
      cpuNs: 30301332,
      cpuLimitCores: 0.5,
      memUsage: 524288,
      memRss: 57344,
      inactiveFile: 4096,
      memLimit: 268435456,
      oomKills: 2,
      pids: 1,
      ioReadBytes: 5096,
      ioWriteBytes: 8192,
    });
  });

  it('v2 (docker on systemd): every controller in one directory of the unified tree', () => {
    expect(cgroupVersion(fixture('cgroup-v2'))).toBe(2);
    expect(counters(cgroupV2, fixture('cgroup-v2'), V2_PATH)).toEqual({
      cpuNs: 2_500_000_000,
      cpuLimitCores: 2,
      memUsage: 104857600,
      memRss: 52428800,
      inactiveFile: 20971520,
      memLimit: 536870912,
      oomKills: 1,
      pids: 4,
      ioReadBytes: 1048576 + 4096,
      ioWriteBytes: 2097152,
    });
  });

  it('reads the limits only when asked, and the gauges only when asked (the I/O counters always)', () => {
    for (const [layout, root, path] of [[cgroupV1, 'cgroup-v1', V1_PATH], [cgroupV2, 'cgroup-v2', V2_PATH]] as const) {
      const k = counters(layout, fixture(root), path, false);
      expect([k.cpuLimitCores, k.memLimit, typeof k.memUsage]).toEqual([undefined, undefined, 'number']);
      const io = layout.counters(filesOf(layout, fixture(root), path), false, false);
      expect(Object.keys(io).sort()).toEqual(['ioReadBytes', 'ioWriteBytes']);
    }
  });

  it('a cgroup that is gone reads as nothing, not as zeros', () => {
    const gone = counters(cgroupV2, fixture('cgroup-v2'), '/system.slice/gone.scope');
    expect(Object.values(gone).filter((v) => v !== undefined)).toEqual([]);
    expect(Object.values(counters(cgroupV1, fixture('cgroup-v1'), '/gone')).filter((v) => v !== undefined)).toEqual([]);
  });
});

describe('cgroup file parsers', () => {
  const count = (text: string) => countOf(...scratch(text));
  const keyed = (text: string, name: string) => keyedCount(...scratch(text), key(name));
  const sum = (text: string, marker: string) => sumAfter(...scratch(text), Buffer.from(marker));
  const net = (text: string) => (netDevOf(...scratch(text)) ? { ...netDev } : undefined);

  it('read one count, and no limit as undefined: `max`, v1’s huge count, a quota of -1', () => {
    expect([count('42\n'), count(' 7 '), count(''), count('-1\n'), count('4 2'), count('1'.repeat(21))]).toEqual([42, 7, undefined, undefined, undefined, undefined]);
    expect(memLimitOf(...scratch('max\n'))).toBeUndefined();
    expect(memLimitOf(...scratch('9223372036854771712\n'))).toBeUndefined();
    expect(memLimitOf(...scratch('1073741824\n'))).toBe(1073741824);
    expect([cpuMaxOf(...scratch('max 100000\n')), cpuMaxOf(...scratch('150000 100000\n')), cpuMaxOf(...scratch('5 0\n')), cpuMaxOf(...scratch('5 x\n'))]).toEqual([undefined, 1.5, undefined, undefined]);
    expect(cpuLimitCores(150000, 100000)).toBe(1.5);
  });

  it('skip what is not theirs: Total lines of blkio, unknown io.stat keys, loopback, the bytes past the text', () => {
    expect([sum('8:0 Read 10\n8:0 Total 10\nTotal 10\n', ' Read '), sum('8:0 Read 10\n8:0 Total 10\n', ' Write ')]).toEqual([10, 0]);
    expect([sum('8:0 rbytes=5 wbytes=6 dbytes=100\n9:0 rbytes=1 wbytes=x\n', ' rbytes='), sum('8:0 rbytes=5 wbytes=6\n', ' wbytes=')]).toEqual([6, 6]);
    expect(net('h\nh\n  lo: 1 0 0 0 0 0 0 0 1 0\n')).toBeUndefined();
    expect(net('h\nh\n eth0: 7 0 0 0 0 0 0 0 9 0\n  lo: 1 0 0 0 0 0 0 0 1 0\n eth1:1 0 0 0 0 0 0 0 1 0')).toEqual({ rx: 8, tx: 10 });
    expect(net('h\nh\n eth0: 7 0 0 0\n')).toBeUndefined();
    expect(['anon', 'broken', 'x', 'file', 'missing'].map((k) => keyed('anon 1\nbroken\n x\nfile -2\n', k))).toEqual([1, undefined, undefined, undefined, undefined]);
    // A key is a whole name at the start of a line: not the end of a longer one, not a value.
    expect([keyed('total_rss 5\nrss 7\nx rss 9\n', 'rss'), keyed('total_rss 5\nrss 7\n', 'total_rss')]).toEqual([7, 5]);
    expect([keyed('total_rss 5\n', 'rss'), keyed('rss 7', 'rss'), keyed('rss 7x\n', 'rss'), keyed('', 'rss')]).toEqual([undefined, 7, undefined, undefined]);
  });

  it('find in kernel-like text what a model of it holds (bounded fuzz)', () => {
    const n = fc.integer({ min: 0, max: 2 ** 50 });
    const device = fc.record({ r: n, w: n, other: n });
    fc.assert(
      fc.property(fc.array(device, { maxLength: 8 }), fc.array(fc.record({ name: fc.constantFrom('eth0', 'lo', 'wlan1', 'veth9'), rx: n, tx: n }), { maxLength: 6 }), fc.array(fc.tuple(fc.constantFrom('anon', 'file', 'inactive_file', 'anon_thp', 'x'), n), { maxLength: 10 }), (devices, ifaces, keyedLines) => {
        const io = devices.map((d, i) => `8:${i} rbytes=${d.r} wbytes=${d.w} rios=${d.other} dbytes=${d.other}\n`).join('');
        expect([sum(io, ' rbytes='), sum(io, ' wbytes=')]).toEqual([devices.reduce((s, d) => s + d.r, 0), devices.reduce((s, d) => s + d.w, 0)]);
        const dev = `Inter-|   Receive\n face |bytes\n${ifaces.map((f) => `${f.name}: ${f.rx} 1 2 3 4 5 6 7 ${f.tx} 9 10 11 12 13 14 15\n`).join('')}`;
        const counted = ifaces.filter((f) => f.name !== 'lo');
        expect(net(dev)).toEqual(counted.length ? { rx: counted.reduce((s, f) => s + f.rx, 0), tx: counted.reduce((s, f) => s + f.tx, 0) } : undefined);
        const stat = keyedLines.map(([k, v]) => `${k} ${v}\n`).join('');
        for (const k of ['anon', 'inactive_file']) expect(keyed(stat, k)).toBe(keyedLines.find(([name]) => name === k)?.[1]);
      }),
      { numRuns: 300 },
    );
  });

  it('never throw on hostile bytes, and give only non-negative finite numbers (bounded fuzz)', () => {
    const line = fc.oneof(fc.constantFrom('8:0 Read 10', '8:0 rbytes=1 wbytes=x', 'total_rss 5', 'eth0: 1 2 3 4 5 6 7 8 9', 'max 100000', 'Total 3', 'rss 99999999999999999999999'), fc.string({ maxLength: 60 }));
    const text = fc.array(line, { maxLength: 12 }).map((lines) => lines.join('\n'));
    const ok = (v: number | undefined) => v === undefined || (Number.isFinite(v) && v >= 0);
    fc.assert(
      fc.property(text, fc.string({ maxLength: 40 }), (t, stale) => {
        const at = scratch(t, stale);
        expect([sumAfter(...at, Buffer.from(' Read ')), sumAfter(...at, Buffer.from(' rbytes=')), countOf(...at), memLimitOf(...at), cpuMaxOf(...at)].every(ok)).toBe(true);
        expect(['total_rss', 'max', 'eth0:', ''].every((k) => ok(keyedCount(...at, key(k))))).toBe(true);
        if (netDevOf(...at)) expect([netDev.rx, netDev.tx].every(ok)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});
