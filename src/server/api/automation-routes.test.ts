import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp } from '../../../test/inject-app.js';
import type { BotDefinition, Definition, ScheduleDefinition } from '../../definitions/index.js';
import { CircuitBreaker } from '../circuit-breaker.js';
import { hostRow } from '../fleet/fake-fleet.test-support.js';
import { fakeStatementContext } from '../query/statements.test-support.js';
import type { ScheduleState } from '../../protocol/index.js';
import type { BotState } from '../remediation/index.js';
import { Automation, Schedules } from '../remediation/index.js';
import type { Store } from '../store/index.js';
import { automationRoutes } from './automation-routes.js';

closeAppsAfterEach();

const logger = pino({ level: 'silent' });

const BOT: BotDefinition = {
  kind: 'bot',
  name: 'clean-data-logs',
  description: 'frees /data',
  trigger: { alarm: 'data-disk-full', on: 'fired' },
  action: 'clean_logs',
  args: { dir: 'data/logs' },
  cooldownSeconds: 30,
  circuitBreaker: { max: 4, windowSeconds: 600 },
  offline: 'run',
  enabled: true,
};

const schedule = (name: string, timing: { cron: string } | { everySeconds: number }, enabled = true): ScheduleDefinition => ({
  kind: 'schedule',
  name,
  description: '',
  cron: 'cron' in timing ? timing.cron : null,
  everySeconds: 'everySeconds' in timing ? timing.everySeconds : null,
  run: 'host | `uptime`',
  enabled,
});

/** The routes over the real parts: the injected store, a breaker on it, schedules running on a fake fleet of two hosts. */
async function automationApp() {
  let parts: { breaker: CircuitBreaker; schedules: Schedules; ctx: ReturnType<typeof fakeStatementContext> } | undefined;
  const definitions: Definition[] = [
    { kind: 'alarm', name: 'data-disk-full', description: '', query: 'host | role = "web"', fire: 'disk_usage > 90', fireForSeconds: 0, clearForSeconds: 0, severity: 'critical', intervalSeconds: 1 },
    BOT,
    schedule('nightly', { cron: '0 3 * * *' }),
    schedule('often', { everySeconds: 60 }),
    schedule('off', { everySeconds: 60 }, false),
  ];
  const t = await injectApp((store: Store) => {
    const ctx = fakeStatementContext(store, ['web-1', 'web-2'].map((name) => ({ name, answer: () => ({ rows: [hostRow(name, { exit_code: 0, stdout: 'up\n' })] }) })));
    const breaker = new CircuitBreaker(store, logger, async () => undefined, ctx.clock);
    const schedules = new Schedules(ctx.ctx, logger, ctx.clock, 'replica-1');
    schedules.set(definitions.filter((d): d is ScheduleDefinition => d.kind === 'schedule'));
    parts = { breaker, schedules, ctx };
    const automation = new Automation({ store, breaker, schedules, fleet: ctx.fleet, definitions: () => definitions, clock: ctx.clock });
    return automationRoutes({ remediation: { bots: () => automation.bots(), schedules: () => automation.schedules(), runSchedule: (name, who) => schedules.runNow(name, who) } });
  });
  if (!parts) throw new Error('the routes were not built');
  const built = parts;
  return { t, ...built, [Symbol.dispose]: () => built.schedules.stop() };
}

describe('automation routes', () => {
  it("lists bots with the breaker's window counted as the breaker counts it: grants and stored runs, each host up to its share", async () => {
    using a = await automationApp();
    const bots = async () => (await a.t.call('GET', '/api/v1/bots', 'viewer')).json as BotState[];
    expect(await bots()).toMatchObject([{ name: 'clean-data-logs', trigger: BOT.trigger, triggerText: 'alarm data-disk-full fired', action: 'clean_logs', target: 'host | role = "web"', cooldownSeconds: 30, breaker: { max: 4, used: 0, left: 4, hostShare: 2, tripped: false }, cooldowns: [], lastRun: null }]);
    // Two hosts: one may use 2 of the 4. web-1 asks three times; the third is refused and not counted.
    for (let i = 0; i < 3; i++) await a.breaker.permit('web-1', BOT, 2);
    expect((await bots())[0]?.breaker).toMatchObject({ used: 2, left: 2, tripped: false });
    const now = a.ctx.clock.now();
    await a.t.store.appendEvents([{ id: 'e1', time: now, type: 'bot_ran', host: 'web-2', resource: 'web-2', alarm: 'data-disk-full', bot: BOT.name, action: 'clean_logs', severity: null, runId: 'run-7', principal: 'bot:clean-data-logs@web-2', message: 'ran', value: null, details: { ok: false, exitCode: 2 } }]);
    const [bot] = await bots();
    expect(bot?.breaker).toMatchObject({ used: 3, left: 1 });
    expect(bot?.lastRun).toEqual({ time: now, host: 'web-2', resource: 'web-2', ok: false, exitCode: 2, runId: 'run-7' });
    expect(bot?.cooldowns).toEqual([{ resource: 'web-2', host: 'web-2', until: now + 30_000 }]);
    // The window moves on: ten minutes later nothing is counted and the cooldown is over.
    await a.ctx.clock.advance(601_000);
    expect((await bots())[0]).toMatchObject({ breaker: { used: 0, left: 4 }, cooldowns: [], lastRun: { runId: 'run-7' } });
  });

  it('lists schedules with the next run their timers have, and no next run for a disabled one', async () => {
    using a = await automationApp();
    const list = (await a.t.call('GET', '/api/v1/schedules', 'viewer')).json as ScheduleState[];
    expect(list.map((s) => s.name)).toEqual(['nightly', 'off', 'often']);
    const [nightly, off, often] = list;
    expect(often).toMatchObject({ everySeconds: 60, nextRun: a.ctx.clock.now() + 60_000, running: false, lastRun: null });
    expect(off).toMatchObject({ enabled: false, nextRun: null });
    const next = new Date(nightly?.nextRun ?? 0);
    expect([next.getHours(), next.getMinutes(), next.getSeconds()]).toEqual([3, 0, 0]);
    expect(nightly?.nextRun ?? 0).toBeGreaterThan(Date.now());
  });

  it('runs a schedule now for an operator: recorded as the schedule, audited under both names, shown as its last run', async () => {
    using a = await automationApp();
    const ran = await a.t.call('POST', '/api/v1/schedules/often/run', 'operator');
    expect(ran.status).toBe(200);
    expect(ran.json).toMatchObject({ targets: 2, failed: 0 });
    const runId = ran.json.runId as string;
    expect((await a.t.store.getRun(runId))?.run).toMatchObject({ principal: 'schedule:often', statement: 'host | `uptime`', status: 'succeeded' });
    const audit = (await a.t.audit()).filter((e) => e.runId === runId).map((e) => [e.principal, e.action, e.outcome]);
    expect(audit).toEqual([
      ['operator', 'schedule.run', 'ok'],
      ['schedule:often', 'run.start', 'ok'],
      ['schedule:often', 'run', 'ok'],
    ]);
    const often = ((await a.t.call('GET', '/api/v1/schedules', 'viewer')).json as ScheduleState[]).find((s) => s.name === 'often');
    expect(often?.lastRun).toMatchObject({ runId, outcome: 'ok', targets: 2, failures: 0 });
  });

  it('runs once a second across replicas: the same second claimed by another replica is refused (409)', async () => {
    using a = await automationApp();
    // Another replica on this store claimed this second's run-now of `often` first.
    expect(await a.t.store.claimTick('often run-now', Math.floor(a.ctx.clock.now() / 1000) * 1000, 'replica-2')).toBe(true);
    const r = await a.t.call('POST', '/api/v1/schedules/often/run', 'operator');
    expect(r.status).toBe(409);
    expect(r.json.message).toMatch(/^schedule often was already run now at .*: it runs at most once a second on request$/);
    expect(await a.t.store.listRuns()).toEqual([]);
    await a.ctx.clock.advance(1000);
    expect((await a.t.call('POST', '/api/v1/schedules/often/run', 'operator')).status).toBe(200);
  });

  it('refuses a viewer (403, audited), an unknown or disabled schedule, and a name that is no name (400)', async () => {
    using a = await automationApp();
    const viewer = await a.t.call('POST', '/api/v1/schedules/often/run', 'viewer');
    expect(viewer.status).toBe(403);
    expect(viewer.json.message).toBe('POST /api/v1/schedules/:name/run needs the operator role; token `viewer` has viewer');
    expect((await a.t.audit()).map((e) => [e.principal, e.action, e.outcome])).toEqual([['viewer', 'schedule.run', 'denied']]);
    expect(await a.t.call('POST', '/api/v1/schedules/nope/run', 'operator')).toMatchObject({ status: 404, json: { code: 'BW_ERR_NOT_FOUND', message: 'no schedule named "nope"; the schedules are nightly, often, off' } });
    expect(await a.t.call('POST', '/api/v1/schedules/off/run', 'operator')).toMatchObject({ status: 409, json: { message: 'schedule off is disabled (enabled: false in its definition): enable it and apply before running it' } });
    const bad = await a.t.call('POST', `/api/v1/schedules/${encodeURIComponent('../x y')}/run`, 'operator');
    expect(bad).toMatchObject({ status: 400, json: { code: 'BW_ERR_INVALID_REQUEST' } });
    expect(bad.json.message).toMatch(/^invalid path parameters: name: expected a name of letters/);
    expect(await a.t.store.listRuns()).toEqual([]);
  });

  it('answers any hostile schedule name with 400, 404 or 414 (too long) and runs nothing (bounded fuzz)', async () => {
    using a = await automationApp();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('often%00', '%2e%2e', 'a'.repeat(129), 'nightly\n')).filter((n) => !['nightly', 'often', 'off'].includes(n)), async (name) => {
        const r = await a.t.call('POST', `/api/v1/schedules/${encodeURIComponent(name)}/run`, 'operator');
        expect([400, 404, 414]).toContain(r.status);
        expect(typeof r.json.message).toBe('string');
      }),
      { numRuns: 60 },
    );
    expect(await a.t.store.listRuns()).toEqual([]);
  });
});
