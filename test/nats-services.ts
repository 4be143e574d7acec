import { randomBytes } from 'node:crypto';
import type { JetStreamManager } from '@nats-io/jetstream';
import { JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import type { NatsSubjects } from '../src/protocol/index.js';
import { natsSubjects } from '../src/protocol/index.js';
import { describeWithService } from './helpers.js';

/** NATS with JetStream for tests: BREAKWATER_TEST_NATS_URL, default nats://127.0.0.1:4222. */
export const NATS_URL = process.env.BREAKWATER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A connection to NATS_URL that fails at once instead of reconnecting in the background. */
export function connectNats(name: string): Promise<NatsConnection> {
  return connect({ servers: NATS_URL, name, timeout: 3_000, reconnect: false });
}

/** undefined when NATS answers at NATS_URL with JetStream enabled, else why not. */
export async function probeNats(): Promise<string | undefined> {
  let nc: NatsConnection | undefined;
  try {
    nc = await connectNats('probe');
    await (await jetstreamManager(nc)).getAccountInfo();
    return undefined;
  } catch (error) {
    return error instanceof Error && error.message !== '' ? error.message : String(error);
  } finally {
    await nc?.close().catch(() => undefined);
  }
}

/** A describe block that needs NATS with JetStream (see describeWithPostgres for what happens when it is down). */
export async function describeWithNats(name: string, file: string, body: () => void): Promise<void> {
  describeWithService({ service: 'NATS with JetStream', url: NATS_URL, unreachable: await probeNats() }, name, file, body);
}

/**
 * describeWithNats with `count` connections opened for the block (`connections()`), closed after it.
 *
 * @example
 * await describeWithNatsConnections('queries', 'test/nats-query.test.ts', 2, (conns) => { it('…', () => conns()[0]) });
 */
export async function describeWithNatsConnections(name: string, file: string, count: number, body: (connections: () => readonly NatsConnection[]) => void): Promise<void> {
  await describeWithNats(name, file, () => {
    let open: NatsConnection[] = [];
    beforeAll(async () => {
      open = await Promise.all(Array.from({ length: count }, (_, i) => connectNats(`${file}#${i}`)));
    });
    afterAll(async () => {
      await Promise.all(open.map((nc) => nc.close()));
    });
    body(() => open);
  });
}

/** Subjects under a prefix of this test's own, so parallel test files never hear each other. */
export function testSubjects(): NatsSubjects {
  return natsSubjects(testPrefix());
}

/** A subject prefix no other test uses (so its stream name is its own too). */
export function testPrefix(): string {
  return `bwtest.${randomBytes(6).toString('hex')}`;
}

/** Deletes a test's stream (and with it its consumers); one already gone is fine. */
export async function deleteStream(jsm: JetStreamManager, name: string): Promise<void> {
  try {
    await jsm.streams.delete(name);
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
  }
}
