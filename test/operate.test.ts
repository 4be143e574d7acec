import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../src/lab/index.js';
import type { DriftRow, FleetEventRow } from './scenarios/scenario-helpers.js';
import { PACK, cli, events, labForFile, labHost, sleep, waitFor } from './scenarios/scenario-helpers.js';
import { describeInModes } from './modes.js';

/*
 * Silences, maintenance and bot switches end to end, against a real lab (S1's disk alarm and bot):
 * what the API and CLI switch reaches the agents (WebSocket, or NATS in the scaled mode), which
 * hold it on their own, also while every control plane is down; the permit path holds it too.
 */

const BOT = 'clean-data-logs';
const ALARM = 'data-disk-full';

await describeInModes('operating: silences, maintenance, bot switches', 'test/operate.test.ts', (mode) => {
  let lab: Lab;
  labForFile(mode.lab({ hosts: 4 }), join(PACK, 's1-disk.yaml'), (l) => (lab = l)); // web-1, web-2, db-3, cache-4
  const runaway = (h: LabHost) => join(h.dataDir, 'logs', 'runaway.log');
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await lab.fetch(path, { method, headers: { authorization: `Bearer ${lab.token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!res.ok) throw new Error(`${method} ${path} answered HTTP ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  /** The host's S1 events of one type since a time, newest first. */
  const s1 = async (h: LabHost, type: string, since: number): Promise<FleetEventRow[]> => (await events(lab, { host: h.name, type, since })).filter((e) => e.alarm === ALARM || e.bot === BOT);
  /** Frees the host's disk by hand and waits for the alarm to clear there. */
  const freeByHand = async (h: LabHost, since: number) => {
    rmSync(runaway(h), { force: true });
    await waitFor(`${ALARM} to clear on ${h.name}`, async () => (await s1(h, 'alarm_cleared', since))[0], 20_000, 100);
  };
  /** Waits until the alarm is not firing on the host (its newest transition is a clear), so that a new fill fires it anew. */
  const settled = (h: LabHost) =>
    waitFor(`${ALARM} not firing on ${h.name}`, async () => {
      const last = (await events(lab, { host: h.name, alarm: ALARM })).find((e) => e.type === 'alarm_fired' || e.type === 'alarm_cleared');
      return !last || last.type === 'alarm_cleared';
    }, 20_000, 100);
  /** Agents hear of a change over their connection right after the API answers: a moment for it to land. */
  const delivered = () => sleep(1000);
  /**
   * Long enough for a bot that would run to have run: each wait starts once the fire is seen (its
   * event, or the bot's skip), and the agent decides on a bot as the alarm fires.
   */
  const wouldHaveRun = () => sleep(2000);

  describe('a silence', () => {
    it('records the alarm on the silenced host marked silenced and runs no bot there, while an unsilenced host is cleaned', async () => {
      const [web1, web2] = [labHost(lab, 'web-1'), labHost(lab, 'web-2')];
      const since = Date.now();
      const made = await cli(lab, ['silence', 'create', '--alarm', ALARM, '--hosts', 'host | name = "web-1"', '--for', '10m', '--reason', 'disk swap on web-1', '--json']);
      expect(made.code, made.stderr).toBe(0);
      const silence = JSON.parse(made.stdout) as { id: string; state: string };
      expect(silence.state).toBe('active');
      await delivered();

      await Promise.all([lab.fillDisk(web1, 95), lab.fillDisk(web2, 95)]);
      await waitFor('web-2 to be cleaned by the bot', () => !existsSync(runaway(web2)), 20_000, 100);
      const fired = await waitFor('the silenced alarm_fired on web-1', async () => (await s1(web1, 'alarm_fired', since))[0], 20_000, 100);
      expect(fired.details.silenced).toMatchObject({ id: silence.id, by: 'admin', reason: 'disk swap on web-1' });
      await wouldHaveRun();
      expect(existsSync(runaway(web1))).toBe(true);
      expect(await s1(web1, 'bot_ran', since)).toEqual([]);
      expect((await s1(web2, 'alarm_fired', since))[0]?.details.silenced).toBeUndefined();

      const listed = await cli(lab, ['silence', 'list', '-o', 'json']);
      expect((JSON.parse(listed.stdout) as { id: string; state: string }[]).find((s) => s.id === silence.id)?.state).toBe('active');
      await freeByHand(web1, since);
      const ended = await cli(lab, ['silence', 'end', silence.id]);
      expect(ended.code, ended.stderr).toBe(0);
      expect((await call<{ id: string; state: string }[]>('GET', '/api/v1/silences')).find((s) => s.id === silence.id)?.state).toBe('ended');
      expect((await events(lab, { since })).map((e) => e.type)).toEqual(expect.arrayContaining(['silence_created', 'silence_ended']));
    }, 90_000);
  });

  describe('maintenance mode', () => {
    it('refuses the bot while on, saying why; off again, the bot runs', async () => {
      const web2 = labHost(lab, 'web-2');
      const since = Date.now();
      const on = await cli(lab, ['maintenance', 'on', '--reason', 'database upgrade']);
      expect(on.code, on.stderr).toBe(0);
      await delivered();
      await lab.fillDisk(web2, 95);
      const skipped = await waitFor('the bot skipped on web-2', async () => (await s1(web2, 'bot_skipped', since))[0], 20_000, 100);
      expect(skipped.details.reason).toContain('maintenance mode is on (set by admin: database upgrade)');
      await wouldHaveRun();
      expect(existsSync(runaway(web2))).toBe(true);
      const status = await cli(lab, ['maintenance', 'status']);
      expect(status.stdout).toContain('Maintenance mode: on');
      await freeByHand(web2, since);

      expect((await cli(lab, ['maintenance', 'off'])).code).toBe(0);
      await delivered();
      await lab.fillDisk(web2, 95);
      await waitFor('web-2 to be cleaned once maintenance is off', () => !existsSync(runaway(web2)), 20_000, 100);
      expect((await events(lab, { since })).map((e) => e.type)).toEqual(expect.arrayContaining(['maintenance_started', 'maintenance_ended']));
    }, 90_000);
  });

  describe('a bot switch', () => {
    it('a bot switched off does not run and shows as drift; switched on, it runs again', async () => {
      const web1 = labHost(lab, 'web-1');
      const since = Date.now();
      expect((await cli(lab, ['bot', 'disable', BOT, '--reason', 'incident 42'])).code).toBe(0);
      const drift = await lab.api<(DriftRow & { switchedOff: string[] })[]>('/api/v1/drift');
      expect(drift.every((r) => r.switchedOff.includes(BOT))).toBe(true);
      const driftCli = await cli(lab, ['drift']);
      expect([driftCli.code, driftCli.stdout.includes(`bots switched off: ${BOT}`)]).toEqual([1, true]);
      await delivered();

      await lab.fillDisk(web1, 95);
      const skipped = await waitFor('the bot skipped on web-1', async () => (await s1(web1, 'bot_skipped', since))[0], 20_000, 100);
      expect(skipped.details.reason).toBe(`bot ${BOT} is switched off (by admin: incident 42)`);
      await wouldHaveRun();
      expect(existsSync(runaway(web1))).toBe(true);
      await freeByHand(web1, since);

      expect((await cli(lab, ['bot', 'enable', BOT])).code).toBe(0);
      expect((await lab.api<{ switchedOff: string[] }[]>('/api/v1/drift')).every((r) => r.switchedOff.length === 0)).toBe(true);
      await delivered();
      await lab.fillDisk(web1, 95);
      await waitFor('web-1 to be cleaned once the bot is switched on', () => !existsSync(runaway(web1)), 20_000, 100);
      const audit = await lab.api<{ action: string }[]>('/api/v1/audit?limit=100');
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['bot.disable', 'bot.enable', 'maintenance.on', 'silence.create']));
    }, 90_000);
  });

  describe('with every control plane down', () => {
    it('an agent still honours a silence it was sent, while another host is cleaned offline', async () => {
      const [web1, web2] = [labHost(lab, 'web-1'), labHost(lab, 'web-2')];
      await Promise.all([settled(web1), settled(web2)]);
      // The bot ran on web-1 a moment ago (the test before): past its 5 s cooldown, it may run again.
      const lastRun = (await s1(web1, 'bot_ran', 0))[0]?.time ?? 0;
      await sleep(Math.max(0, lastRun + 5500 - Date.now()));
      const since = Date.now();
      await call('POST', '/api/v1/silences', { alarm: null, hosts: 'host | name = "web-2"', durationSeconds: 600, reason: 'offline test' });
      await delivered();
      for (const r of lab.replicas) r.process.kill('SIGKILL');
      await waitFor('every control plane to be dead', () => lab.replicas.every((r) => r.process.exitCode !== null || r.process.signalCode !== null), 5000, 20);

      await Promise.all([lab.fillDisk(web1, 95), lab.fillDisk(web2, 95)]);
      await waitFor('web-1 to be cleaned while the control plane is down', () => !existsSync(runaway(web1)), 20_000, 100);
      await wouldHaveRun();
      expect(existsSync(runaway(web2))).toBe(true);

      await lab.restartServer();
      await lab.waitConnected(undefined, 60_000);
      const fired = await waitFor('web-2\'s silenced alarm_fired, delivered after the restart', async () => (await s1(web2, 'alarm_fired', since))[0], 60_000, 250);
      expect(fired.details.silenced).toMatchObject({ reason: 'offline test' });
      expect(await s1(web2, 'bot_ran', since)).toEqual([]);
      rmSync(runaway(web2), { force: true });
    }, 150_000);
  });
});
