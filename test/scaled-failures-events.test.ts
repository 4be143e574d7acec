import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PG_URL, describeWithService, probePostgres } from './helpers.js';
import { NATS_URL, probeNats } from './nats-services.js';
import type { Lab } from './scaled-failures-bed.js';
import { applyThrough, replicaApi, sigkill, sql, startScaledLab, waitFor } from './scaled-failures-bed.js';
import { outbox } from './scenarios/scenario-helpers.js';

/*
 * Failure of the scaled mode: a replica is SIGKILLed while alarms fire and clear on three hosts
 * and a bot runs on each firing. The events stream is consumed by both replicas; what the dead
 * one had taken but not acknowledged is delivered again (after the consumer's ack wait) to the
 * survivor. What an operator checks: every alarm_fired, alarm_cleared and bot_ran event an agent
 * recorded is stored, and none twice. Needs `npm run build`.
 */

const DEFINITIONS = {
  'flag.yaml': `kind: action
name: note_flag
command: echo "flag seen on $BW_HOST"
resources: [host]
---
kind: alarm
name: flag-up
query: host
fire: ok(\`test -f "$HOST_ROOT/flag"\`)
interval: 1s
---
kind: bot
name: answer-flag
trigger: { alarm: flag-up, on: fired }
action: note_flag
cooldown: 0s
circuit_breaker: { max: 1000, window: 1h }
`,
};
const TYPES = ['alarm_fired', 'alarm_cleared', 'bot_ran'];
const ROUNDS = 3;

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };

describeWithService(needed, 'scaled mode: a replica killed while alarms fire and bots run', 'test/scaled-failures-events.test.ts', () => {
  let lab: Lab | undefined;
  const started = () => {
    if (!lab) throw new Error('the lab did not start');
    return lab;
  };
  /** Raises (or lowers) the flag on every host and waits until each host's alarm says so in its outbox. */
  const flags = async (up: boolean, round: number) => {
    const want = up ? 'alarm_fired' : 'alarm_cleared';
    for (const host of started().hosts) {
      if (up) await writeFile(join(host.dir, 'flag'), 'up\n');
      else await rm(join(host.dir, 'flag'), { force: true });
    }
    for (const host of started().hosts) {
      await waitFor(`${want} #${round} in ${host.name}'s outbox`, async () => (await outbox(host)).appended.filter((e) => e.type === want).length >= round);
    }
  };

  beforeAll(async () => {
    lab = await startScaledLab({ hosts: 3, replicas: 2 });
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it('stores every alarm_fired, alarm_cleared and bot_ran event once', async () => {
    const [doomed, survivor] = started().replicas as [Lab['replicas'][0], Lab['replicas'][0]];
    const { version } = await applyThrough(started(), survivor, DEFINITIONS);
    await waitFor('every agent to run the new definitions', async () => {
      const drift = await replicaApi<{ name: string; version: number | null }[]>(started(), survivor, '/api/v1/drift');
      return drift.length === 3 && drift.every((d) => d.version === version);
    });

    await flags(true, 1);
    await waitFor('the first firings stored', async () => (await sql(started(), "select 1 from events where type = 'alarm_fired'")).length === 3);
    // Killed while the bots of the first firing run and the next transitions are on their way.
    await sigkill(doomed.process);
    await flags(false, 1);
    for (let round = 2; round <= ROUNDS; round++) {
      await flags(true, round);
      await flags(false, round);
    }

    const recorded = new Map<string, string>();
    for (const host of started().hosts) {
      await waitFor(`${host.name}'s bot runs to finish`, async () => (await outbox(host)).appended.filter((e) => e.type === 'bot_ran').length >= ROUNDS);
      for (const e of (await outbox(host)).appended) if (TYPES.includes(e.type)) recorded.set(e.id, `${e.type} ${host.name}`);
    }
    // ROUNDS firings, clearings and bot runs on each of three hosts.
    expect(recorded.size).toBe(3 * 3 * ROUNDS);
    const stored = await waitFor('the survivor to store every recorded event', async () => {
      const rows = await sql<{ id: string; type: string; host: string }>(started(), 'select id, type, host from events where type = any($1)', [TYPES]);
      return rows.length >= recorded.size && rows;
    }, 90_000);
    // Exactly once: the same ids, none missing, none extra (a second copy would be an extra row).
    expect(new Map(stored.map((r) => [r.id, `${r.type} ${r.host}`]))).toEqual(recorded);
    expect(stored).toHaveLength(recorded.size);
    const twice = await sql(started(), 'select type, host, alarm, time, count(*)::int as n from events where type = any($1) group by type, host, alarm, time having count(*) > 1', [TYPES]);
    expect(twice).toEqual([]);
  }, 240_000);
});
