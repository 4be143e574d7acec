import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import type { RunDetail, RunRow } from './scenarios/scenario-helpers.js';
import { labWithDefinitions, waitFor } from './scenarios/scenario-helpers.js';

/*
 * A schedule applied to a running control plane actually runs its pipeline on the agents, again and
 * again, as its own principal. `every: 1s` keeps it short; cron times are
 * pinned on a fake clock in src/server/scheduler.test.ts (cron's finest step is a minute).
 */

const SCHEDULE = `kind: schedule
name: heartbeat
every: 1s
run: host | \`echo tick\`
`;

let lab: Lab;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ lab, stop } = await labWithDefinitions({ hosts: 1 }, { 'schedule.yaml': SCHEDULE }));
}, 60_000);

afterAll(async () => {
  await stop?.();
});

const scheduled = async () => (await lab.api<RunRow[]>('/api/v1/runs?limit=1000')).filter((r) => r.principal === 'schedule:heartbeat');

describe('a schedule on a running control plane', () => {
  it('runs its pipeline on the agents, tick after tick, as schedule:<name>', async () => {
    const runs = await waitFor('two finished runs of the schedule', async () => {
      const done = (await scheduled()).filter((r) => r.status !== 'running');
      return done.length >= 2 ? done : undefined;
    }, 30_000);
    for (const run of runs.slice(0, 2)) {
      expect(run).toMatchObject({ statement: 'host | `echo tick`', status: 'succeeded', targets: 1, failures: 0 });
      const detail = await lab.api<RunDetail>(`/api/v1/runs/${run.id}`);
      expect(detail.results.map((r) => [r.host, r.stdout, r.exitCode])).toEqual([['web-1', 'tick\n', 0]]);
    }
  }, 60_000);
});
