import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_CATALOGUE } from '../src/lang/index.js';
import type { Fleet, InventoryHost } from '../src/server/fleet/index.js';
import { FakeClock } from '../src/server/fleet/fake-clock.test-support.js';
import { FakeFleet } from '../src/server/fleet/fake-fleet.test-support.js';
import { probeAllowList } from '../src/server/query/probes.js';
import type { StatementContext } from '../src/server/query/run-statement.js';
import type { Store } from '../src/server/store/index.js';
import { openSqliteStore } from '../src/server/store/index.js';

/** A known host, connected or not, with no tags or attributes. */
export function inventoryHost(name: string, connected: boolean): InventoryHost {
  return { name, agentId: `id-${name}`, connected, lastSeenAt: null, tags: {}, attrs: {} };
}

/**
 * A fleet that knows `hosts` and reaches none of them: a query phase sent to it is refused (the host
 * counts as offline), nothing is pushed. For the remediation parts' unit tests, which need a fleet
 * only to hand to statements that must not reach an agent.
 */
export function unreachableFleet(hosts: readonly InventoryHost[] = []): Fleet {
  return new FakeFleet(new FakeClock(), hosts.map((h) => ({ name: h.name, offline: true, refuses: true, lastSeenAt: h.lastSeenAt, tags: { ...h.tags }, attrs: { ...h.attrs } })));
}

/** A context for running statements on `fleet`: the built-in catalogue, no defined actions, no probes allowed. */
export function statementsOn(store: Store, fleet: Fleet): StatementContext {
  return { store, gateway: fleet, catalogue: () => BUILTIN_CATALOGUE, queryTimeoutMs: 1000, maxTargets: 10, policy: { probeAllow: probeAllowList([]), action: () => undefined } };
}

/** A real SQLite store, migrated, in a fresh temp folder; `dispose` closes it and removes the folder. */
export async function tempStore(): Promise<{ store: Store; dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bw-remediation-'));
  const store = openSqliteStore(join(dir, 'breakwater.db'));
  await store.migrate();
  return {
    store,
    dir,
    async dispose() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
