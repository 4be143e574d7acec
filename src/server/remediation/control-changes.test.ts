import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BotDefinition, Definition, DefinitionDiff } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { Principal } from '../auth.js';
import { FakeClock } from '../fleet/fake-clock.test-support.js';
import type { Store } from '../store/index.js';
import { tempStore } from '../../../test/remediation-fakes.js';
import { ControlChanges } from './control-changes.js';
import { Controls } from './controls.js';
import { EventIntake } from './event-intake.js';

const bot = (name: string) => ({ kind: 'bot', name, trigger: { alarm: 'disk-full', on: 'fired' }, action: 'clean_logs' }) as unknown as BotDefinition;
const WHO = { id: 'ops', name: 'ops', role: 'operator' } as Principal;
const diff = (d: Partial<DefinitionDiff>): DefinitionDiff => ({ create: [], update: [], delete: [], unchanged: 0, ...d });

let store: Store;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ store, dispose } = await tempStore());
});
afterEach(async () => {
  await dispose();
});

/** ControlChanges over a real store and intake; the fleet counts pushes, replicas count announcements. */
function changesWith(bots: readonly Definition[]) {
  const clock = new FakeClock(1_000);
  const controls = new Controls(clock, () => BUILTIN_CATALOGUE);
  let pushes = 0;
  let announced = 0;
  const changes = new ControlChanges({
    store,
    controls,
    current: { definitions: () => ({ version: 1, definitions: bots }), bot: (name) => bots.find((b): b is BotDefinition => b.kind === 'bot' && b.name === name), catalogue: () => BUILTIN_CATALOGUE },
    intake: new EventIntake(store, { notify: () => undefined }, clock),
    fleet: { pushDefinitions: () => void pushes++ },
    clock,
    announce: () => void announced++,
  });
  return { changes, controls, counts: () => ({ pushes, announced }) };
}

describe('ControlChanges', () => {
  it('an apply that changes a switched-off bot switches it on again (event and audit); one that leaves it alone keeps it off', async () => {
    const { changes, controls, counts } = changesWith([bot('cleaner'), bot('other')]);
    await changes.switchBot('cleaner', false, 'incident', WHO);
    await changes.switchBot('other', false, 'incident', WHO);
    expect(counts()).toEqual({ pushes: 2, announced: 2 });

    await changes.reconcile(diff({ create: [bot('new-one')] }), WHO);
    expect(controls.disabledBots().map((s) => s.name)).toEqual(['cleaner', 'other']);
    await changes.reconcile(diff({ update: [{ before: bot('cleaner'), after: bot('cleaner'), changes: [] }] }), { ...WHO, name: 'lead' });
    expect(controls.disabledBots().map((s) => s.name)).toEqual(['other']);
    expect(counts()).toEqual({ pushes: 3, announced: 3 });
    const events = await store.listEvents({ limit: 10 });
    expect(events.filter((e) => e.type === 'bot_enabled')).toHaveLength(1);
    expect(events.find((e) => e.type === 'bot_enabled')).toMatchObject({ type: 'bot_enabled', bot: 'cleaner', principal: 'lead', message: 'bot cleaner is switched on again: lead applied a new definition of it' });
    expect((await store.listAudit({ limit: 10 })).map((a) => [a.principal, a.action, a.target])).toContainEqual(['lead', 'bot.enable', 'cleaner']);
  });

  it('another replica\'s change is put in force here by a reload from the store', async () => {
    const a = changesWith([bot('cleaner')]);
    const b = changesWith([bot('cleaner')]);
    await a.changes.setMaintenance(true, 'db upgrade', WHO);
    expect(b.controls.maintenance()).toBeUndefined();
    await b.changes.reload();
    expect(b.controls.maintenance()).toMatchObject({ reason: 'db upgrade', setBy: 'ops' });
    expect(b.counts()).toEqual({ pushes: 0, announced: 0 });
  });
});
