import type { NatsConnection } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { NatsSubjects } from '../src/protocol/index.js';
import { natsSubjects } from '../src/protocol/index.js';

/** NATS for tests: BREAKWATER_TEST_NATS_URL, default nats://127.0.0.1:4222 (.ci/run starts it). */
export const NATS_URL = process.env.BREAKWATER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Connects to the test NATS server; fails within 3 s when it is down. */
export function connectNats(name: string): Promise<NatsConnection> {
  return connect({ servers: NATS_URL, name, timeout: 3000, maxReconnectAttempts: 0 });
}

/** undefined when NATS answers at NATS_URL, else why not. */
async function probeNats(): Promise<string | undefined> {
  try {
    const nc = await connectNats('breakwater-test-probe');
    await nc.close();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Subjects under a prefix of this test's own, so parallel test files never hear each other. */
export function testSubjects(): NatsSubjects {
  return natsSubjects(`bwtest.${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`);
}

/**
 * A describe block that needs NATS at NATS_URL, with connections opened for it (`connections()`,
 * closed after the block). NATS down: skipped with a loud warning, or, with
 * BREAKWATER_REQUIRE_SERVICES=1 (CI), one failing test that says why — as describeWithPostgres.
 *
 * @example
 * await describeWithNats('queries', 'test/nats-query.test.ts', 2, (conns) => { it('…', () => conns()[0]) });
 */
export async function describeWithNats(name: string, file: string, count: number, body: (connections: () => readonly NatsConnection[]) => void): Promise<void> {
  const down = await probeNats();
  const required = process.env.BREAKWATER_REQUIRE_SERVICES === '1';
  if (down !== undefined && !required) console.warn(`\n*** SKIPPED: "${name}" (${file}): NATS at ${NATS_URL} is unreachable (${down}). Start it (see .ci/run) or set BREAKWATER_REQUIRE_SERVICES=1 to make this a failure. ***\n`);
  describe.skipIf(down !== undefined && !required)(name, () => {
    if (down !== undefined) {
      it('NATS is reachable (required by BREAKWATER_REQUIRE_SERVICES=1)', () => {
        throw new Error(`BREAKWATER_REQUIRE_SERVICES=1 but NATS at ${NATS_URL} is unreachable: ${down}`);
      });
      return;
    }
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
