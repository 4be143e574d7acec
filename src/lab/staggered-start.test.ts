import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BreakwaterError } from '../protocol/index.js';
import type { LabProgress } from './staggered-start.js';
import { startStaggered, startTimeoutMs } from './staggered-start.js';

/** Hosts whose agents "connect" a number of looks after they are started; `exits` never do, and exit. */
function fleet(count: number, { connectAfterLooks = 2, exits = [] as string[], never = [] as string[] } = {}) {
  const hosts = Array.from({ length: count }, (_, i) => ({ name: `web-${i + 1}`, process: undefined as ChildProcess | undefined }));
  const startedAtLook = new Map<string, number>();
  let looks = 0;
  let mostStarting = 0;
  const up = () => new Set(hosts.filter((h) => !never.includes(h.name) && !exits.includes(h.name) && looks - (startedAtLook.get(h.name) ?? Infinity) >= connectAfterLooks).map((h) => h.name));
  return {
    hosts,
    start: (i: number) => {
      const host = hosts[i]!;
      startedAtLook.set(host.name, looks);
      host.process = { exitCode: exits.includes(host.name) ? 1 : null, signalCode: null } as ChildProcess;
      const connected = up();
      mostStarting = Math.max(mostStarting, [...startedAtLook.keys()].filter((n) => !connected.has(n)).length);
    },
    connected: async () => {
      looks++;
      return up();
    },
    mostStarting: () => mostStarting,
    startedCount: () => startedAtLook.size,
  };
}

const rejection = async (promise: Promise<unknown>): Promise<BreakwaterError> => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BreakwaterError);
  return err as BreakwaterError;
};

describe('a staggered start', () => {
  it('never has more than `concurrency` agents starting, starts every one, and reports progress up to all connected', async () => {
    const f = fleet(20);
    const seen: LabProgress[] = [];

    await startStaggered({ ...f, concurrency: 4, timeoutMs: 60_000, logs: '/tmp/logs', pollMs: 0, onProgress: (p) => seen.push(p) });

    expect(f.startedCount()).toBe(20);
    expect(f.mostStarting()).toBe(4);
    expect(seen.at(-1)).toMatchObject({ connected: 20, total: 20 });
    expect(seen.every((p, i) => i === 0 || p.connected >= seen[i - 1]!.connected)).toBe(true);
    expect(seen.every((p) => p.total === 20 && p.elapsedMs >= 0)).toBe(true);
  });

  it('stops at the first agent that exits before connecting, naming it and its log', async () => {
    const f = fleet(10, { exits: ['web-3'] });

    const err = await rejection(startStaggered({ ...f, concurrency: 4, timeoutMs: 60_000, logs: '/tmp/lab/logs', pollMs: 0 }));

    expect(err.code).toBe('BW_ERR_UNAVAILABLE');
    expect(err.message).toBe('lab: the agent of web-3 exited (1) before it connected; see /tmp/lab/logs/web-3.log');
  });

  it('gives up at the timeout, saying how many connected, which are missing and how many never started', async () => {
    const f = fleet(30, { never: Array.from({ length: 12 }, (_, i) => `web-${i + 1}`) });

    const err = await rejection(startStaggered({ ...f, concurrency: 12, timeoutMs: 20, logs: '/tmp/logs', pollMs: 5 }));

    expect(err.code).toBe('BW_ERR_UNAVAILABLE');
    expect(err.message).toBe('lab: 0 of 30 agents connected after 0 s; missing web-1, web-2, web-3, web-4, web-5, web-6, web-7, web-8, web-9, web-10 and 20 more (18 not started yet) (logs in /tmp/logs)');
  });

  it('allows more time the more hosts there are', () => {
    expect(startTimeoutMs(200)).toBeGreaterThan(startTimeoutMs(12));
    expect(startTimeoutMs(200)).toBe(860_000);
  });
});
