import { afterAll, beforeAll, it } from 'vitest';
import { NATS_URL, describeWithNats } from './nats-services.js';
import type { Lab } from './scaled-failures-bed.js';
import { outageWhileAlarmsFire, startScaledLab } from './scaled-failures-bed.js';
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
    const { storedAfterMs, answeredAfterMs } = await outageWhileAlarmsFire(l, pg);
    // Reported, not asserted: whether a bot runs while the circuit breaker's store is down is its policy's matter.
    const outcomes = (await Promise.all(l.hosts.map(outbox))).flatMap((o) => o.appended).filter((e) => e.type.startsWith('bot_')).map((e) => `${e.type} ${JSON.stringify(e.details)}`);
    console.info(`PostgreSQL restart: bot outcomes ${JSON.stringify(outcomes)}; every event of the outage stored ${storedAfterMs} ms after it was back; queries answered through both replicas ${answeredAfterMs} ms after`);
  }, 180_000);
});
