import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../protocol/index.js';
import { withEventRetention } from './event-retention.js';
import type { AgentHooks } from './fleet/index.js';
import type { Store } from './store/index.js';
import { openSqliteStore } from './store/index.js';

let store: Store;
beforeEach(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
});
afterEach(async () => {
  await store.close();
});

const batch = (host: string, from: number): FleetEvent[] =>
  Array.from({ length: 1000 }, (_, i) => ({ id: `${host}-${from + i}`, time: from + i, type: 'alarm_fired', host, resource: host, alarm: 'a', bot: null, action: null, severity: null, runId: null, principal: `agent:${host}`, message: 'm', value: null, details: {} }));

describe('withEventRetention', () => {
  it('keeps the newest events of a host up to its cap, and leaves other hosts alone', async () => {
    const hooks = withEventRetention({ onEvents: async (_agent, events) => void (await store.appendEvents(events)) } as AgentHooks, store, pino({ level: 'silent' }), 1500);
    await hooks.onEvents('other-1', batch('other-1', 0));
    for (let b = 0; b < 3; b++) await hooks.onEvents('flood-1', batch('flood-1', b * 1000));
    const kept = await store.listEvents({ host: 'flood-1', limit: 1000 });
    expect(kept[0]?.time).toBe(2999);
    expect(await store.countEvents({ type: 'alarm_fired', since: 0 })).toBe(1000 + 1500);
    expect(await store.countEvents({ type: 'alarm_fired', since: 1500 })).toBe(1500);
  });

  it('trimHostEvents keeps ties with the oldest event kept, and does nothing below the cap', async () => {
    await store.appendEvents(batch('web-1', 0).slice(0, 10));
    expect(await store.trimHostEvents('web-1', 20)).toBe(0);
    expect(await store.trimHostEvents('web-1', 4)).toBe(6);
    expect(await store.trimHostEvents('nobody', 4)).toBe(0);
  });
});
