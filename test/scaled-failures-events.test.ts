import { expect, it } from 'vitest';
import { PG_URL, describeWithService, probePostgres } from './helpers.js';
import { NATS_URL, probeNats } from './nats-services.js';
import type { Lab } from './scaled-failures-bed.js';
import { FLAG_EVENTS, applyFlags, flags, recordedFlagEvents, sigkill, sql, scaledLabForTests, storedFlagEvents, waitFor } from './scaled-failures-bed.js';

/*
 * Failure of the scaled mode: a replica is SIGKILLed while alarms fire and clear on three hosts
 * and a bot runs on each firing. The events stream is consumed by both replicas; what the dead
 * one had taken but not acknowledged is delivered again (after the consumer's ack wait) to the
 * survivor. What an operator checks: every alarm_fired, alarm_cleared and bot_ran event an agent
 * recorded is stored, and none twice. Needs `npm run build`.
 */

const ROUNDS = 3;

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };

describeWithService(needed, 'scaled mode: a replica killed while alarms fire and bots run', 'test/scaled-failures-events.test.ts', () => {
  const started = scaledLabForTests({ hosts: 3, replicas: 2 });

  it('stores every alarm_fired, alarm_cleared and bot_ran event once', async () => {
    const [doomed, survivor] = started().replicas as [Lab['replicas'][0], Lab['replicas'][0]];
    await applyFlags(started(), survivor);
    await flags(started(), true, 1);
    await waitFor('the first firings stored', async () => (await sql(started(), "select 1 from events where type = 'alarm_fired'")).length === 3);
    // Killed while the bots of the first firing run and the next transitions are on their way.
    await sigkill(doomed.process);
    await flags(started(), false, 1);
    for (let round = 2; round <= ROUNDS; round++) {
      await flags(started(), true, round);
      await flags(started(), false, round);
    }

    const recorded = await recordedFlagEvents(started(), ROUNDS);
    // ROUNDS firings, clearings and bot runs on each of three hosts.
    expect(recorded.size).toBe(3 * 3 * ROUNDS);
    const stored = await storedFlagEvents(started(), recorded);
    // Exactly once: the same ids, none missing, none extra (a second copy would be an extra row).
    expect(stored.byId).toEqual(recorded);
    expect(stored.rows).toBe(recorded.size);
    const twice = await sql(started(), 'select type, host, alarm, time, count(*)::int as n from events where type = any($1) group by type, host, alarm, time having count(*) > 1', [FLAG_EVENTS]);
    expect(twice).toEqual([]);
  }, 240_000);
});
