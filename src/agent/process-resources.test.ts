import { describe, expect, it } from 'vitest';
import { MemoryTsdb } from './metrics/tsdb.js';
import type { ProcessInfo } from './metrics/types.js';
import { ProcessResources } from './process-resources.js';

const info = (pid: number, state = 'S'): ProcessInfo => ({ pid, ppid: 1, name: `p${pid}`, cmdline: `p${pid} --serve`, user: 'root', state, startTime: 1_700_000_000 });
const reading = (i: ProcessInfo, rss: number) => ({ info: i, samples: [{ name: 'mem_rss_bytes', value: rss }] });
const T = 1_800_000_000_000;

describe('ProcessResources', () => {
  it('keeps a process\'s resource while its info and the host\'s tags are the same objects, and makes it again when either changes', () => {
    const tsdb = new MemoryTsdb();
    const processes = new ProcessResources('web-1', tsdb, { BW_TAG_DIR: '/tags' });
    const a = info(10);
    const tags = { env: 'prod' };
    processes.record([reading(a, 1)], T, tags);
    const first = processes.resources[0];
    expect(first).toMatchObject({ ref: { type: 'process', id: 'web-1/10', name: 'p10', host: 'web-1' }, tags, seriesKey: 'process/10', env: { BW_TAG_DIR: '/tags' } });
    processes.record([reading(a, 2)], T + 1000, tags);
    expect(processes.resources[0]).toBe(first);
    const stopped = info(10, 'T');
    processes.record([reading(stopped, 3)], T + 2000, tags);
    expect(processes.resources[0]).not.toBe(first);
    expect(processes.resources[0]?.attrs.state).toBe('T');
    const retagged = { env: 'staging' };
    processes.record([reading(stopped, 4)], T + 3000, retagged);
    expect(processes.resources[0]?.tags).toBe(retagged);
    expect(tsdb.range('process/10', 'mem_rss_bytes', [], 60, T + 3000)[0]?.points.map((p) => p.value)).toEqual([1, 2, 3, 4]);
  });

  it('starts the series of a pid over when another process has it now (a new start time)', () => {
    const tsdb = new MemoryTsdb();
    const processes = new ProcessResources('web-1', tsdb);
    processes.record([reading(info(7), 1)], T, {});
    processes.record([reading({ ...info(7), startTime: 1_700_000_500 }, 2)], T + 1000, {});
    expect(tsdb.range('process/7', 'mem_rss_bytes', [], 60, T + 1000)[0]?.points.map((p) => p.value)).toEqual([2]);
  });

  it('lists the processes of the pass in its order, and drops the series of those gone', () => {
    const tsdb = new MemoryTsdb();
    const processes = new ProcessResources('web-1', tsdb);
    processes.record([reading(info(1), 1), reading(info(2), 1), reading(info(3), 1)], T, {});
    processes.record([reading(info(3), 1), reading(info(1), 1)], T + 1000, {});
    expect(processes.resources.map((r) => r.pid)).toEqual([3, 1]);
    expect(tsdb.resourceNames().sort()).toEqual(['process/1', 'process/3']);
  });
});
