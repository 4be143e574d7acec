import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { stopChild } from '../../src/lab/index.js';
import { runCli, waitUntil } from '../helpers.js';
import { browserUnavailable, useWebLab } from './browser.js';

/*
 * The numbers a run shows, in a real browser against a real lab of 4 hosts: the Console's summary,
 * the CLI and the audit agree on how many targets failed (a non-zero exit is a failed target), and
 * a command on processes is recorded as the processes it ran on, not their hosts (issue 13).
 */

const skip = browserUnavailable('web UI run counts (test/web)');

describe.skipIf(skip)('the numbers of a run', () => {
  // No confirmation dialog for 8 targets: the counts are what this suite is about.
  const web = useWebLab({ lab: { hosts: 4, maxTargets: 100, appPortBase: 28680 } });
  /** Two `sleep` processes in each lab host's folder: what that host's agent lists as its processes. */
  const sleepers: ChildProcess[] = [];

  beforeAll(() => {
    for (const host of web.lab.hosts) for (let i = 0; i < 2; i++) sleepers.push(spawn('sleep', ['600'], { cwd: host.dir, stdio: 'ignore' }));
  });

  afterAll(async () => {
    await Promise.all(sleepers.map((p) => stopChild(p)));
  }, 30_000);

  const signIn = (path: string): Promise<Page> => web.signIn(path);
  const api = (path: string, body?: unknown) =>
    web.lab.fetch(path, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${web.lab.token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const auditOfRuns = async () => (await (await api('/api/v1/audit?action=run')).json()) as { target: string; outcome: string; detail: Record<string, unknown> }[];

  /** Runs a statement in the Console and returns its summary line once it came. */
  async function runInConsole(page: Page, statement: string): Promise<string> {
    const editor = page.getByLabel('pipeline');
    await editor.fill(statement);
    await editor.press('Control+Enter');
    const summary = page.getByTestId('run-summary');
    await summary.waitFor();
    return (await summary.textContent()) ?? '';
  }

  it('says 4 failed when a command exits 3 on each of 4 hosts, as the CLI and the audit do', async () => {
    const page = await signIn('/console');
    const summary = await runInConsole(page, 'host | `exit 3`');
    expect(summary).toContain('4 rows · 4 failed');
    expect(await page.getByTestId('history').textContent()).toContain('4 rows · 4 failed');

    const env = { BREAKWATER_SERVER: web.lab.server, BREAKWATER_TOKEN: web.lab.token, ...(web.lab.ca ? { BREAKWATER_CA: web.lab.ca } : {}) };
    const cli = await runCli(['run', 'host | `exit 3`', '--yes'], { env, timeoutMs: 60_000 });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('4 rows, 0 ok, 4 failed');

    const runs = (await auditOfRuns()).filter((a) => a.target === 'host | `exit 3`');
    expect(runs.map((a) => [a.outcome, a.detail.targets, a.detail.failures])).toEqual([
      ['failed', 4, 4],
      ['failed', 4, 4],
    ]);
    await page.close();
  }, 90_000);

  it('records a command on 8 processes across the hosts as 8 resources, in the audit and on the Audit page', async () => {
    const statement = 'process | name = "sleep" | `true`';
    // The agents list a process at their next collect pass.
    await waitUntil('each agent to list its two sleep processes', async () => {
      const answer = await (await api('/api/v1/query', { statement: 'process | name = "sleep"' })).text();
      return answer.split('\n').filter((l) => l.includes('"type":"row"')).length === 8;
    });
    const page = await signIn('/console');
    const summary = await runInConsole(page, statement);
    const entry = (await auditOfRuns()).find((a) => a.target === statement);
    expect(entry?.detail).toMatchObject({ targets: 8, failures: 0 });
    expect(summary).toContain('8 rows · 0 failed');
    await page.close();

    // What an operator reads on the Audit page: where the run went.
    const auditPage = await signIn('/audit');
    const shown = auditPage.locator('[data-testid="audit-row"][data-action="run"]').filter({ hasText: statement });
    await shown.first().waitFor();
    expect(await shown.first().textContent()).toContain('8 resources');
    await auditPage.close();
  }, 90_000);
});
