import { randomBytes } from 'node:crypto';
import { JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { BreakwaterError, natsSubjects } from '../protocol/index.js';

/** The machine's PostgreSQL and NATS, as `.ci/run` provides them. */
const LAB_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const LAB_NATS_URL = 'nats://127.0.0.1:4222';

/** Where a scaled lab keeps its state: its own database and its own NATS subject prefix. */
export interface ScaledBacking {
  /** The replicas' --store: the lab's own database. */
  readonly store: string;
  readonly database: string;
  /** The replicas' and agents' --bus. */
  readonly bus: string;
  /** The replicas' and agents' --nats-prefix: the lab's own subjects, stream and bucket. */
  readonly prefix: string;
  /** Drops the database and deletes the prefix's events stream and presence bucket; again is harmless. */
  drop(): Promise<void>;
}

/**
 * Makes a scaled lab's database (`CREATE DATABASE bwlab_<random>` through `postgres`, a URL of
 * a user allowed to create databases) and picks its subject prefix (`lab_<random>`), so labs
 * and test files running at the same time on one PostgreSQL and one NATS never share state.
 * Fails with BW_ERR_UNAVAILABLE naming the service when PostgreSQL or NATS does not answer.
 *
 * @example
 * const backing = await createScaledBacking({});
 * // breakwater server --store backing.store --bus backing.bus --nats-prefix backing.prefix
 * await backing.drop();
 */
export async function createScaledBacking(options: { postgres?: string; nats?: string }): Promise<ScaledBacking> {
  const admin = options.postgres ?? LAB_POSTGRES_URL;
  const bus = options.nats ?? LAB_NATS_URL;
  const suffix = randomBytes(6).toString('hex');
  const database = `bwlab_${suffix}`;
  const prefix = `lab_${suffix}`;
  // NATS first: a lab that cannot use it must not leave a database behind.
  await natsCall(bus, async (nc) => {
    await (await jetstreamManager(nc)).getAccountInfo().catch((err: unknown) => {
      throw new BreakwaterError('BW_ERR_UNAVAILABLE', `lab --scaled: NATS at ${redactUrl(bus)} has no JetStream (start it with -js): ${(err as Error).message}`, {}, { cause: err });
    });
  });
  // The name is ours (letters, digits, _), so it needs no quoting; identifiers cannot be bound.
  await postgresCall(admin, (client) => client.query(`create database ${database}`));
  const store = new URL(admin);
  store.pathname = `/${database}`;
  let dropped = false;
  return {
    store: store.href,
    database,
    bus,
    prefix,
    async drop() {
      if (dropped) return;
      // WITH (FORCE), PostgreSQL 13+: a replica killed without closing its pool must not keep the
      // database alive.
      await postgresCall(admin, (client) => client.query(`drop database if exists ${database} with (force)`));
      const subjects = natsSubjects(prefix);
      await natsCall(bus, async (nc) => {
        const jsm = await jetstreamManager(nc);
        for (const stream of [subjects.eventsStream, `KV_${subjects.presenceBucket}`]) {
          await jsm.streams.delete(stream).catch((err: unknown) => {
            // Never made (no replica got that far) is fine; anything else is reported.
            if (!(err instanceof JetStreamApiError)) throw err;
          });
        }
      });
      dropped = true;
    },
  };
}

async function postgresCall(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new BreakwaterError('BW_ERR_UNAVAILABLE', `lab --scaled: cannot reach PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`, {}, { cause: err });
  }
  try {
    await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function natsCall(url: string, work: (nc: Awaited<ReturnType<typeof connect>>) => Promise<void>): Promise<void> {
  let nc: Awaited<ReturnType<typeof connect>>;
  try {
    nc = await connect({ servers: url, name: 'breakwater-lab', timeout: 5_000, reconnect: false });
  } catch (err) {
    throw new BreakwaterError('BW_ERR_UNAVAILABLE', `lab --scaled: cannot reach NATS at ${redactUrl(url)}: ${(err as Error).message}`, {}, { cause: err });
  }
  try {
    await work(nc);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** The URL without its password, for error messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(an invalid URL)';
  }
}
