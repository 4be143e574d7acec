import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { waitUntil } from './helpers.js';
import { describeInModes } from './modes.js';
import { query } from './scenarios/scenario-helpers.js';

/*
 * An agent asked to stop (SIGTERM, as systemd does on a restart or a package upgrade) while a
 * command runs: it finishes the command, reports its answer, and exits cleanly, rather than
 * leaving the operator with a half-done repair and an `offline` row.
 */

await describeInModes('an agent stopped by SIGTERM mid-command', 'test/agent-sigterm.test.ts', (mode) => {
  it('finishes the running command, the query carries its output, then the agent exits 0', async () => {
    const lab = await startLab(mode.lab({ hosts: 1 }));
    try {
      await stopMidCommand(lab);
    } finally {
      await lab.stop();
    }
  }, 120_000);
});

/** Sends SIGTERM to the lab's agent while a query's command runs on it, and checks the outcome. */
async function stopMidCommand(lab: Lab): Promise<void> {
  const host = lab.hosts[0];
  if (!host) throw new Error('no host');
  const agent = host.process;
  const started = join(host.dir, 'started');
  let settled = false;
  // The marker proves the command is running on the agent before the signal is sent.
  const answer = query(lab, 'host | `touch "$HOST_ROOT/started"; sleep 2; echo done`').finally(() => (settled = true));
  await waitUntil('the command to start on the agent', () => existsSync(started));
  expect(settled).toBe(false);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => agent.once('exit', (code, signal) => resolve({ code, signal })));
  agent.kill('SIGTERM');

  const rows = await answer;
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ status: 'ok', values: { stdout: 'done\n', exit_code: 0 } });
  // Cleanly: its own exit code 0 after draining, not killed by the signal.
  expect(await exited).toEqual({ code: 0, signal: null });
}
