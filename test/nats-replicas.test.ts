import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { FleetEvent, NatsSubjects } from '../src/protocol/index.js';
import { BreakwaterError } from '../src/protocol/index.js';
import type { Principal } from '../src/server/auth.js';
import { resolveServerConfig } from '../src/server/config.js';
import { systemClock } from '../src/server/fleet/index.js';
import type { Store } from '../src/server/store/index.js';
import type { ControlPlane } from '../src/server/wire.js';
import { wireControlPlane } from '../src/server/wire.js';
import { describeWithService, PG_URL, probePostgres, waitUntil } from './helpers.js';
import { connectNats, NATS_URL, probeNats, testSubjects } from './nats-services.js';
import { postgresBackEnd } from './store/back-ends.js';

/*
 * Issue 11, "Once across replicas": two control planes wired as `breakwater server --bus` wires
 * them (wireControlPlane with `replicas`), each with its own PostgreSQL pool and NATS connection,
 * on one database and one subject prefix. What one applies is in force on the other, schedules
 * included; applies racing on one base version leave one version, never a partial one; events one
 * stores reach the other's live streams.
 */

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };
const ADMIN: Principal = { id: 'tok-admin', name: 'admin', role: 'admin' };
const ALICE: Principal = { id: 'tok-alice', name: 'alice', role: 'admin' };

const action = (name: string) => ({ path: `${name}.yaml`, text: `kind: action\nname: ${name}\ncommand: echo ${name}\n` });
const schedule = (name: string, every: string) => ({ path: `${name}.yaml`, text: `kind: schedule\nname: ${name}\nevery: ${every}\nrun: host | \`echo ${name}\`\n` });

interface Replica {
  readonly plane: ControlPlane;
  readonly store: Store;
  readonly nc: NatsConnection;
  stopped: boolean;
}

describeWithService(needed, 'control planes as replicas on one PostgreSQL and one NATS', 'test/nats-replicas.test.ts', () => {
  const { harness } = postgresBackEnd();
  let dir: string;
  let replicas: Replica[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-replicas-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const r of replicas) if (!r.stopped) r.plane.stop();
    // Let the feeds' unsubscribes and a reload under way finish before their connections and pools go.
    await Promise.all(replicas.map((r) => r.nc.flush()));
    await Promise.all(replicas.map(async (r) => Promise.all([r.nc.close(), r.store.close()])));
    replicas = [];
  });

  /** `count` replicas on a fresh schema, wired one after the other (the first migrates, as the first to start does). */
  async function start(count: number, subjects: NatsSubjects = testSubjects()): Promise<Replica[]> {
    const target = await harness().fresh();
    for (let i = 0; i < count; i++) {
      const store = target.open();
      if (i === 0) await store.migrate();
      const nc = await connectNats(`test/nats-replicas.test.ts#${i}`);
      const plane = await wireControlPlane({ config: resolveServerConfig({ dataDir: dir, port: 0 }), store, logger: pino({ level: 'silent' }), clock: systemClock, replicas: { nc, subjects } });
      replicas.push({ plane, store, nc, stopped: false });
    }
    // Every replica's subscriptions are on the server before the test publishes.
    await Promise.all(replicas.map((r) => r.nc.flush()));
    return replicas;
  }

  const scheduledRuns = async (store: Store) => (await store.listRuns({ limit: 1_000 })).map((r) => r.principal).filter((p) => p.startsWith('schedule:'));

  it('an apply through one replica is in force on the other, its schedules included, in both directions', async () => {
    const [a, b] = (await start(2)) as [Replica, Replica];
    expect((await a.plane.remediation.apply([action('db_ping'), schedule('hourly', '1h')], 0, ADMIN)).version).toBe(1);
    await waitUntil('replica b has version 1', () => b.plane.remediation.definitions().version === 1);
    expect(b.plane.statements().policy.action('db_ping')).toMatchObject({ command: 'echo db_ping' });
    expect(b.plane.remediation.catalogue().actions.db_ping).toBeDefined();

    // The other way, planned against the version b now has.
    expect((await b.plane.remediation.apply([action('db_ping'), action('db_vacuum'), schedule('tick', '1s')], b.plane.remediation.definitions().version, ALICE)).version).toBe(2);
    await waitUntil('replica a has version 2', () => a.plane.remediation.definitions().version === 2);
    expect(a.plane.statements().policy.action('db_vacuum')).toMatchObject({ command: 'echo db_vacuum' });

    // Schedules (on real timers). b ran version 2's schedule too until it stopped, and may still
    // finish one run it started (a scheduler skips a tick while the last run goes): two more runs
    // than were stored when b stopped are at least one of a's, which has the schedule only from b's apply.
    b.plane.stop();
    b.stopped = true;
    const before = (await scheduledRuns(a.store)).length;
    await waitUntil('a ran version 2\'s schedule', async () => (await scheduledRuns(a.store)).length >= before + 2);
    expect(new Set(await scheduledRuns(a.store))).toEqual(new Set(['schedule:tick']));
  });

  it('two applies at once on the same base version through two replicas: one version stored, the other a conflict, both replicas on the winner', async () => {
    const [a, b] = (await start(2)) as [Replica, Replica];
    await a.plane.remediation.apply([action('base')], 0, ADMIN);
    await waitUntil('replica b has version 1', () => b.plane.remediation.definitions().version === 1);
    for (let round = 0; round < 5; round++) {
      const base = 1 + round;
      const answers = await Promise.allSettled([
        a.plane.remediation.apply([action('base'), action(`from_a_${round}`)], base, ADMIN),
        b.plane.remediation.apply([action('base'), action(`from_b_${round}`)], base, ALICE),
      ]);
      const won = answers.flatMap((x, i) => (x.status === 'fulfilled' ? [{ i, version: x.value.version }] : []));
      const lost = answers.flatMap((x) => (x.status === 'rejected' ? [x.reason as unknown] : []));
      expect(won, `round ${round}`).toEqual([{ i: expect.any(Number) as number, version: base + 1 }]);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toBeInstanceOf(BreakwaterError);
      expect(lost[0]).toMatchObject({ code: 'BW_ERR_CONFLICT' });
      const winner = won[0]!.i === 0 ? 'a' : 'b';
      const stored = await a.store.currentDefinitions();
      expect(stored?.version).toBe(base + 1);
      expect((stored?.definitions as { name: string }[]).map((d) => d.name).sort()).toEqual(['base', `from_${winner}_${round}`]);
      expect((await a.store.listDefinitionVersions({ limit: 100 })).map((v) => v.version)).toEqual(Array.from({ length: base + 1 }, (_, i) => base + 1 - i));
      await waitUntil('both replicas on the winner', () => [a, b].every((r) => r.plane.remediation.definitions().version === base + 1));
      for (const r of [a, b]) expect(r.plane.remediation.catalogue().actions[`from_${winner}_${round}`], `round ${round}`).toBeDefined();
    }
  });

  it('events one replica stores reach the other replica\'s live streams once', async () => {
    const [a, b] = (await start(2)) as [Replica, Replica];
    const seen: FleetEvent[][] = [[], []];
    a.plane.remediation.bus.subscribe((e) => seen[0]!.push(e));
    b.plane.remediation.bus.subscribe((e) => seen[1]!.push(e));
    await a.plane.remediation.apply([action('db_ping')], 0, ADMIN);
    await waitUntil('b saw a\'s definitions_applied', () => seen[1]!.some((e) => e.type === 'definitions_applied'));
    await b.plane.remediation.apply([action('db_ping'), action('db_vacuum')], 1, ALICE);
    await waitUntil('a saw b\'s definitions_applied', () => seen[0]!.filter((e) => e.type === 'definitions_applied').length === 2);
    // Each replica saw each event once: its own at once, the other's over NATS; none came back twice.
    for (const s of seen) expect(s.map((e) => e.details.version)).toEqual([1, 2]);
    expect(seen[1]!.map((e) => e.id)).toEqual(seen[0]!.map((e) => e.id));
  });
});
