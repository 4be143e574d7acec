import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import type { ScaledBacking } from '../src/lab/index.js';
import { createScaledBacking } from '../src/lab/index.js';
import { BreakwaterError, NATS_PREFIX, natsSubjects } from '../src/protocol/index.js';
import { PG_URL, describeWithService, probePostgres } from './helpers.js';
import { NATS_URL, connectNats, probeNats } from './nats-services.js';

// A scaled lab's own database and subject prefix, on the machine's real PostgreSQL and NATS.
async function databases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>("select datname from pg_database where datname like 'bwlab\\_%'")).rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

function unavailable(err: unknown): BreakwaterError {
  if (err instanceof BreakwaterError && err.code === 'BW_ERR_UNAVAILABLE') return err;
  throw err;
}

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };
describeWithService(needed, 'scaled lab backing', 'test/lab-scaled-backing.test.ts', () => {
  const made: ScaledBacking[] = [];
  afterAll(async () => {
    for (const b of made) await b.drop();
  });

  it('makes a database and a subject prefix of its own, different for each lab', async () => {
    const [a, b] = [await createScaledBacking({ postgres: PG_URL, nats: NATS_URL }), await createScaledBacking({ postgres: PG_URL, nats: NATS_URL })];
    made.push(a!, b!);
    expect(a!.database).not.toBe(b!.database);
    expect(a!.prefix).not.toBe(b!.prefix);
    expect(NATS_PREFIX.test(a!.prefix)).toBe(true);
    expect(a!.bus).toBe(NATS_URL);
    expect(await databases()).toEqual(expect.arrayContaining([a!.database, b!.database]));
    // The store URL is the admin URL with the lab's database: a replica connects to it as it is.
    const client = new pg.Client({ connectionString: a!.store });
    await client.connect();
    const current = (await client.query<{ db: string }>('select current_database() as db')).rows[0]?.db;
    await client.end();
    expect(current).toBe(a!.database);
  });

  it('drops its database, events stream and presence bucket on drop, and a second drop is harmless', async () => {
    const backing = await createScaledBacking({ postgres: PG_URL, nats: NATS_URL });
    made.push(backing);
    const subjects = natsSubjects(backing.prefix);
    const nc = await connectNats('lab-scaled-backing');
    try {
      const jsm = await jetstreamManager(nc);
      // What the replicas make at start.
      await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.allEvents] });
      await new Kvm(nc).create(subjects.presenceBucket);
      await backing.drop();
      const streams: string[] = [];
      for await (const s of jsm.streams.list()) streams.push(s.config.name);
      expect(streams).not.toContain(subjects.eventsStream);
      expect(streams).not.toContain(`KV_${subjects.presenceBucket}`);
    } finally {
      await nc.close();
    }
    expect(await databases()).not.toContain(backing.database);
    await backing.drop();
  });

  it('drops a database a replica still holds a connection to (a killed replica leaves one)', async () => {
    const backing = await createScaledBacking({ postgres: PG_URL, nats: NATS_URL });
    made.push(backing);
    const held = new pg.Client({ connectionString: backing.store });
    await held.connect();
    held.on('error', () => undefined); // the drop terminates it
    await backing.drop();
    expect(await databases()).not.toContain(backing.database);
    await held.end().catch(() => undefined);
  });

  it('says which service it cannot reach, without the password, and leaves no database when NATS is the one', async () => {
    const before = await databases();
    const noNats = unavailable(await createScaledBacking({ postgres: PG_URL, nats: 'nats://127.0.0.1:1' }).catch((e: unknown) => e));
    expect(noNats.message).toMatch(/^lab --scaled: cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
    expect(await databases()).toEqual(before);
    const noPostgres = unavailable(await createScaledBacking({ postgres: 'postgres://postgres:hunter2@127.0.0.1:1/postgres', nats: NATS_URL }).catch((e: unknown) => e));
    expect(noPostgres.message).toMatch(/^lab --scaled: cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/postgres/);
    expect(noPostgres.message).not.toContain('hunter2');
  });
});
