import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import type { AuditRow, RunRow } from './scenarios/scenario-helpers.js';
import { waitFor } from './scenarios/scenario-helpers.js';
import { describeInModes } from './modes.js';

/*
 * The control plane is killed (SIGKILL: no goodbye, no flush) while a command runs on a real agent.
 * The run and its audit entry were written when it was dispatched, so after a restart on the same
 * data directory the run shows who started what, marked interrupted rather than running forever.
 * In the scaled mode other replicas may be executing runs of their own, so a run is interrupted
 * once its replica has been silent for three heartbeats (src/server/replica-liveness.ts), not at
 * the next start: the test waits for that.
 */

await describeInModes('a run interrupted by a crash', 'test/interrupted-run.test.ts', (mode) => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab(mode.lab({ hosts: 1 }));
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  });

  describe('a run interrupted by a crash of the control plane', () => {
    it('is recorded at dispatch, with its audit entry, and marked interrupted once its control plane is gone', async () => {
      const statement = 'host | `sleep 30`';
      const answer = lab.fetch('/api/v1/query', {
        method: 'POST',
        headers: { authorization: `Bearer ${lab.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ statement }),
      })
        .then((res) => res.text())
        .catch((err: unknown) => String(err));
      const run = await waitFor('the run to be recorded as running', async () => (await lab.api<RunRow[]>('/api/v1/runs')).find((r) => r.statement === statement && r.status === 'running'), 15_000, 50);
      // Its audit entry is there before it finishes (a finished run would not be `running` above).
      expect(await lab.api<AuditRow[]>('/api/v1/audit?action=run.start')).toContainEqual(expect.objectContaining({ principal: 'admin', target: statement, runId: run.id, outcome: 'ok' }));

      lab.serverProcess.kill('SIGKILL');
      await waitFor('the control plane to be dead', () => lab.serverProcess.exitCode !== null || lab.serverProcess.signalCode !== null, 5000, 20);
      await answer;
      await lab.restartServer();

      // Embedded: at the restart. Scaled: once the dead replica missed three heartbeats (30–40 s).
      const settled = mode.name === 'scaled' ? 60_000 : 5_000;
      const after = await waitFor('the run to be marked interrupted', async () => (await lab.api<RunRow[]>('/api/v1/runs')).find((r) => r.id === run.id && r.status !== 'running'), settled, 500);
      expect(after).toMatchObject({ status: 'interrupted', principal: 'admin' });
      expect(after?.finishedAt).toEqual(expect.any(Number));
      const audit = (await lab.api<AuditRow[]>('/api/v1/audit?limit=1000')).filter((a) => a.runId === run.id);
      expect(audit.map((a) => [a.action, a.principal, a.outcome]).sort()).toEqual([
        ['run.interrupted', 'breakwater', 'failed'],
        ['run.start', 'admin', 'ok'],
      ]);
    }, 150_000);
  });
});
