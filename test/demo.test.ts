import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../src/protocol/index.js';
import { fetchTrusting } from '../src/transport/index.js';
import { BIN } from './helpers.js';

/*
 * `npm run demo` is `breakwater demo`: the product's main job on its embedded default. Run as the
 * README says, as a real child process: a control plane, four real agents with their services,
 * the lab pack and its runbook, two faults fixed live; then Ctrl-C (SIGTERM) stops everything.
 */

let demo: ChildProcess | undefined;

afterAll(() => {
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
});

describe('breakwater demo', () => {
  it('narrates the faults being fixed, leaves a working fleet with the runbook, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    demo = child;
    let out = '';
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not finish narrating in 120 s:\n${out}\n${err}`)), 120_000);
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Ctrl-C stops everything.')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`the demo exited early (${code}):\n${out}\n${err}`)));
    });

    expect(out).toMatch(/Applied the lab pack \(\d+ files\) as definitions version 1/);
    expect(out).toContain('Imported 1 runbook (packs/lab-runbooks)');
    expect(out).toMatch(/web-1: fault to fixed in \d+\.\d+ s/);
    expect(out).toMatch(/web-2: fault to fixed in \d+\.\d+ s/);
    expect(out).not.toContain('⚠');
    expect(out).toMatch(/alarm app-workers-hung fired on db-3/);
    expect(out).toMatch(/bot reapply-patch-on-restart ran apply_patch on db-3/);

    // What it prints is enough to use the fleet it leaves running.
    const server = /export BREAKWATER_SERVER=(\S+)/.exec(out)?.[1] ?? '';
    const token = /export BREAKWATER_TOKEN=(\S+)/.exec(out)?.[1] ?? '';
    // Encrypted by default: the lab's control plane serves TLS with a CA it made, and says where it is.
    expect(server).toMatch(/^https:\/\//);
    const ca = readFileSync(/export BREAKWATER_CA=(\S+)/.exec(out)?.[1] ?? '', 'utf8');
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetchTrusting(`${server}${path}`, { headers: { authorization: `Bearer ${token}` }, ca });
      expect(res.status).toBe(200);
      return (await res.json()) as T;
    };
    const agents = await get<{ name: string; status: string }[]>('/api/v1/agents');
    expect(agents.map((a) => `${a.name} ${a.status}`).sort()).toEqual(['cache-4 connected', 'db-3 connected', 'web-1 connected', 'web-2 connected']);
    const events = await get<FleetEvent[]>('/api/v1/events?limit=200');
    for (const host of ['web-1', 'web-2']) {
      expect(events.some((e) => e.type === 'alarm_cleared' && e.alarm === 'data-disk-full' && e.host === host)).toBe(true);
    }
    // The S1 alarm links to the imported runbook.
    const runbooks = await get<{ name: string }[]>('/api/v1/runbooks');
    expect(runbooks.map((r) => r.name)).toContain('disk-full');
    const defs = await get<{ definitions: { kind: string; name: string; runbook?: string }[] }>('/api/v1/definitions');
    expect(defs.definitions.find((d) => d.kind === 'alarm' && d.name === 'data-disk-full')?.runbook).toBe('disk-full');

    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    // The control plane went with it.
    await expect(fetchTrusting(`${server}/healthz`, { ca })).rejects.toThrow();
  }, 180_000);
});
