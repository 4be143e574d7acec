import { describe, expect, it } from 'vitest';

import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { SyntheticSource } from './synthetic-source.js';
import type { Snapshot } from './types.js';

const T0 = 1_700_000_000_000;

async function run(seed: number | string, passes: number): Promise<Snapshot[]> {
  let now = T0;
  const src = new SyntheticSource({ hostname: 'sim-1', seed, clock: () => now });
  const out: Snapshot[] = [];
  for (let i = 0; i < passes; i++) {
    out.push(await src.collect());
    now += 1000;
  }
  return out;
}

describe('SyntheticSource', () => {
  it('is deterministic per seed and differs between seeds', async () => {
    const a = await run(42, 50);
    const b = await run(42, 50);
    const c = await run('web-2', 50);
    expect(b).toEqual(a);
    expect(c.map((s) => s.host[0]!.value)).not.toEqual(a.map((s) => s.host[0]!.value));
    const f1 = await new SyntheticSource({ hostname: 'h', seed: 7 }).facts();
    const f2 = await new SyntheticSource({ hostname: 'h', seed: 7 }).facts();
    expect(f1).toEqual(f2);
    expect(f1.machineId).toMatch(/^[0-9a-f]{32}$/);
    expect(f1.hostname).toBe('h');
  });

  it('produces the catalogue metrics in range, a / and /var disk, and a handful of processes', async () => {
    const snaps = await run(3, 2000);
    const host = BUILTIN_CATALOGUE.resources.host.metrics;
    const wrong: string[] = [];
    for (const snap of snaps) {
      for (const s of snap.host) {
        const m = host.find((x) => x.name === s.name);
        const labelsOk = m !== undefined && Object.keys(s.labels ?? {}).sort().join() === [...m.labels].sort().join();
        if (!m || !labelsOk || !(s.value >= 0) || (m.dim === 'percent' && s.value > 100)) wrong.push(`${s.name}${JSON.stringify(s.labels ?? {})}=${s.value}`);
      }
    }
    expect(wrong).toEqual([]);
    const last = snaps.at(-1)!;
    expect(new Set(last.host.map((s) => s.name))).toEqual(new Set(host.map((m) => m.name)));
    expect(last.host.filter((s) => s.name === 'disk_usage').map((s) => s.labels!.mount)).toEqual(['/', '/var']);
    const cpu = snaps.map((s) => s.host.find((x) => x.name === 'cpu_usage')!.value);
    expect(Math.max(...cpu) - Math.min(...cpu)).toBeGreaterThan(10); // it wanders
    expect(last.processes.length).toBeGreaterThanOrEqual(5);
    expect(last.processes[0]!.info).toMatchObject({ pid: 1, name: 'systemd', user: 'root' });
    const pm = BUILTIN_CATALOGUE.resources.process.metrics.map((m) => m.name);
    for (const p of last.processes) for (const s of p.samples) expect(pm).toContain(s.name);
    const uptime = (s: Snapshot): number => s.host.find((x) => x.name === 'uptime_seconds')!.value;
    expect(uptime(last) - uptime(snaps[0]!)).toBeCloseTo(1999, 6);
    const src = new SyntheticSource({ hostname: 'h', seed: 3 });
    expect(await src.onDemand(1, 'fd_count')).toBeGreaterThan(0);
    expect(await src.onDemand(999_999, 'fd_count')).toBeUndefined();
  });

  it('pins overridden metrics for fault injection', async () => {
    const src = new SyntheticSource({ hostname: 'h', seed: 1 });
    src.override('disk_usage', 97, { mount: '/', device: '/dev/sda1', fstype: 'ext4' });
    src.override('zombie_count', 3);
    src.override('disk_usage', 99, { mount: '/data', device: '/dev/sdc1', fstype: 'xfs' });
    const snap = await src.collect();
    const disk = snap.host.filter((s) => s.name === 'disk_usage').map((s) => [s.labels!.mount, s.value]);
    expect(disk).toContainEqual(['/', 97]);
    expect(disk).toContainEqual(['/data', 99]);
    expect(snap.host.find((s) => s.name === 'zombie_count')!.value).toBe(3);
    src.override('zombie_count', undefined);
    const next = await src.collect();
    expect(next.host.find((s) => s.name === 'zombie_count')!.value).toBeLessThanOrEqual(1);
  });
});
