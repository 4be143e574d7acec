import type { BreakwaterError } from '../protocol/index.js';
import pino from 'pino';
import { beforeEach, expect, it } from 'vitest';
import { describeStore } from '../../test/store/back-ends.js';
import type { BotDefinition } from '../definitions/index.js';
import type { FleetEvent } from '../protocol/index.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { Store } from './store/index.js';
import { KyselyStore, openSqliteStore } from './store/index.js';

const BOT = { kind: 'bot', name: 'clean', circuitBreaker: { max: 4, windowSeconds: 600 } } as BotDefinition;

const ran = (host: string, i: number): FleetEvent => ({ id: `${host}-${i}`, time: Date.now() - 1000, type: 'bot_ran', host, resource: host, alarm: null, bot: 'clean', action: 'x', severity: null, runId: null, principal: `bot:clean@${host}`, message: 'ran', value: null, details: {} });

await describeStore('circuit breaker', 'src/server/circuit-breaker.test.ts', ({ freshStore, harness, openOn }) => {
  let recorded: Partial<FleetEvent>[];
  const breakerOn = (store: Store, clock?: { now: () => number }) =>
    new CircuitBreaker(store, pino({ level: 'silent' }), (e) => {
      recorded.push(e);
      return Promise.resolve();
    }, clock);
  beforeEach(() => {
    recorded = [];
  });

  it('stored runs count per host up to its share: one host reporting many runs does not trip the others', async () => {
    const store = await freshStore();
    const breaker = breakerOn(store);
    await store.appendEvents(Array.from({ length: 10 }, (_, i) => ran('noisy-1', i)));
    expect(await breaker.permit('noisy-1', BOT, 3)).toMatchObject({ allowed: false, reason: expect.stringMatching(/^host share used: noisy-1 ran clean 10 time\(s\)/) });
    expect(await breaker.permit('web-2', BOT, 3)).toEqual({ allowed: true, reason: 'run 3 of 4 in the window' });
    expect(await breaker.permit('web-3', BOT, 3)).toEqual({ allowed: true, reason: 'run 4 of 4 in the window' });
    expect(await breaker.permit('web-2', BOT, 3)).toEqual({ allowed: false, reason: 'tripped: 4 runs across the fleet in the last 600s (limit 4)' });
    expect(recorded).toEqual([expect.objectContaining({ type: 'permit_refused', host: 'noisy-1', bot: 'clean' })]);
  });

  it('a fleet of one host has the whole budget', async () => {
    const breaker = breakerOn(await freshStore());
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await breaker.permit('solo-1', BOT, 1)).allowed);
    expect(answers).toEqual([true, true, true, true, false]);
  });

  it('grants again once the window has passed on its clock, and refusals are recorded once a minute', async () => {
    let now = 1_700_000_000_000;
    const clocked = breakerOn(await freshStore(), { now: () => now });
    for (let i = 0; i < 2; i++) expect((await clocked.permit('web-1', BOT, 2)).allowed).toBe(true);
    expect(await clocked.permit('web-1', BOT, 2)).toMatchObject({ allowed: false, reason: expect.stringMatching(/^host share used: web-1 ran clean 2 time\(s\)/) });
    now += 30_000;
    expect((await clocked.permit('web-1', BOT, 2)).allowed).toBe(false);
    expect(recorded).toHaveLength(1);

    now += 600_000;
    expect(await clocked.permit('web-1', BOT, 2)).toEqual({ allowed: true, reason: 'run 1 of 4 in the window' });
  });

  it('the window is the store\'s: a second breaker (another replica, or this one restarted) counts the first one\'s grants', async () => {
    const store = await freshStore();
    for (let i = 0; i < 2; i++) expect((await breakerOn(store).permit(`web-${i}`, BOT, 4)).allowed).toBe(true);
    const other = breakerOn(store);
    expect((await other.permit('web-2', BOT, 4)).reason).toBe('run 3 of 4 in the window');
    expect((await other.permit('web-0', BOT, 4)).reason).toBe('run 4 of 4 in the window');
    expect(await breakerOn(store).permit('web-3', BOT, 4)).toEqual({ allowed: false, reason: 'tripped: 4 runs across the fleet in the last 600s (limit 4)' });
  });

  it('two breakers over one store (PostgreSQL: two connection pools), 50 permits at once for a bot with max 5: exactly 5 granted', async () => {
    const target = await harness().fresh();
    const first = openOn(target);
    await first.migrate();
    // SQLite: one connection per file and process (see permit-rows.test.ts), as the embedded server has.
    const second = first instanceof KyselyStore && first.dialect === 'sqlite' ? first : openOn(target);
    const breakers = [breakerOn(first), breakerOn(second)];
    const bot = { ...BOT, circuitBreaker: { max: 5, windowSeconds: 600 } } as BotDefinition;
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => breakers[i % 2]!.permit(`web-${i}`, bot, 50)));
    expect(answers.filter((a) => a.allowed)).toHaveLength(5);
    expect(answers.filter((a) => !a.allowed).map((a) => a.reason)).toEqual(Array(45).fill('tripped: 5 runs across the fleet in the last 600s (limit 5)'));
  });
});

it('gives no answer when the store cannot count the window, so the agent\'s offline policy decides; the store\'s error stays in the log', async () => {
  const store = openSqliteStore(':memory:');
  await store.migrate();
  await store.close();
  const breaker = new CircuitBreaker(store, pino({ level: 'silent' }), () => Promise.resolve());
  const failure = await breaker.permit('web-1', BOT, 2).then(
    () => undefined,
    (err: unknown) => err as BreakwaterError,
  );
  expect(failure).toMatchObject({ code: 'BW_ERR_UNAVAILABLE', message: "the circuit breaker cannot count clean's runs in the window: the store is unreachable" });
});
