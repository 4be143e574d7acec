import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import type { FleetEventRow } from './scenario-helpers.js';
import { PACK, applyDefinitions, events, query, waitFor, waitNoDrift } from './scenario-helpers.js';
import { describeInModes } from '../modes.js';

/*
 * S4 hung workers: a config patch that lives only in memory, re-applied by
 * hand after every restart. The pack's custom metric busy_workers shows the
 * hang, a bot applies the patch, and another re-applies it after every
 * restart of the service, with no person involved.
 */

await describeInModes('S4 hung workers', 'test/scenarios/s4-hung-workers.test.ts', (mode) => {
  let lab: Lab;
  /** Far from other labs' services (test files run in parallel). */
  const APP_PORT_BASE = 18_300;

  beforeAll(async () => {
    lab = await startLab(mode.lab({ hosts: 2, apps: true, appPortBase: APP_PORT_BASE }));
    await applyDefinitions(lab, join(PACK, 's4-hung-workers.yaml'));
    await waitNoDrift(lab, 1);
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  });

  const pidOf = (h: LabHost) => Number(readFileSync(join(h.dir, 'run', 'app.pid'), 'utf8').trim());

  /** busy_workers of one host, as the fleet query language answers it. */
  async function busyWorkers(h: LabHost): Promise<number | undefined> {
    const rows = await query(lab, `host | name = "${h.name}" | busy_workers`);
    const v = rows[0]?.values.busy_workers;
    return typeof v === 'number' ? v : undefined;
  }

  /** What the service itself says: busy workers, whether the patch is in memory, its pid. */
  async function appState(h: LabHost): Promise<{ busy: number; patched: boolean; pid: number }> {
    const res = await fetch(`http://127.0.0.1:${h.port}/health`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as { busy: number; patched: boolean; pid: number };
  }

  describe('S4: workers hang after a bad library; the patch lives in memory only', () => {
    it('detects the hang from busy_workers, patches it, and re-applies the patch after every restart', async () => {
      const [sick, healthy] = lab.hosts as [LabHost, LabHost];
      await waitFor('busy_workers to be sampled', async () => (await busyWorkers(sick)) === 0, 15_000);
      const started = Date.now();
      await lab.hangWorkers(sick, true);

      const fired = await waitFor(
        `alarm app-workers-hung to fire on ${sick.name}`,
        async () => (await events(lab, { type: 'alarm_fired', alarm: 'app-workers-hung', host: sick.name, since: started }))[0],
        20_000,
      );
      expect(fired.value).toBeGreaterThanOrEqual(3);
      const patched = await waitFor(
        `bot patch-hung-workers to run on ${sick.name}`,
        async () => (await events(lab, { type: 'bot_ran', bot: 'patch-hung-workers', host: sick.name, since: started }))[0],
        15_000,
      );
      expect(patched).toMatchObject({ action: 'apply_patch', principal: `bot:patch-hung-workers@${sick.name}`, details: expect.objectContaining({ ok: true }) });
      await waitFor(`busy_workers back to 0 on ${sick.name}`, async () => (await busyWorkers(sick)) === 0, 15_000);
      expect(await appState(sick)).toMatchObject({ busy: 0, patched: true });
      await waitFor(`alarm app-workers-hung to clear on ${sick.name}`, async () => (await events(lab, { type: 'alarm_cleared', alarm: 'app-workers-hung', host: sick.name, since: started }))[0], 15_000);

      // The bad library stays installed; every restart forgets the patch. Nobody re-applies it by hand.
      const restarts: { pid: number; at: number; reapplied: FleetEventRow }[] = [];
      for (let i = 0; i < 3; i++) {
        const oldPid = pidOf(sick);
        const at = Date.now();
        await lab.restartApp(sick);
        const pid = await waitFor('the new service to write its pid', () => (pidOf(sick) !== oldPid ? pidOf(sick) : undefined), 10_000, 50);
        const reapplied = await waitFor(
          `bot reapply-patch-on-restart to run on ${sick.name} after restart ${i + 1}`,
          async () => (await events(lab, { type: 'bot_ran', bot: 'reapply-patch-on-restart', host: sick.name, since: at })).find((e) => e.resource === `${sick.name}/${pid}`),
          15_000,
        );
        expect(reapplied).toMatchObject({ action: 'apply_patch', principal: `bot:reapply-patch-on-restart@${sick.name}`, details: expect.objectContaining({ ok: true, trigger: 'process_restarted' }) });
        // Within seconds the new process has the patch and no hung worker.
        await waitFor(`the patch back in restart ${i + 1}'s service`, async () => {
          const s = await appState(sick);
          return s.pid === pid && s.patched && s.busy === 0;
        }, 10_000);
        await waitFor(`busy_workers 0 on ${sick.name} after restart ${i + 1}`, async () => (await busyWorkers(sick)) === 0, 10_000);
        restarts.push({ pid, at, reapplied });
      }
      // One re-application per restart, for that restart's process.
      const all = await events(lab, { type: 'bot_ran', bot: 'reapply-patch-on-restart', host: sick.name, since: started });
      expect(all.map((e) => e.resource).sort()).toEqual(restarts.map((r) => `${sick.name}/${r.pid}`).sort());
      // No person was involved: no approvals, and every run was a bot's.
      expect(await lab.api<unknown[]>('/api/v1/approvals')).toEqual([]);
      const ran = await events(lab, { type: 'bot_ran', since: started });
      for (const e of ran) expect(e.principal).toMatch(/^bot:/);

      // The healthy host was never patched nor alarmed.
      expect(await events(lab, { host: healthy.name, since: started }).then((es) => es.filter((e) => e.alarm === 'app-workers-hung' || e.bot !== null))).toEqual([]);
      expect(await appState(healthy)).toMatchObject({ busy: 0, patched: false });
    }, 120_000);
  });
});
