import { afterAll, beforeAll, it } from 'vitest';
import { PG_URL, describeWithService, probePostgres } from './helpers.js';
import type { Lab } from './scaled-failures-bed.js';
import { outageWhileAlarmsFire, startScaledLab } from './scaled-failures-bed.js';
import type { RestartableService } from './scaled-failures-services.js';
import { startRestartableNats } from './scaled-failures-services.js';

/*
 * Failure of the scaled mode: NATS restarts. A nats-server of the test's own is stopped (SIGTERM)
 * while alarms fire on the hosts (the agents keep the events in their outboxes), then started
 * again on the same port with the same JetStream store. What an operator checks: agents and
 * replicas come back by themselves, every event is stored once, queries answer through every
 * replica. Needs `npm run build`.
 */

const needed = { service: 'PostgreSQL', url: PG_URL, unreachable: await probePostgres() };

describeWithService(needed, 'scaled mode: NATS restarts', 'test/scaled-failures-nats-restart.test.ts', () => {
  let nats: RestartableService | undefined;
  let lab: Lab | undefined;
  const started = () => {
    if (!lab || !nats) throw new Error('the lab did not start');
    return { lab, nats };
  };

  beforeAll(async () => {
    nats = await startRestartableNats();
    lab = await startScaledLab({ hosts: 2, replicas: 2, nats: nats.url });
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
    await nats?.remove();
  }, 60_000);

  it('comes back by itself: every event recorded meanwhile stored once, queries answered by every replica', async () => {
    const { lab: l, nats: n } = started();
    const { storedAfterMs, answeredAfterMs } = await outageWhileAlarmsFire(l, n);
    console.info(`NATS restart: every event recorded while it was down stored ${storedAfterMs} ms after it was back; queries answered through both replicas ${answeredAfterMs} ms after`);
  }, 180_000);
});
