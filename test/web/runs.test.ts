import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { LabHost } from '../../src/lab/index.js';
import { PACK, cli, events, jsonLines, waitFor } from '../scenarios/scenario-helpers.js';
import { browserUnavailable, packFiles, useWebLab } from './browser.js';

/*
 * The Runs page in a real browser against a real lab of 4 hosts with the lab pack applied:
 * ad-hoc runs listed newest first and filtered (from the page and from the URL), a run's page
 * with each host's exit code and output (long output collapsed), the way from a bot_ran event,
 * an alarm and an audit row to what the bot ran, what a viewer sees, and the CLI's `get runs`
 * and `get run` on the same runs.
 */

const skip = browserUnavailable('web UI runs browser tests (test/web)');

describe.skipIf(skip)('web UI: runs', () => {
  const web = useWebLab({ lab: { hosts: 4, maxTargets: 100, appPortBase: 28980 }, definitions: () => packFiles(PACK), viewer: 'runs-viewer', signInTimeoutMs: 20_000 }); // web-1, web-2, db-3, cache-4
  /** Runs started by the first test, by what they are. */
  const ids: { echo?: string; failing?: string; long?: string } = {};
  const host = (name: string): LabHost => web.host(name);

  const signIn = (path: string, token?: string): Promise<Page> => web.signIn(path, token);

  /** Runs a statement through POST /api/v1/query as admin; returns the id it was recorded under. */
  async function runStatement(statement: string): Promise<string> {
    const res = await web.lab.fetch('/api/v1/query', { method: 'POST', headers: { authorization: `Bearer ${web.lab.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ statement, yes: true }) });
    const lines = jsonLines(await res.text());
    const runId = lines.find((l) => l.type === 'plan')?.runId;
    if (typeof runId !== 'string') throw new Error(`no run recorded for ${statement}: ${JSON.stringify(lines.slice(0, 3))}`);
    return runId;
  }
  const rowIds = (page: Page) => page.getByTestId('run-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  const exitCodes = (page: Page) => page.getByTestId('result-row').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-host') ?? ''}=${r.getAttribute('data-exit') ?? ''}`));

  it('lists runs newest first, filters them on the page and in the URL, and opens one with each host\'s exit code and output', async () => {
    ids.echo = await runStatement('host | `echo hi`');
    ids.failing = await runStatement('host | name = "web-2" | `echo oops >&2; exit 3`');

    const page = await signIn('/runs');
    await page.locator(`[data-testid="run-row"][data-id="${ids.failing}"]`).waitFor();
    // The lab's own schedules and bots record runs too: the order of these two among them.
    expect((await rowIds(page)).filter((id) => id === ids.failing || id === ids.echo)).toEqual([ids.failing, ids.echo]);
    const failingRow = page.locator(`[data-testid="run-row"][data-id="${ids.failing}"]`);
    expect(await failingRow.getAttribute('data-status')).toBe('failed');
    expect(await failingRow.textContent()).toContain('echo oops');

    // Status from the select: the URL says it, only failed runs are left.
    await page.getByTestId('runs-filter-status').selectOption('failed');
    await expect.poll(() => new URL(page.url()).search).toBe('?status=failed');
    await expect.poll(() => rowIds(page)).toEqual([ids.failing]);
    // A host typed: the failing run was on web-2 only.
    await page.getByTestId('runs-filter-host').fill('web-1');
    await expect.poll(() => new URL(page.url()).search).toBe('?host=web-1&status=failed');
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(0);
    await page.getByTestId('runs-filter-host').fill('web-2');
    await expect.poll(() => rowIds(page)).toEqual([ids.failing]);

    // The same URL in a new tab opens the same view.
    const shared = await signIn('/runs?host=web-2&status=failed');
    await expect.poll(() => rowIds(shared)).toEqual([ids.failing]);
    expect(await shared.getByTestId('runs-filter-status').inputValue()).toBe('failed');
    expect(await shared.getByTestId('runs-filter-host').inputValue()).toBe('web-2');
    await shared.close();

    // Open the failing run: web-2 exited 3 and said why on stderr.
    await failingRow.getByTestId('run-link').click();
    await page.getByTestId('run-detail').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/runs/${ids.failing}`);
    expect(await exitCodes(page)).toEqual(['web-2=3']);
    expect(await page.getByTestId('run-stderr').textContent()).toContain('oops');
    expect(await page.getByTestId('run-counts').textContent()).toBe('1 target, 1 failed');
    // Back returns to the filtered list; the Runs tab opens it unfiltered.
    await page.goBack();
    await expect.poll(() => rowIds(page)).toEqual([ids.failing]);
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await expect.poll(() => page.url()).toBe(`${web.lab.server}/runs`);
    await expect.poll(async () => (await rowIds(page)).filter((id) => id === ids.failing || id === ids.echo)).toEqual([ids.failing, ids.echo]);
    expect(await page.getByTestId('runs-filter-host').inputValue()).toBe('');
    await page.close();

    // The echo run, opened by its URL: every host exited 0 and printed hi.
    const detail = await signIn(`/runs/${ids.echo}`);
    await detail.getByTestId('run-detail').waitFor();
    expect(await exitCodes(detail)).toEqual(['cache-4=0', 'db-3=0', 'web-1=0', 'web-2=0']);
    expect(await detail.getByTestId('run-stdout').allTextContents()).toEqual(Array(4).fill('stdout · 1 linehi\n'));
    expect(await detail.getByTestId('run-statement').textContent()).toBe('host | `echo hi`');
    await detail.close();
  }, 90_000);

  it('collapses long output to its first lines, and shows all of it on demand', async () => {
    ids.long = await runStatement('host | name = "web-1" | `seq 1 500`');
    const page = await signIn(`/runs/${ids.long}`);
    const out = page.getByTestId('run-stdout');
    await out.waitFor();
    expect((await out.locator('pre').textContent())?.split('\n')).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    await out.getByTestId('show-all').click();
    await expect.poll(async () => (await out.locator('pre').textContent())?.trimEnd().split('\n').length).toBe(500);
    await page.close();
  }, 60_000);

  it('leads from a bot_ran event, its alarm and its audit row to what the bot deleted on web-1', async () => {
    const started = Date.now();
    await web.lab.fillDisk(host('web-1'), 95);
    const ran = await waitFor('clean-data-logs to run on web-1', async () => (await events(web.lab, { type: 'bot_ran', host: 'web-1', since: started }))[0], 30_000);
    expect(ran.runId).toBeTruthy();

    // One click from the event.
    const page = await signIn('/events');
    const eventRow = page.locator(`[data-testid="event"][data-type="bot_ran"][data-host="web-1"]`).first();
    await eventRow.getByTestId('event-run-link').click();
    await page.getByTestId('run-detail').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/runs/${String(ran.runId)}`);
    expect(await exitCodes(page)).toEqual(['web-1=0']);
    expect(await page.getByTestId('run-stdout').textContent()).toContain('runaway.log');
    expect(await page.getByTestId('run-statement').textContent()).toContain('bot clean-data-logs: clean_logs(');

    // Two clicks from the alarm that fired: its bot runs on that host, then the run.
    await page.goBack();
    const fired = page.locator('[data-testid="event"][data-type="alarm_fired"][data-alarm="data-disk-full"][data-host="web-1"]').first();
    await fired.getByTestId('alarm-runs-link').click();
    await page.getByTestId('runs-table').waitFor();
    const search = new URL(page.url()).searchParams;
    expect([search.get('kind'), search.get('host')]).toEqual(['bot', 'web-1']);
    const botRow = page.locator(`[data-testid="run-row"][data-id="${String(ran.runId)}"]`);
    expect(await botRow.getAttribute('data-principal')).toBe('bot:clean-data-logs@web-1');
    await expect.poll(() => page.getByTestId('run-row').evaluateAll((rows) => rows.every((r) => r.getAttribute('data-principal')?.startsWith('bot:')))).toBe(true);
    await botRow.getByTestId('run-link').click();
    await page.getByTestId('run-detail').waitFor();
    expect(await page.getByTestId('run-stdout').textContent()).toContain('runaway.log');

    // From the audit: the bot's run entry links to the same run.
    await page.goto(`${web.lab.server}/audit`);
    await page.getByTestId('audit-table').waitFor();
    const auditLink = page.locator(`[data-testid="audit-run-link"][href="/runs/${String(ran.runId)}"]`).first();
    await auditLink.click();
    await page.getByTestId('run-detail').waitFor();
    expect(await exitCodes(page)).toEqual(['web-1=0']);
    await page.close();
  }, 90_000);

  it('lets a viewer list runs but not read another\'s output, and says a bad filter plainly', async () => {
    const echo = ids.echo ?? (await runStatement('host | `echo hi`'));
    const page = await signIn('/runs?kind=adhoc', web.viewerToken);
    await page.locator(`[data-testid="run-row"][data-id="${echo}"]`).waitFor();
    await page.locator(`[data-testid="run-row"][data-id="${echo}"]`).getByTestId('run-link').click();
    expect(await page.getByTestId('run-error').textContent()).toContain('You cannot read this run\'s output');
    await page.close();

    const bad = await signIn('/runs?status=finished');
    expect(await bad.getByTestId('runs-error').textContent()).toContain('expected a run status: running, succeeded, failed');
    await bad.close();
  }, 60_000);

  it('gives the same runs to the CLI: get runs with filters, get run with exit codes and output', async () => {
    const failing = ids.failing ?? (await runStatement('host | name = "web-2" | `echo oops >&2; exit 3`'));
    const listed = await cli(web.lab, ['get', 'runs', '--host', 'web-2', '--status', 'failed', '--since', '1h', '-o', 'json']);
    expect(listed.code, listed.stderr).toBe(0);
    const runs = JSON.parse(listed.stdout) as { id: string; status: string }[];
    expect(runs.map((r) => r.id)).toContain(failing);
    expect(runs.every((r) => r.status === 'failed')).toBe(true);

    const one = await cli(web.lab, ['get', 'run', failing]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^HOST\s+RESOURCE\s+STATUS\s+EXIT\s+DURATION$/m);
    expect(one.stdout).toMatch(/^web-2\s+web-2\s+\S+\s+3\s/m);
    expect(one.stdout).toContain('── web-2 stderr\noops\n');

    const wrong = await cli(web.lab, ['get', 'runs', '--status', 'finished']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('expected a run status');
  }, 60_000);
});
