import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import type { AuditRow, RunDetail, RunRow } from './scenario-helpers.js';
import { PACK, events, labForFile, waitFor } from './scenario-helpers.js';
import { describeInModes } from '../modes.js';

/*
 * S1 disk: the cron job that deleted runaway logs, replaced by the pack's
 * alarm data-disk-full, action clean_logs and bot clean-data-logs.
 */

await describeInModes('S1 disk', 'test/scenarios/s1-disk.test.ts', (mode) => {
  let lab: Lab;
  labForFile(mode.lab({ hosts: 4 }), PACK, (l) => (lab = l)); // web-1, web-2, db-3, cache-4
  const host = (name: string): LabHost => {
    const h = lab.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no lab host ${name}`);
    return h;
  };
  const runaway = (h: LabHost) => join(h.dataDir, 'logs', 'runaway.log');

  describe('S1: a runaway log fills /data on web hosts', () => {
    it('cleans both web hosts filling at the same time, records everything in order, and leaves the db host alone', async () => {
      const web = [host('web-1'), host('web-2')];
      const db = host('db-3');
      const started = Date.now();
      // Two web hosts fill at once; the db host fills too, but the alarm is for web hosts only.
      await Promise.all([...web.map((h) => lab.fillDisk(h, 95)), lab.fillDisk(db, 95)]);

      // How fast is measured by `npm run bench -- remediation` (fault to cleaned), not asserted here.
      for (const h of web) await waitFor(`${h.name}'s runaway log to be deleted`, () => !existsSync(runaway(h)), 15_000, 100);

      for (const h of web) {
        const timeline = await waitFor(
          `alarm fired, bot ran and alarm cleared on ${h.name}`,
          async () => {
            const all = (await events(lab, { host: h.name, since: started })).filter((e) => e.alarm === 'data-disk-full' || e.bot === 'clean-data-logs');
            return all.some((e) => e.type === 'alarm_cleared') ? all : undefined;
          },
          15_000,
        );
        // Oldest first: exactly fired, ran, cleared (the API lists newest first).
        const ordered = [...timeline].reverse();
        expect(ordered.map((e) => e.type)).toEqual(['alarm_fired', 'bot_ran', 'alarm_cleared']);
        const [fired, ran, cleared] = ordered as [(typeof ordered)[0], (typeof ordered)[0], (typeof ordered)[0]];
        expect(fired.time).toBeLessThanOrEqual(ran.time);
        expect(ran.time).toBeLessThanOrEqual(cleared.time);
        expect(fired).toMatchObject({ alarm: 'data-disk-full', host: h.name });
        expect(fired.value).toBeGreaterThan(90);
        // The bot on that host: the control plane names it, not the agent (test/security/hostile-agent.test.ts).
        const bot = `bot:clean-data-logs@${h.name}`;
        expect(ran).toMatchObject({ bot: 'clean-data-logs', action: 'clean_logs', principal: bot, alarm: 'data-disk-full' });
        expect(ran.details).toMatchObject({ ok: true, exitCode: 0, args: { dir: 'data/logs' } });
        expect(cleared.value).toBeLessThan(80);

        // The bot's run is a run record like any other, and is audited.
        expect(ran.runId).toBeTruthy();
        const run = await lab.api<RunDetail>(`/api/v1/runs/${String(ran.runId)}`);
        expect(run.run).toMatchObject({ principal: bot, status: 'succeeded', targets: 1, failures: 0 });
        expect(run.run.statement).toContain(`on ${h.name}`);
        expect(run.results).toHaveLength(1);
        expect(run.results[0]).toMatchObject({ host: h.name, exitCode: 0 });
        expect(run.results[0]?.stdout).toContain('runaway.log');
        const runs = await lab.api<RunRow[]>('/api/v1/runs?limit=100');
        expect(runs).toContainEqual(expect.objectContaining({ id: ran.runId, principal: bot }));
        const audit = await lab.api<AuditRow[]>(`/api/v1/audit?principal=${encodeURIComponent(bot)}&limit=100`);
        expect(audit).toContainEqual(expect.objectContaining({ principal: bot, action: 'run', runId: ran.runId, outcome: 'ok' }));
      }

      // The db host's disk is full too, but nothing of S1 touches it: its log is still there.
      expect(existsSync(runaway(db))).toBe(true);
      const dbEvents = (await events(lab, { host: db.name, since: started })).filter((e) => e.alarm === 'data-disk-full' || e.bot === 'clean-data-logs');
      expect(dbEvents).toEqual([]);
      const dbRuns = (await lab.api<RunRow[]>('/api/v1/runs?limit=100')).filter((r) => r.principal.startsWith('bot:clean-data-logs@') && r.statement.includes(db.name));
      expect(dbRuns).toEqual([]);
    }, 60_000);
  });
});
