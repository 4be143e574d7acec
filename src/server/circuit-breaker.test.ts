import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BotDefinition } from '../definitions/index.js';
import type { FleetEvent } from '../protocol/index.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { Store } from './store/index.js';
import { openSqliteStore } from './store/index.js';

const BOT = { kind: 'bot', name: 'clean', circuitBreaker: { max: 4, windowSeconds: 600 } } as BotDefinition;

let store: Store;
let recorded: Partial<FleetEvent>[];
let breaker: CircuitBreaker;

beforeEach(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
  recorded = [];
  breaker = new CircuitBreaker(store, pino({ level: 'silent' }), (e) => {
    recorded.push(e);
    return Promise.resolve();
  });
});
afterEach(async () => {
  await store.close();
});

const ran = (host: string, i: number): FleetEvent => ({ id: `${host}-${i}`, time: Date.now() - 1000, type: 'bot_ran', host, resource: host, alarm: null, bot: 'clean', action: 'x', severity: null, runId: null, principal: `bot:clean@${host}`, message: 'ran', value: null, details: {} });

describe('CircuitBreaker', () => {
  it('stored runs count per host up to its share: one host reporting many runs does not trip the others', async () => {
    await store.appendEvents(Array.from({ length: 10 }, (_, i) => ran('noisy-1', i)));
    expect(await breaker.permit('noisy-1', BOT, 3)).toMatchObject({ allowed: false, reason: expect.stringMatching(/^host share used: noisy-1 ran clean 10 time\(s\)/) });
    expect(await breaker.permit('web-2', BOT, 3)).toEqual({ allowed: true, reason: 'run 3 of 4 in the window' });
    expect(await breaker.permit('web-3', BOT, 3)).toEqual({ allowed: true, reason: 'run 4 of 4 in the window' });
    expect(await breaker.permit('web-2', BOT, 3)).toEqual({ allowed: false, reason: 'tripped: 4 runs across the fleet in the last 600s (limit 4)' });
    expect(recorded).toEqual([expect.objectContaining({ type: 'permit_refused', host: 'noisy-1', bot: 'clean' })]);
  });

  it('a fleet of one host has the whole budget', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await breaker.permit('solo-1', BOT, 1)).allowed);
    expect(answers).toEqual([true, true, true, true, false]);
  });

  it('grants again once the window has passed on its clock, and refusals are recorded once a minute', async () => {
    let now = 1_700_000_000_000;
    const clocked = new CircuitBreaker(store, pino({ level: 'silent' }), (e) => {
      recorded.push(e);
      return Promise.resolve();
    }, { now: () => now });
    for (let i = 0; i < 2; i++) expect((await clocked.permit('web-1', BOT, 2)).allowed).toBe(true);
    expect(await clocked.permit('web-1', BOT, 2)).toMatchObject({ allowed: false, reason: expect.stringMatching(/^host share used: web-1 ran clean 2 time\(s\)/) });
    now += 30_000;
    expect((await clocked.permit('web-1', BOT, 2)).allowed).toBe(false);
    expect(recorded).toHaveLength(1);

    now += 600_000;
    expect(await clocked.permit('web-1', BOT, 2)).toEqual({ allowed: true, reason: 'run 1 of 4 in the window' });
  });
});
