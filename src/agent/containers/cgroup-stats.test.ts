import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cgroupVersion, cpuLimitCores, keyedValues, parseCount, parseMemLimit } from './cgroup-stats.js';
import { parseBlkio, readCgroupV1 } from './cgroup-v1.js';
import { parseIoStat, readCgroupV2 } from './cgroup-v2.js';
import { parseNetDev } from './net-dev.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const V1_PATH = '/libpod_parent/libpod-6877ea216077cd27dea74c7fd38c8cb7031d98c0c9d65b75be074ae1a50029be';
const V2_PATH = `/system.slice/docker-${'1'.repeat(64)}.scope`;

describe('cgroup counters from the fixture trees', () => {
  it('v1 (podman on cgroupfs, taken from this project’s CI machine; limits set): one hierarchy per controller', () => {
    expect(cgroupVersion(fixture('cgroup-v1'))).toBe(1);
    expect(readCgroupV1(fixture('cgroup-v1'), V1_PATH)).toEqual({
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
    expect(readCgroupV2(fixture('cgroup-v2'), V2_PATH)).toEqual({
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

  it('a cgroup that is gone reads as nothing, not as zeros', () => {
    const gone = readCgroupV2(fixture('cgroup-v2'), '/system.slice/gone.scope');
    expect(Object.values(gone).filter((v) => v !== undefined)).toEqual([]);
    expect(Object.values(readCgroupV1(fixture('cgroup-v1'), '/gone')).filter((v) => v !== undefined)).toEqual([]);
  });
});

describe('cgroup file parsers', () => {
  it('read no limit as undefined: `max`, v1’s huge count, a quota of -1', () => {
    expect(parseMemLimit('max\n')).toBeUndefined();
    expect(parseMemLimit('9223372036854771712\n')).toBeUndefined();
    expect(parseMemLimit('1073741824\n')).toBe(1073741824);
    expect(cpuLimitCores(parseCount('-1'), 100000)).toBeUndefined();
    expect(cpuLimitCores(150000, 100000)).toBe(1.5);
  });

  it('skip what is not theirs: Total lines of blkio, unknown io.stat keys, loopback', () => {
    expect(parseBlkio('8:0 Read 10\n8:0 Total 10\nTotal 10\n')).toEqual({ ioReadBytes: 10, ioWriteBytes: 0 });
    expect(parseIoStat('8:0 rbytes=5 wbytes=6 dbytes=100\n')).toEqual({ ioReadBytes: 5, ioWriteBytes: 6 });
    expect(parseNetDev('h\nh\n  lo: 1 0 0 0 0 0 0 0 1 0\n')).toBeUndefined();
    expect(parseNetDev('h\nh\n eth0: 7 0 0 0 0 0 0 0 9 0\n')).toEqual({ rx: 7, tx: 9 });
    expect(keyedValues('anon 1\nbroken\n x\nfile -2\n', ['anon', 'broken', 'x', 'file', 'missing'])).toEqual([1, undefined, undefined, undefined, undefined]);
    // A key is a whole name at the start of a line: not the end of a longer one, not a value.
    expect(keyedValues('total_rss 5\nrss 7\nx rss 9\n', ['rss', 'total_rss'])).toEqual([7, 5]);
    expect(keyedValues('total_rss 5\n', ['rss'])).toEqual([undefined]);
    expect(keyedValues('rss 7', ['rss'])).toEqual([7]);
    expect(keyedValues(undefined, ['rss'])).toEqual([undefined]);
  });

  it('never throw on hostile text, and give only non-negative finite numbers (bounded fuzz)', () => {
    const line = fc.oneof(fc.constantFrom('8:0 Read 10', '8:0 rbytes=1 wbytes=x', 'total_rss 5', 'eth0: 1 2 3 4 5 6 7 8 9', 'max 100000', 'Total 3'), fc.string({ maxLength: 60 }));
    const text = fc.array(line, { maxLength: 12 }).map((lines) => lines.join('\n'));
    const numbers = (o: object) => Object.values(o).every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0);
    fc.assert(
      fc.property(text, (t) => {
        expect(numbers(parseBlkio(t))).toBe(true);
        expect(numbers(parseIoStat(t))).toBe(true);
        expect(numbers(parseNetDev(t) ?? {})).toBe(true);
        expect(keyedValues(t, ['total_rss', 'max', 'eth0:', '']).every((v) => v === undefined || (Number.isFinite(v) && v >= 0))).toBe(true);
        const limit = parseMemLimit(t);
        expect(limit === undefined || limit >= 0).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});
