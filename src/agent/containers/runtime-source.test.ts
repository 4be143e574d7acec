import { describe, expect, it } from 'vitest';
import type { KernelContainer } from './discovery.js';
import type { ContainerMetadata } from './engine-api.js';
import { RuntimeSource } from './runtime-source.js';

const kernel = (id: string, initPid: number): KernelContainer => ({ id: id.repeat(64), runtime: 'containerd', cgroupPath: '/', initPid, pids: [initPid] });
const meta: ContainerMetadata = { name: 'web', image: 'nginx:1', state: 'running', created: undefined, labels: {}, restartCount: 2 };

describe('RuntimeSource', () => {
  it('asks for a new or restarted container, or a stale answer; backs off after failures, up to five minutes; reports each problem once', async () => {
    const asked: number[] = [];
    const problems: string[] = [];
    let failing = false;
    let now = 0;
    const source = new RuntimeSource(
      async (_socket, containers) => {
        asked.push(now);
        if (failing) throw new Error('gRPC status 12: unknown service runtime.v1.RuntimeService');
        return new Map(containers.map((c) => [c.id, meta]));
      },
      { refreshMs: 30_000, onProblem: (p) => problems.push(p) },
    );
    const refresh = async (at: number, ...containers: KernelContainer[]) => {
      now = at;
      await source.refresh('/run/containerd/containerd.sock', containers, at);
    };
    await refresh(0, kernel('a', 10));
    await refresh(1000, kernel('a', 10));
    expect(source.get('a'.repeat(64))).toEqual(meta);
    await refresh(2000, kernel('a', 11)); // restarted: same id, new init process
    await refresh(40_000, kernel('a', 11)); // stale
    expect(asked).toEqual([0, 2000, 40_000]);

    failing = true;
    for (let at = 70_000; at < 70_000 + 20 * 60_000; at += 1000) await refresh(at, kernel('a', 11));
    // 5 s, 10 s, 20 s, … then every 5 minutes.
    expect(asked.slice(3, 11).map((t, i, all) => (i ? t - (all[i - 1] as number) : 0))).toEqual([0, 5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000]);
    expect(problems).toEqual(['gRPC status 12: unknown service runtime.v1.RuntimeService']);
    // The last answer stays while the runtime fails.
    expect(source.get('a'.repeat(64))).toEqual(meta);

    failing = false;
    const last = asked.at(-1) as number;
    await refresh(last + 300_000, kernel('a', 11));
    await refresh(last + 301_000, kernel('b', 12));
    expect(asked.slice(-2)).toEqual([last + 300_000, last + 301_000]);
  });
});
