import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp, manualClock } from '../../../test/inject-app.js';
import type { RunRecord } from '../store/index.js';
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
});
