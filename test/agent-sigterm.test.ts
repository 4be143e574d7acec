import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import type { ResultRow } from '../src/protocol/index.js';
import { waitUntil } from './helpers.js';

/*
 * An agent asked to stop (SIGTERM, as systemd does on a restart or a package upgrade) while a
 * command runs: it finishes the command, reports its answer, and exits cleanly, rather than
 * leaving the operator with a half-done repair and an `offline` row.
 */

let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ hosts: 1 });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

describe('an agent stopped by SIGTERM mid-command', () => {
  it('finishes the running command, the query carries its output, then the agent exits 0', async () => {
    const host = lab.hosts[0];
    if (!host) throw new Error('no host');
    const agent = host.process;
    const started = join(host.dir, 'started');
    let settled = false;
    const answer = lab
      .fetch('/api/v1/query', {
        method: 'POST',
        headers: { authorization: `Bearer ${lab.token}`, 'content-type': 'application/json' },
        // The marker proves the command is running on the agent before the signal is sent.
        body: JSON.stringify({ statement: 'host | `touch "$HOST_ROOT/started"; sleep 2; echo done`' }),
      })
      .then((res) => res.text())
      .finally(() => (settled = true));
    await waitUntil('the command to start on the agent', () => existsSync(started));
    expect(settled).toBe(false);

    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => agent.once('exit', (code, signal) => resolve({ code, signal })));
    agent.kill('SIGTERM');

    const rows = (await answer)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; row?: ResultRow })
      .filter((l) => l.type === 'row')
      .map((l) => l.row);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'ok', values: { stdout: 'done\n', exit_code: 0 } });
    // Cleanly: its own exit code 0 after draining, not killed by the signal.
    expect(await exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});
