import { expect, it } from 'vitest';
import { PG_URL, describeWithService, probePostgres } from './helpers.js';
import { NATS_URL, probeNats } from './nats-services.js';
import { applyThrough, sigkill, sql, scaledLabForTests, waitFor } from './scaled-failures-bed.js';

/*
 * Failure of the scaled mode: the replica that runs a schedule's ticks is SIGKILLed. Each tick is
 * claimed in the store by one replica (tick_claims) and run there. What an operator checks: no
 * tick ran twice (never more schedule runs than claimed ticks), and the ticks go on, on the
 * survivor. Needs `npm run build`.
 */

const SCHEDULE = 'every-two-seconds';
const DEFINITIONS = {
  'schedule.yaml': `kind: schedule
name: ${SCHEDULE}
every: 2s
run: host | \`echo tick\`
`,
};

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };

describeWithService(needed, 'scaled mode: a replica killed while a schedule is due', 'test/scaled-failures-schedule.test.ts', () => {
  const started = scaledLabForTests({ hosts: 2, replicas: 2 });
  const claims = () => sql<{ tick: string; holder: string }>(started(), 'select tick, holder from tick_claims where name like $1 order by tick', [`${SCHEDULE}%`]);
  const runs = () => sql<{ id: string; status: string; started_at: string }>(started(), 'select id, status, started_at from runs where principal = $1', [`schedule:${SCHEDULE}`]);

  it('runs each tick once, and the ticks go on on the survivor', async () => {
    await applyThrough(started(), started().replicas[0]!, DEFINITIONS);
    const before = await waitFor('three ticks claimed', async () => {
      const c = await claims();
      return c.length >= 3 && c;
    });
    // The replica that claimed the latest tick dies: its holder name carries its pid.
    const latest = before.at(-1)!.holder;
    const doomed = started().replicas.find((r) => latest.includes(`:${r.process.pid}:`));
    expect(doomed, `a replica named in ${latest}`).toBeDefined();
    const survivor = started().replicas.find((r) => r !== doomed)!;
    await sigkill(doomed!.process);
    const killedAt = Date.now();

    const after = await waitFor('three more ticks claimed by the survivor', async () => {
      const c = await claims();
      return c.filter((x) => Number(x.tick) > killedAt && x.holder.includes(`:${survivor.process.pid}:`)).length >= 3 && c;
    });
    // Let the last claimed tick's run be recorded before counting.
    await waitFor('the latest claimed tick to have its run', async () => (await runs()).some((r) => Number(r.started_at) >= Number(after.at(-1)!.tick)));
    const all = await claims();
    const ran = await runs();
    // Once each: a tick run twice would make more runs than claims. At most the one tick the dead
    // replica claimed as it died may have no run.
    expect(ran.length).toBeLessThanOrEqual(all.length);
    expect(ran.length).toBeGreaterThanOrEqual(all.length - 1);
    expect(ran.filter((r) => Number(r.started_at) > killedAt).length).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
