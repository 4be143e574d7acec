import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { ControlsMessage } from '../../protocol/index.js';
import { FakeClock } from '../fleet/fake-clock.test-support.js';
import type { InventoryHost } from '../fleet/index.js';
import type { SilenceRecord } from '../store/index.js';
import { Controls, hostSelection } from './controls.js';

const host = (name: string, role: string): InventoryHost => ({ name, agentId: name, connected: true, lastSeenAt: null, tags: { role }, attrs: { name } });
const silence = (id: string, hosts: string, over: Partial<SilenceRecord> = {}): SilenceRecord => ({ id, alarm: 'disk-full', hosts, reason: 'why', createdBy: 'ops', createdAt: 0, endsAt: 60_000, endedAt: null, endedBy: null, ...over });
const message = (c: Controls, h: InventoryHost) => JSON.parse(c.forHost(h).frame) as ControlsMessage;

describe('hostSelection', () => {
  it('takes a selection on tags or attributes, and refuses one the agents would have to answer or that does not check', () => {
    expect(hostSelection('host', BUILTIN_CATALOGUE)).toBe('all');
    expect(hostSelection('host | role = "web"', BUILTIN_CATALOGUE)).toHaveProperty('filter');
    expect(() => hostSelection('host | cpu_usage > 0.5', BUILTIN_CATALOGUE)).toThrow(/expected a host selection on tags or attributes/);
    expect(() => hostSelection('host | role =', BUILTIN_CATALOGUE)).toThrow(/^hosts: /);
    expect(() => hostSelection('process', BUILTIN_CATALOGUE)).toThrow(/expected a host selection/);
  });
});

describe('Controls', () => {
  it('sends each host only the silences in force whose hosts select it; an ended one or a stored selection that no longer checks selects none', async () => {
    const clock = new FakeClock(1000);
    const c = new Controls(clock, () => BUILTIN_CATALOGUE);
    c.install([silence('web', 'host | role = "web"'), silence('all', 'host', { alarm: null, endsAt: 120_000 }), silence('ended', 'host', { endedAt: 10, endedBy: 'ops' }), silence('broken', 'host | nope(')], []);
    expect(message(c, host('web-1', 'web')).silences.map((s) => s.id)).toEqual(['web', 'all']);
    expect(message(c, host('db-1', 'db')).silences.map((s) => s.id)).toEqual(['all']);
    expect(c.silencing(host('db-1', 'db'), 'disk-full')?.id).toBe('all');
    await clock.advance(60_000);
    expect(message(c, host('web-1', 'web')).silences.map((s) => s.id)).toEqual(['all']);
    expect(c.forHost(host('web-1', 'web')).key).toBe(c.forHost(host('web-2', 'web')).key);
  });

  it('carries maintenance and the bots switched off to every host', () => {
    const c = new Controls(new FakeClock(0), () => BUILTIN_CATALOGUE);
    c.install([], [
      { kind: 'maintenance', name: '', reason: 'db upgrade', setBy: 'lead', setAt: 5 },
      { kind: 'bot', name: 'cleaner', reason: 'incident', setBy: 'ops', setAt: 6 },
    ]);
    expect(message(c, host('db-1', 'db'))).toEqual({ type: 'controls', silences: [], maintenance: { by: 'lead', at: 5, reason: 'db upgrade' }, disabledBots: { cleaner: { by: 'ops', at: 6, reason: 'incident' } } });
    expect(c.refusalOfSchedules()).toBe('maintenance mode is on (set by lead: db upgrade); no new automated runs');
  });
});
