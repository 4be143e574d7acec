import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import type { FleetEventRow } from './scenario-helpers.js';
import { PACK, applyDefinitions, events, query, waitFor, waitNoDrift } from './scenario-helpers.js';
import { describeInModes } from '../modes.js';

/*
 * S5 read-only fs: every host coming into service used to be checked by hand
 * after a bad package. A check alarm runs on every host (and every host that
 * joins); a bot quarantines a broken one with a tag, and a webhook is told.
 */

await describeInModes('S5 read-only', 'test/scenarios/s5-read-only.test.ts', (mode) => {
  let lab: Lab;
  let receiver: Server;
  const received: { path: string; body: { event: FleetEventRow } }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(body) as { event: FleetEventRow } });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as { port: number };
    lab = await startLab(mode.lab({ hosts: 2, webhooks: [`http://127.0.0.1:${port}/hooks/breakwater`] }));
    const applied = Date.now();
    await applyDefinitions(lab, join(PACK, 's5-read-only.yaml'));
    await waitNoDrift(lab, 1);
    // The first hosts' own join-time check runs as their definitions arrive, a moment after the drift
    // report: wait for it, so that the checks counted below are the new host's alone.
    const initial = lab.hosts.map((h) => h.name).sort();
    await waitFor('the join-time check of the first hosts', async () => {
      // Hosts, not runs: a host checked twice (harmless) must not hold the wait forever. The cause of
      // the one CI failure (scaled mode, beside another suite) was not pinned down: slowness or a repeat.
      const ran = [...new Set((await events(lab, { type: 'bot_ran', bot: 'check-joining-host', since: applied })).map((e) => e.host as string))].sort();
      return ran.join() === initial.join() ? ran : undefined;
      // Two replicas, their agents and another suite beside them share two cores: room to be slow.
    }, 30_000, 100);
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  interface AgentRow {
    readonly name: string;
    readonly status: string;
    readonly tags: Record<string, string>;
  }

  describe('S5: a host joins with a read-only /var/tmp', () => {
    /** The broken host, joined once by whichever test needs it first (each test sets up its own state). */
    let joining: Promise<{ broken: LabHost; joinedAt: number }> | undefined;
    const brokenHost = () =>
      (joining ??= (async () => {
        const joinedAt = Date.now();
        const broken = await lab.addHost({ readOnly: true });
        await lab.waitConnected([broken.name]);
        return { broken, joinedAt };
      })());

    it('quarantines the broken host soon after it joins, and only it', async () => {
      const { broken, joinedAt } = await brokenHost();

      const agent = await waitFor(
        `${broken.name} to be tagged quarantine`,
        async () => (await lab.api<AgentRow[]>('/api/v1/agents')).find((a) => a.name === broken.name && a.tags.quarantine),
        15_000,
        100,
      );
      expect(agent.tags.quarantine).toContain('read-only');
      expect(agent.tags.quarantine).toContain(broken.name);

      const rows = await query(lab, 'host | quarantine != ""');
      expect(rows.map((r) => r.resource?.name)).toEqual([broken.name]);
      // The writable hosts are not quarantined.
      const agents = await lab.api<AgentRow[]>('/api/v1/agents');
      for (const a of agents.filter((x) => x.name !== broken.name)) expect(a.tags.quarantine, a.name).toBeUndefined();

      // The join-time check ran the quarantine action on the new host, and only there.
      const joined = await events(lab, { type: 'bot_ran', bot: 'check-joining-host', since: joinedAt });
      expect(joined.map((e) => e.host)).toEqual([broken.name]);
      expect(String(joined[0]?.details.stdout)).toContain('quarantined: read-only /var/tmp when');
    }, 60_000);

    it('fires fs-read-only for it (and not for writable hosts) and notifies the webhook', async () => {
      const { broken, joinedAt } = await brokenHost();
      const fired = await waitFor(
        `alarm fs-read-only to fire on ${broken.name}`,
        async () => (await events(lab, { type: 'alarm_fired', alarm: 'fs-read-only', since: joinedAt }))[0],
        15_000,
      );
      expect(fired).toMatchObject({ host: broken.name, severity: 'critical' });
      const notified = await waitFor(
        'the webhook to receive the alarm_fired notification',
        () => received.find((r) => r.body.event.type === 'alarm_fired' && r.body.event.alarm === 'fs-read-only'),
        15_000,
      );
      expect(notified.path).toBe('/hooks/breakwater');
      expect(notified.body.event).toMatchObject({ id: fired.id, type: 'alarm_fired', alarm: 'fs-read-only', host: broken.name, severity: 'critical', resource: broken.name });
      expect(notified.body.event.message).toContain(`alarm fs-read-only fired on ${broken.name}`);

      // Writable hosts never fired, and the webhook heard of no other host.
      const all = await events(lab, { alarm: 'fs-read-only' });
      expect(new Set(all.map((e) => e.host))).toEqual(new Set([broken.name]));
      expect(new Set(received.map((r) => r.body.event.host))).toEqual(new Set([broken.name]));
      // It stays quarantined (the alarm's own bot quarantines it again, or finds it done).
      expect((await query(lab, 'host | quarantine != ""')).map((r) => r.resource?.name)).toEqual([broken.name]);
    }, 60_000);
  });
});
