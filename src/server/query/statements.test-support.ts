import { afterEach, beforeEach } from 'vitest';

import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { Principal } from '../auth.js';
import { FakeClock } from '../fleet/fake-clock.test-support.js';
import type { FakeHost } from '../fleet/fake-fleet.test-support.js';
import { FakeFleet } from '../fleet/fake-fleet.test-support.js';
import type { Store } from '../store/index.js';
import { openSqliteStore } from '../store/index.js';
import { probeAllowList } from './probes.js';
import type { StatementContext } from './run-statement.js';

/** Principals for statement tests: one who may run commands, one who may only read. */
export const ADMIN: Principal = { id: 't1', name: 'ops', role: 'admin' };
export const VIEWER: Principal = { id: 't2', name: 'eve', role: 'viewer' };

/**
 * A fresh in-memory store for each test of the calling file; the returned function gives the
 * current test's.
 *
 * @example
 * const store = memoryStorePerTest();
 * it('records the run', async () => expect(await store().listRuns()).toHaveLength(1));
 */
export function memoryStorePerTest(): () => Store {
  let store: Store | undefined;
  beforeEach(() => {
    store = openSqliteStore(':memory:');
    return store.migrate();
  });
  afterEach(() => store?.close());
  return () => {
    if (!store) throw new Error('the store exists only while a test runs');
    return store;
  };
}

/** What running statements needs, with the agents behind a fake Fleet on a fake clock, and no rules beyond roles. */
export function fakeStatementContext(store: Store, hosts: readonly FakeHost[], maxTargets = 10) {
  const clock = new FakeClock();
  const fleet = new FakeFleet(clock, hosts);
  const ctx: StatementContext = { store, gateway: fleet, catalogue: () => BUILTIN_CATALOGUE, queryTimeoutMs: 30_000, maxTargets, policy: { probeAllow: probeAllowList([]), action: () => undefined }, clock };
  return { ctx, fleet, clock };
}
