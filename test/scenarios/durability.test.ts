import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import type { FleetEventRow, RunRow } from './scenario-helpers.js';
import { PACK, applyDefinitions, events, outbox, waitFor, waitNoDrift } from './scenario-helpers.js';
import { describeInModes } from '../modes.js';

/*
 * The control plane dies (SIGKILL: no goodbye, no flush; every replica, scaled) while alarms fire on
 * several hosts. Agents keep detecting and remediating on their own, keep
 * their events in the outbox, and deliver every one of them exactly once
 * after the control plane is back.
 */

await describeInModes('durability', 'test/scenarios/durability.test.ts', (mode) => {
  let lab: Lab;
  const TYPES = ['alarm_fired', 'bot_ran', 'alarm_cleared'] as const;
  const runaway = (h: LabHost) => join(h.dataDir, 'logs', 'runaway.log');

  beforeAll(async () => {
    // Three web hosts (web-1, web-2, db-3 tagged web) and one other.
    lab = await startLab(mode.lab({ hosts: 4, tags: (i): Record<string, string> => (i === 2 ? { role: 'web' } : {}) }));
    await applyDefinitions(lab, join(PACK, 's1-disk.yaml'));
    await waitNoDrift(lab, 1);
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  });

  const allDead = () => lab.replicas.every((r) => r.process.exitCode !== null || r.process.signalCode !== null);

  /** Events of S1 on the web hosts since `since`, oldest first. */
  async function s1Events(since: number): Promise<FleetEventRow[]> {
    const all = await events(lab, { since });
    return all.filter((e) => (e.alarm === 'data-disk-full' && (e.type === 'alarm_fired' || e.type === 'alarm_cleared')) || (e.bot === 'clean-data-logs' && e.type === 'bot_ran')).reverse();
  }

  describe('durability: the control plane is killed while alarms fire', () => {
    it('delivers every alarm and bot event exactly once, in order per host, after it comes back', async () => {
      const web = lab.hosts.filter((h) => h.tags.role === 'web');
      expect(web.map((h) => h.name)).toEqual(['web-1', 'web-2', 'db-3']);
      const [first, ...rest] = web as [LabHost, ...LabHost[]];
      const since = Date.now();

      // The first host's alarm fires while the control plane is up; it dies right after.
      await lab.fillDisk(first, 95);
      await waitFor(`alarm data-disk-full to fire on ${first.name}`, async () => (await events(lab, { type: 'alarm_fired', host: first.name, since }))[0], 15_000, 50);
      // Every control plane: in the scaled mode, both replicas (none is left to take the events).
      for (const r of lab.replicas) r.process.kill('SIGKILL');
      await waitFor('every control plane to be dead', allDead, 5000, 20);

      // While it is away, the other web hosts fill up; their agents clean up on their own.
      await Promise.all(rest.map((h) => lab.fillDisk(h, 95)));
      for (const h of web) await waitFor(`${h.name}'s runaway log to be cleaned while the control plane is down`, () => !existsSync(runaway(h)), 15_000, 100);
      // The alarms clear too, still offline: each agent has recorded its alarm_cleared in its outbox.
      await waitFor(
        'every web host to record data-disk-full cleared while the control plane is down',
        async () => (await Promise.all(web.map(outbox))).every((o) => o.appended.some((e) => e.type === 'alarm_cleared' && e.alarm === 'data-disk-full' && e.time >= since)),
        15_000,
        100,
      );
      expect(allDead()).toBe(true);

      // One comes back (the first replica, in the scaled mode): it alone catches up on everything.
      await lab.restartServer();
      await lab.waitConnected(undefined, 60_000);

      const expected = web.length * TYPES.length;
      await waitFor(`all ${expected} events to arrive`, async () => (await s1Events(since)).length >= expected, 60_000, 250);
      // Nothing is left to redeliver (every event acknowledged), so no duplicate can still show up.
      await waitFor('every web host\'s outbox to be acknowledged', async () => (await Promise.all(web.map(outbox))).every((o) => o.pending.length === 0), 30_000, 100);
      const got = await s1Events(since);

      // Exactly once: by id, and by (type, host).
      expect(new Set(got.map((e) => e.id)).size).toBe(got.length);
      const keys = got.map((e) => `${e.type} ${String(e.host)}`).sort();
      expect(keys).toEqual(web.flatMap((h) => TYPES.map((t) => `${t} ${h.name}`)).sort());

      // In the order they happened, per host: fired, the bot ran, cleared.
      for (const h of web) {
        const mine = got.filter((e) => e.host === h.name);
        expect(mine.map((e) => e.type), h.name).toEqual([...TYPES]);
        const times = mine.map((e) => e.time);
        expect([...times].sort((a, b) => a - b)).toEqual(times);
      }
      // The hosts filled while the control plane was down ran the bot offline, under their policy.
      for (const h of rest) {
        const ran = got.find((e) => e.host === h.name && e.type === 'bot_ran');
        expect(ran?.details, h.name).toMatchObject({ ok: true, offline: true });
      }

      // Each bot run is one run record, not one per delivery.
      const runs = (await lab.api<RunRow[]>('/api/v1/runs?limit=1000')).filter((r) => r.principal.startsWith('bot:clean-data-logs@') && r.startedAt >= since - 60_000);
      const ranIds = got.filter((e) => e.type === 'bot_ran').map((e) => e.runId);
      expect(runs.map((r) => r.id).sort()).toEqual([...ranIds].sort());
    }, 150_000);
  });
});
