import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import type { ResultRow } from '../../src/protocol/index.js';
import { BY_NAME, PACK, applyDefinitions, cli, jsonLines, sleep, waitFor, waitNoDrift } from './scenario-helpers.js';
import { describeInModes } from '../modes.js';

/*
 * S2 restart: the Ansible loop restarting leaking services one by one while
 * someone watches, replaced by a rollout: restart_app two hosts at a time,
 * waiting for each batch's health check, halting on the first unhealthy one.
 */

await describeInModes('S2 restart', 'test/scenarios/s2-restart.test.ts', (mode) => {
  let lab: Lab;
  /** Every lab host's service is watched from the moment the lab is up. */
  let watcher: AppWatcher;
  /** Far from other labs' services (test files run in parallel). */
  const APP_PORT_BASE = 18_200;

  const rollout = (timeout: string) =>
    `host | role = "web" | rolling(batch = 2, pause = 1s, until = ok(\`curl -fsS "http://127.0.0.1:$BW_TAG_PORT/health"\`), timeout = ${timeout}) | restart_app()`;

  beforeAll(async () => {
    lab = await startLab(mode.lab({ hosts: 6, apps: true, appPortBase: APP_PORT_BASE, tags: () => ({ role: 'web' }) }));
    await applyDefinitions(lab, join(PACK, 's2-restart.yaml'));
    await waitNoDrift(lab, 1);
    for (const h of lab.hosts) await waitFor(`${h.name}'s service to answer`, () => healthy(h.port), 15_000);
    watcher = watchApps(lab);
  }, 120_000);

  afterAll(async () => {
    watcher?.stop();
    await lab?.stop();
  });

  describe('S2: rolling restart of the lab service', () => {
    it('restarts every web host, never more than 2 services down at once, batch after batch', async () => {
      const before = new Map(lab.hosts.map((h) => [h.name, pidOf(h)]));
      const since = Date.now();
      const r = await cli(lab, ['run', '--yes', '--json', rollout('20s')], { timeoutMs: 120_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = jsonLines(r.stdout);
      const rows = lines.filter((l) => l.type === 'row').map((l) => l.row as ResultRow);
      expect(rows.map((x) => x.resource?.name ?? '?').sort(BY_NAME)).toEqual(lab.hosts.map((h) => h.name).sort(BY_NAME));
      for (const row of rows) expect(row).toMatchObject({ status: 'ok', values: { exit_code: 0 } });

      // Batches of 2 in host-name order, each announced, health-checked and done before the next.
      const progress = lines.filter((l) => l.type === 'progress');
      const started = progress.filter((p) => p.stage === 'batch_started').map((p) => p.resources as string[]);
      const names = lab.hosts.map((h) => h.name).sort(BY_NAME);
      expect(started).toEqual([names.slice(0, 2), names.slice(2, 4), names.slice(4, 6)]);
      expect(progress.map((p) => `${String(p.stage)} ${String(p.batch)}`)).toEqual([
        'batch_started 1',
        'waiting_for_health 1',
        'healthy 1',
        'batch_done 1',
        'batch_started 2',
        'waiting_for_health 2',
        'healthy 2',
        'batch_done 2',
        'batch_started 3',
        'waiting_for_health 3',
        'healthy 3',
        'batch_done 3',
      ]);

      // Every service was restarted exactly once: a new pid, one outage each.
      await waitFor('every service to be back', async () => (await Promise.all(lab.hosts.map((h) => healthy(h.port)))).every(Boolean), 15_000);
      for (const h of lab.hosts) expect(pidOf(h)).not.toBe(before.get(h.name));
      const outages = await watcher.outagesSince(since);
      expect(outages.map((o) => o.host).sort(BY_NAME)).toEqual(names);

      // Never more than 2 down at once...
      expect(maxConcurrent(outages)).toBeLessThanOrEqual(2);
      // ...because batches never overlap: each batch is back up before the next goes down.
      for (let b = 1; b < started.length; b++) {
        const previous = outages.filter((o) => started[b - 1]?.includes(o.host));
        const current = outages.filter((o) => started[b]?.includes(o.host));
        expect(Math.min(...current.map((o) => o.down))).toBeGreaterThanOrEqual(Math.max(...previous.map((o) => o.up)));
      }
    }, 120_000);

    it('halts on the first unhealthy batch: the rest are cancelled, untouched, and the output says why', async () => {
      // A web host joins whose health check points at a port nothing listens on.
      const closed = await closedPort();
      const bad = await lab.addHost({ tags: { role: 'web', port: String(closed) } });
      await lab.waitConnected([bad.name]);
      await waitNoDrift(lab, 1);
      await waitFor(`${bad.name}'s service to run`, () => healthy(bad.port), 15_000);
      watcher.track(bad);

      const names = lab.hosts.map((h) => h.name).sort(BY_NAME);
      const batches = [0, 2, 4, 6].map((i) => names.slice(i, i + 2));
      const haltAt = batches.findIndex((b) => b.includes(bad.name));
      // The bad host must not be in the last batch (the last batch has no next one to hold back).
      expect(haltAt).toBeGreaterThanOrEqual(0);
      expect(haltAt).toBeLessThan(batches.length - 1);
      const rolled = batches.slice(0, haltAt + 1).flat();
      const untouched = batches.slice(haltAt + 1).flat();
      const before = new Map(lab.hosts.map((h) => [h.name, pidOf(h)]));
      const since = Date.now();

      const r = await cli(lab, ['run', '--yes', '--json', rollout('3s')], { timeoutMs: 120_000 });
      expect(r.code).toBe(1);
      const lines = jsonLines(r.stdout);
      const rows = lines.filter((l) => l.type === 'row').map((l) => l.row as ResultRow);
      const byName = new Map(rows.map((x) => [x.resource?.name, x]));
      // The batch that ran but never became healthy is reported as such; the ones before it are fine.
      for (const n of rolled) {
        if (n === bad.name) expect(byName.get(n)).toMatchObject({ status: 'error', error: 'ran, but did not become healthy within 3s', values: { exit_code: 0 } });
        else expect(byName.get(n)).toMatchObject({ status: 'ok', values: { exit_code: 0 } });
      }
      for (const n of untouched) {
        expect(byName.get(n)?.status).toBe('cancelled');
        expect(byName.get(n)?.error).toContain('rollout halted');
        expect(byName.get(n)?.error).toContain(bad.name);
      }
      const halted = lines.find((l) => l.type === 'progress' && l.stage === 'halted');
      expect(halted).toMatchObject({ batch: haltAt + 1, resources: batches[haltAt] });
      expect(String(halted?.message)).toMatch(new RegExp(`did not become healthy within 3s: ${bad.name}`));
      expect(lines.find((l) => l.type === 'summary')).toMatchObject({ failed: untouched.length + 1 });

      // The rest were never touched: same service process, no outage.
      await sleep(500);
      for (const n of untouched) expect(pidOf(hostNamed(n)), `${n}'s service pid`).toBe(before.get(n));
      for (const n of rolled) expect(pidOf(hostNamed(n)), `${n}'s service pid`).not.toBe(before.get(n));
      const outages = await watcher.outagesSince(since);
      expect(outages.map((o) => o.host).sort(BY_NAME)).toEqual(rolled);

      // People see why too: the same halt, one host at a time, without --json.
      const pair = [bad.name, untouched[0] as string].sort(BY_NAME);
      expect(pair[0]).toBe(bad.name);
      const human = await cli(
        lab,
        ['run', '--yes', `host | name = "${bad.name}" or name = "${pair[1]}" | rolling(batch = 1, pause = 1s, until = ok(\`curl -fsS "http://127.0.0.1:$BW_TAG_PORT/health"\`), timeout = 2s) | restart_app()`],
        { timeoutMs: 60_000 },
      );
      expect(human.code).toBe(1);
      expect(human.stderr).toContain(`rollout: batch 1 did not become healthy within 2s: ${bad.name}`);
      expect(human.stdout).toContain(`1 host cancelled (${pair[1]}): not run: the rollout halted (batch 1 did not become healthy within 2s: ${bad.name})`);
      expect(pidOf(hostNamed(pair[1] as string))).toBe(before.get(pair[1] as string));
    }, 120_000);
  });

  function hostNamed(name: string): LabHost {
    const h = lab.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no lab host ${name}`);
    return h;
  }

  const pidOf = (h: LabHost) => Number(readFileSync(join(h.dir, 'run', 'app.pid'), 'utf8').trim());

  async function healthy(port: number): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  function closedPort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
  }

  interface Outage {
    readonly host: string;
    /** When the service process exited (ms epoch). */
    readonly down: number;
    /** When its successor first answered /health. */
    readonly up: number;
  }

  interface AppWatcher {
    track(h: LabHost): void;
    /** Outages that began at or after `since`; waits for ongoing ones to end. */
    outagesSince(since: number): Promise<Outage[]>;
    stop(): void;
  }

  /**
   * Watches every lab host's service: the exit of each service process (the
   * supervisor's child) starts an outage, the first good /health answer after it
   * ends it.
   */
  function watchApps(l: Lab): AppWatcher {
    const outages: { host: string; down: number; up?: number }[] = [];
    const seen = new WeakSet<ChildProcess>();
    const hosts = new Set<LabHost>(l.hosts);
    let stopped = false;
    const attach = () => {
      for (const h of hosts) {
        const app = h.app;
        if (!app || seen.has(app)) continue;
        seen.add(app);
        app.once('exit', () => outages.push({ host: h.name, down: Date.now() }));
      }
    };
    const loop = async () => {
      while (!stopped) {
        attach();
        const open = outages.filter((o) => o.up === undefined);
        await Promise.all(
          open.map(async (o) => {
            const h = [...hosts].find((x) => x.name === o.host);
            if (h && (await healthy(h.port))) o.up = Date.now();
          }),
        );
        await sleep(open.length ? 25 : 10);
      }
    };
    void loop();
    return {
      track: (h) => {
        hosts.add(h);
        attach();
      },
      outagesSince: async (since) => {
        await waitFor('every outage to end', () => outages.every((o) => o.up !== undefined), 15_000, 50);
        return outages.filter((o) => o.down >= since).map((o) => ({ host: o.host, down: o.down, up: o.up as number }));
      },
      stop: () => {
        stopped = true;
      },
    };
  }

  /** The most outages open at the same moment. */
  function maxConcurrent(outages: readonly Outage[]): number {
    const edges = outages.flatMap((o) => [
      { t: o.down, d: 1 },
      { t: o.up, d: -1 },
    ]);
    // At equal times, count an end before a start (back up, then the next one goes down).
    edges.sort((a, b) => a.t - b.t || a.d - b.d);
    let open = 0;
    let max = 0;
    for (const e of edges) {
      open += e.d;
      max = Math.max(max, open);
    }
    return max;
  }
});
