import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp, manualClock } from '../../../test/inject-app.js';
import type { RunRecord, RunResultRecord } from '../store/index.js';
import { runsRoutes } from './runs-routes.js';

closeAppsAfterEach();

const run = (id: string, principal: string, startedAt: number, plan: unknown = {}): RunRecord => ({ id, principal, statement: 'host | `uptime`', plan, status: 'succeeded', startedAt, finishedAt: startedAt + 10, targets: 1, failures: 0 });

/** A bot's run keeps the output its agent reported in `plan.trigger`. */
const BOT_PLAN = { trigger: { event: 'e1', stdout: 'secret-ish output', stderr: 'warn' } };

describe('runs routes', () => {
  it('lists runs newest first, leaving a bot\'s reported output out for a viewer who did not run it', async () => {
    const t = await injectApp((store) => runsRoutes({ store, runOutputVisibility: 'operator', clock: manualClock(5000) }));
    await t.store.createRun(run('r1', 'viewer', 1000));
    await t.store.createRun(run('r2', 'bot:janitor@web-1', 2000, BOT_PLAN));
    const viewer = await t.call('GET', '/api/v1/runs', 'viewer');
    expect(viewer.json.map((r: RunRecord) => r.id)).toEqual(['r2', 'r1']);
    expect(viewer.json[0]).toMatchObject({ plan: { trigger: { event: 'e1' } }, outputHidden: true });
    expect(viewer.json[0].plan.trigger).not.toHaveProperty('stdout');
    expect(viewer.json[1]).not.toHaveProperty('outputHidden');
    expect((await t.call('GET', '/api/v1/runs?limit=1', 'operator')).json).toEqual([{ ...run('r2', 'bot:janitor@web-1', 2000, BOT_PLAN) }]);
  });

  it('shows one run to whoever ran it and to operators; refuses another viewer (403) and audits the refusal', async () => {
    const t = await injectApp((store) => runsRoutes({ store, runOutputVisibility: 'operator', clock: manualClock(5000) }));
    await t.store.createRun(run('r1', 'someone-else', 1000));
    expect((await t.call('GET', '/api/v1/runs/r1', 'operator')).json.run.id).toBe('r1');
    const refused = await t.call('GET', '/api/v1/runs/r1', 'viewer');
    expect(refused.status).toBe(403);
    expect(refused.json.details).toEqual({ needed: 'operator', held: 'viewer' });
    expect((await t.audit()).map((e) => [e.time, e.principal, e.action, e.target, e.outcome, e.detail])).toEqual([[5000, 'viewer', 'run.read', 'r1', 'denied', { needed: 'operator', held: 'viewer', ranBy: 'someone-else' }]]);
    expect((await t.call('GET', '/api/v1/runs/nope', 'operator')).status).toBe(404);
  });

  it('shows every run to every viewer when the server says so (--run-output-visibility all)', async () => {
    const t = await injectApp((store) => runsRoutes({ store, runOutputVisibility: 'all', clock: manualClock() }));
    await t.store.createRun(run('r1', 'bot:janitor@web-1', 1000, BOT_PLAN));
    expect((await t.call('GET', '/api/v1/runs', 'viewer')).json[0].plan).toEqual(BOT_PLAN);
    expect((await t.call('GET', '/api/v1/runs/r1', 'viewer')).status).toBe(200);
  });

  describe('filters', () => {
    const result = (runId: string, host: string): RunResultRecord => ({ runId, resourceId: host, resourceType: 'host', host, status: 'ok', exitCode: 0, stdout: '', stderr: '', error: null, values: {}, durationMs: 5 });
    const seeded = async () => {
      const t = await injectApp((store) => runsRoutes({ store, runOutputVisibility: 'operator', clock: manualClock() }));
      await t.store.createRun(run('mine', 'viewer', 1000));
      await t.store.createRun({ ...run('bot', 'bot:clean-data-logs@web-1', 2000, BOT_PLAN), status: 'failed', failures: 1 });
      await t.store.createRun(run('approved', 'operator (approving bot:clean-data-logs)', 3000));
      await t.store.createRun(run('nightly', 'schedule:nightly', 4000));
      await t.store.createRun(run('book', 'viewer (runbook:disk-full cell 2)', 500));
      await t.store.addRunResults([result('mine', 'web-2'), result('bot', 'web-1'), result('approved', 'web-1'), result('nightly', 'web-3')]);
      return t;
    };
    const ids = async (t: Awaited<ReturnType<typeof seeded>>, q: string, as: 'viewer' | 'operator' = 'viewer') => {
      const answer = await t.call('GET', `/api/v1/runs?${q}`, as);
      expect(answer.status).toBe(200);
      return answer.json.map((r: RunRecord) => r.id);
    };

    it('narrow the list server-side, for viewers too; a bot\'s output stays hidden from them', async () => {
      const t = await seeded();
      expect(await ids(t, 'bot=clean-data-logs')).toEqual(['approved', 'bot']);
      expect(await ids(t, 'host=web-1')).toEqual(['approved', 'bot']);
      expect(await ids(t, 'host=web-1&status=failed')).toEqual(['bot']);
      expect(await ids(t, 'kind=schedule')).toEqual(['nightly']);
      expect(await ids(t, 'kind=adhoc')).toEqual(['mine']);
      expect(await ids(t, 'kind=runbook')).toEqual(['book']);
      // A runbook cell's run is its person's own: a viewer reads the output of theirs.
      expect((await t.call('GET', '/api/v1/runs/book', 'viewer')).status).toBe(200);
      expect(await ids(t, 'kind=approval&bot=clean-data-logs')).toEqual(['approved']);
      expect(await ids(t, `principal=${encodeURIComponent('operator (approving bot:clean-data-logs)')}`)).toEqual(['approved']);
      expect(await ids(t, 'since=2000&before=4000')).toEqual(['approved', 'bot']);
      expect(await ids(t, 'since=2000&limit=1')).toEqual(['nightly']);
      const bot = (await t.call('GET', '/api/v1/runs?kind=bot', 'viewer')).json[0];
      expect(bot).toMatchObject({ id: 'bot', outputHidden: true });
      expect(bot.plan.trigger).not.toHaveProperty('stdout');
      expect((await t.call('GET', '/api/v1/runs?kind=bot', 'operator')).json[0].plan.trigger.stdout).toBe('secret-ish output');
      expect((await t.call('GET', '/api/v1/runs?kind=bot')).status).toBe(401);
    });

    it('refuse a bad value with 400 BW_ERR_INVALID_REQUEST naming the parameter', async () => {
      const t = await seeded();
      for (const [q, words] of [
        ['status=done', 'expected a run status: running, succeeded'],
        ['kind=robot', 'expected a kind of run: adhoc, bot, schedule, approval, runbook'],
        ['host=web%201', 'expected a name'],
        ['bot=%25', 'expected a name'],
        ['since=yesterday', 'since'],
        ['since=-5', 'since'],
        ['limit=0', 'limit'],
        ['principal=', 'the principal is empty'],
        [`principal=${'x'.repeat(301)}`, 'longer than 300'],
      ] as const) {
        const answer = await t.call('GET', `/api/v1/runs?${q}`, 'viewer');
        expect(answer.status, q).toBe(400);
        expect(answer.json.code, q).toBe('BW_ERR_INVALID_REQUEST');
        expect(answer.json.message, q).toContain(words);
      }
    });

    it('answer any query string with runs or a 400, never a crash (bounded fuzz)', async () => {
      const t = await seeded();
      const key = fc.constantFrom('status', 'kind', 'principal', 'bot', 'host', 'since', 'before', 'limit', 'other');
      const value = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('failed', 'bot', 'web-1', 'clean-data-logs', '2000', '-1', '1e99', 'NaN', '%', '_', '\u0000', 'x'.repeat(400)), fc.integer().map(String));
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(key, value), { maxLength: 4 }), async (pairs) => {
          const answer = await t.call('GET', `/api/v1/runs?${new URLSearchParams(pairs).toString()}`, 'viewer');
          expect([200, 400]).toContain(answer.status);
          if (answer.status === 400) expect(answer.json.code).toBe('BW_ERR_INVALID_REQUEST');
          else expect(Array.isArray(answer.json)).toBe(true);
        }),
        { seed: 13, numRuns: 150 },
      );
    });
  });
});
