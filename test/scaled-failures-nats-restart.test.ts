import { afterAll, beforeAll, expect, it } from 'vitest';
import { PG_URL, describeWithService, probePostgres, runCli } from './helpers.js';
import type { Lab } from './scaled-failures-bed.js';
import { applyFlags, flags, recordedFlagEvents, replicaApi, startScaledLab, storedFlagEvents, waitFor } from './scaled-failures-bed.js';
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
    await applyFlags(l, l.replicas[0]!);
    await flags(l, true, 1);

    await n.stop();
    // Recorded while NATS is down: the agents keep them in their outboxes.
    await flags(l, false, 1);
    await flags(l, true, 2);
    await flags(l, false, 2);
    const restartedAt = Date.now();
    await n.start();

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
    console.info(`NATS restart: every event recorded while it was down stored ${storedAfterMs} ms after it was back; queries answered through both replicas ${Date.now() - restartedAt} ms after`);
  }, 180_000);
});
