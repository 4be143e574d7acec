import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.js';
import { PACK, cli, events, labWithDefinitions, waitFor } from './scenario-helpers.js';
import { describeInModes } from '../modes.js';

/*
 * External alerts trigger bots on the hosts they name; back-tests replay an
 * alarm over the agents' stored per-second metrics.
 */

const EXTERNAL = `
kind: action
name: note_alert
description: Writes the alert's reason into a file on the host.
command: printf '%s\\n' "$reason" > "$HOST_ROOT/alert-note"
params:
  reason: string
timeout: 10s
---
kind: bot
name: on-pager-alert
trigger:
  external: pager-disk
action: note_alert
args:
  reason: "\${event.reason} on \${host}"
cooldown: 0s
`;

await describeInModes('external alerts and back-tests', 'test/scenarios/alerts-and-backtest.test.ts', (mode) => {
  let lab: Lab;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ lab, stop } = await labWithDefinitions(mode.lab({ hosts: 2, tags: () => ({ role: 'web' }) }), { 'external.yaml': EXTERNAL }, PACK));
  }, 90_000);

  afterAll(async () => {
    await stop?.();
  });

  describe('external alerts', () => {
    it('run the bots with that external trigger on the named hosts only, with the alert context', async () => {
      const [first, second] = lab.hosts;
      if (!first || !second) throw new Error('two hosts expected');
      const answer = await lab.api<{ delivered: string[]; offline: string[] }>('/api/v1/alerts', { alert: 'pager-disk', hosts: [first.name], context: { reason: 'disk almost full; rm -rf / #' } });
      expect(answer).toEqual({ alert: 'pager-disk', delivered: [first.name], offline: [] });
      const note = join(first.dir, 'alert-note');
      await waitFor('the alert note on the first host', () => existsSync(note));
      expect(readFileSync(note, 'utf8')).toBe(`disk almost full; rm -rf / # on ${first.name}\n`);
      expect(existsSync(join(second.dir, 'alert-note'))).toBe(false);
      const ran = await waitFor('a bot_ran event', async () => (await events(lab, { type: 'bot_ran', bot: 'on-pager-alert' }))[0]);
      expect(ran).toMatchObject({ host: first.name, action: 'note_alert' });
    });

    it('says which named hosts were offline, and refuses a bad payload with the field named', async () => {
      const answer = await lab.api<{ delivered: string[]; offline: string[] }>('/api/v1/alerts', { alert: 'pager-disk', hosts: ['no-such-host'] });
      expect(answer.offline).toEqual(['no-such-host']);
      const res = await lab.fetch('/api/v1/alerts', { method: 'POST', headers: { authorization: `Bearer ${lab.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ alert: 'x', hosts: [] }) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toContain('hosts: name at least one host');
    });
  });

  describe('back-tests', () => {
    it('report when an alarm would have fired and cleared, per host, from stored metrics', async () => {
      const [first] = lab.hosts;
      if (!first) throw new Error('a host expected');
      await lab.fillDisk(first, 95);
      await waitFor('the S1 alarm to clear again', async () => (await events(lab, { alarm: 'data-disk-full', host: first.name }))[0]?.type === 'alarm_cleared');
      const r = await cli(lab, ['backtest', join(PACK, 's1-disk.yaml'), '--hours', '0.1', '--json']);
      expect(r.code).toBe(0);
      const result = JSON.parse(r.stdout) as { alarm: string; hosts: { host: string; error: string | null; transitions: { state: string; resource: string; value: number | null }[] }[] };
      expect(result.alarm).toBe('data-disk-full');
      const byHost = new Map(result.hosts.map((h) => [h.host, h]));
      const fired = byHost.get(first.name)?.transitions.filter((t) => t.state === 'fired') ?? [];
      expect(fired.length).toBeGreaterThanOrEqual(1);
      expect(fired[0]?.value).toBeGreaterThan(90);
      for (const [host, h] of byHost) if (host !== first.name) expect(h.transitions).toEqual([]);

      const human = await cli(lab, ['backtest', join(PACK, 's1-disk.yaml'), '--hours', '0.1']);
      expect(human.stdout).toMatch(new RegExp(`${first.name}: \\d+ time\\(s\\) fired`));
    }, 60_000);
  });
});
