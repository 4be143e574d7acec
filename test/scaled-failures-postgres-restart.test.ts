import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import { NATS_URL, describeWithNats } from './nats-services.js';
import type { Lab } from './scaled-failures-bed.js';
import { applyFlags, flags, recordedFlagEvents, replicaApi, startScaledLab, storedFlagEvents, waitFor } from './scaled-failures-bed.js';
import type { RestartableService } from './scaled-failures-services.js';
import { startPrivatePostgres } from './scaled-failures-services.js';
import { outbox } from './scenarios/scenario-helpers.js';

/*
 * Failure of the scaled mode: PostgreSQL restarts. A private cluster of the test's own (initdb +
 * pg_ctl) is stopped (fast: every session ended) while alarms fire on the hosts, then started
 * again on the same port. The events reach JetStream meanwhile; the replicas cannot store them.
 * What an operator checks: the replicas come back by themselves, every event is stored once,
 * queries answer through every replica. Needs `npm run build`.
 */

await describeWithNats('scaled mode: PostgreSQL restarts', 'test/scaled-failures-postgres-restart.test.ts', () => {
  let postgres: RestartableService | undefined;
  let lab: Lab | undefined;
  const started = () => {
    if (!lab || !postgres) throw new Error('the lab did not start');
    return { lab, postgres };
  };

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    lab = await startScaledLab({ hosts: 2, replicas: 2, postgres: postgres.url, nats: NATS_URL });
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
    await postgres?.remove();
  }, 60_000);

  it('comes back by itself: every event of the outage stored once, queries answered by every replica', async () => {
    const { lab: l, postgres: pg } = started();
    await applyFlags(l, l.replicas[0]!);
    await flags(l, true, 1);

    await pg.stop();
    // Recorded and published while the store is down: the replicas cannot acknowledge them yet.
    await flags(l, false, 1);
    await flags(l, true, 2);
    await flags(l, false, 2);
    const restartedAt = Date.now();
    await pg.start();

    const recorded = await recordedFlagEvents(l, 2);
    expect(recorded.size).toBe(2 * 3 * 2);
    const stored = await storedFlagEvents(l, recorded);
    const storedAfterMs = Date.now() - restartedAt;
    expect(stored.byId).toEqual(recorded);
    expect(stored.rows).toBe(recorded.size);

    for (const replica of l.replicas) {
      await waitFor(`${replica.server} to list both agents connected`, async () => {
        const agents = await replicaApi<{ name: string; status: string }[]>(l, replica, '/api/v1/agents');
        return agents.filter((a) => a.status === 'connected').length === 2;
      });
      const answer = await runCli(['run', '--json', 'host | `echo back`'], { env: { BREAKWATER_SERVER: replica.server, BREAKWATER_CA: l.ca, BREAKWATER_TOKEN: l.token }, timeoutMs: 60_000 });
      expect(answer.code, answer.stderr).toBe(0);
      expect(answer.stdout.split('\n').filter((line) => line.includes('"type":"row"') && line.includes('"status":"ok"'))).toHaveLength(2);
    }
    // Reported, not asserted: whether a bot runs while the circuit breaker's store is down is its policy's matter.
    const outcomes = (await Promise.all(l.hosts.map(outbox))).flatMap((o) => o.appended).filter((e) => e.type.startsWith('bot_')).map((e) => `${e.type} ${JSON.stringify(e.details)}`);
    console.info(`PostgreSQL restart: bot outcomes ${JSON.stringify(outcomes)}; every event of the outage stored ${storedAfterMs} ms after it was back; queries answered through both replicas ${Date.now() - restartedAt} ms after`);
  }, 180_000);
});
