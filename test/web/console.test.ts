import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserUnavailable, expectOneOutputGroup, useWebLab } from './browser.js';

/*
 * The web UI in a real browser against a real lab (control plane + 3 agent processes), through
 * the same public API as the CLI: sign in, run pipelines from the Console, see grouped results,
 * diagnostics underlined as you type, roles, the blast-radius dialog, and the Fleet page.
 */

const skip = browserUnavailable('web UI browser tests (test/web)');

describe.skipIf(skip)('web UI', () => {
  // maxTargets 2: a command on all 3 hosts needs confirmation (the blast-radius dialog).
  const web = useWebLab({ lab: { hosts: 3, maxTargets: 2, appPortBase: 28180 }, viewer: 'web-viewer' });

  const signIn = (token: string, path = '/console'): Promise<Page> => web.signIn(path, token);

  it('serves the app at / without a token, hashed assets with long cache headers, index.html for client routes', async () => {
    const root = await web.lab.fetch('/');
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toContain('text/html');
    const html = await root.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    const js = await web.lab.fetch(`${asset}`);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await web.lab.fetch('/console')).headers.get('content-type')).toContain('text/html');
    const api = await web.lab.fetch('/api/v1/nothing');
    expect(api.status).toBe(404);
    expect(((await api.json()) as { code: string }).code).toBe('BW_ERR_NOT_FOUND');
  });

  it('signs in, dry-runs and then runs a command from the console with Ctrl-Enter, confirms the blast radius and shows grouped output', async () => {
    const page = await signIn(web.lab.token);
    expect(await page.getByTestId('whoami').textContent()).toContain('admin');
    const editor = page.getByLabel('pipeline');
    // A dry run first: it runs nothing and explains the batches and the blast radius.
    await editor.fill('host | rolling(batch = 2, ramp = exponential) | `echo hi`');
    await page.getByTestId('dry-run').click();
    await page.getByTestId('dry-run-explanation').waitFor();
    expect(await page.getByTestId('dry-run-batches').locator('li').count()).toBe(2);
    expect(await page.getByTestId('dry-run-blast-radius').textContent()).toBe('over the limit: 3 targets > 2; runs only once confirmed');
    await editor.fill('host | `echo hi`');
    await editor.press('Control+Enter');
    // 3 hosts > --max-targets 2: nothing runs until confirmed.
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('3 resources');
    await page.getByTestId('confirm-run').click();
    // Rows stream in as agents answer; the summary line comes last.
    await page.getByTestId('run-summary').waitFor();
    const group = await expectOneOutputGroup(page, ['3 hosts', 'exit 0', 'hi']);
    await group.getByRole('button').click();
    expect(await group.getByTestId('group-hosts').locator('li').allTextContents()).toEqual(web.lab.hosts.map((h) => h.name).sort(new Intl.Collator('en', { numeric: true }).compare));
    // The run is in the history; the dry run is not.
    expect(await page.getByTestId('history').textContent()).toContain('echo hi');
    expect(await page.getByTestId('history').textContent()).not.toContain('rolling');
    await page.close();
  }, 60_000);

  it('shows metric rows as a table with numeric summaries', async () => {
    const page = await signIn(web.lab.token);
    await page.getByLabel('pipeline').fill('host | cpu_usage | mem_usage');
    const table = page.getByTestId('result-table');
    // Run again until every host has a first collection (a loaded machine may not have one yet when
    // its agent has just connected): what is checked is how the rows and their summaries are shown.
    await expect
      .poll(
        async () => {
          await page.getByTestId('run').click();
          await page.getByTestId('run-summary').waitFor();
          await table.waitFor();
          return [await table.getAttribute('data-rows'), /mem_usage\s*min .*% · avg .*% · max .*%/.test((await page.getByTestId('summaries').textContent()) ?? '')];
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toEqual(['3', true]);
    await page.close();
  }, 60_000);

  it('keeps rows in the order a sort decided (plan.ordered), and shows other rows by name', async () => {
    const page = await signIn(web.lab.token);
    const byName = web.lab.hosts.map((h) => h.name).sort(new Intl.Collator('en', { numeric: true }).compare);
    const shown = () => page.getByTestId('result-table').locator('.vtable-row [role="cell"]:first-child').allTextContents();
    const run = async (statement: string) => {
      await page.getByLabel('pipeline').fill(statement);
      await page.getByTestId('run').click();
    };
    await run('host | sort(-name)');
    await expect.poll(shown, { timeout: 15_000 }).toEqual([...byName].reverse());
    await run('host | sort(-name) | sample(3)');
    await expect.poll(shown, { timeout: 15_000 }).toEqual(byName);
    await page.close();
  }, 60_000);

  it('underlines a typo with its diagnostic while typing and does not run it', async () => {
    const page = await signIn(web.lab.token);
    await page.getByLabel('pipeline').fill('host | cpu_usge > 1');
    const underline = page.locator('.editor-overlay .diag-error');
    await underline.first().waitFor();
    expect(await underline.first().textContent()).toBe('cpu_usge');
    const diagnostics = await page.getByTestId('diagnostics').textContent();
    expect(diagnostics).toContain('cpu_usge');
    expect(diagnostics).toContain('cpu_usage');
    expect(await page.getByTestId('run').isDisabled()).toBe(true);
    await page.close();
  }, 60_000);

  it('warns as you type about a filter value no host has, naming the near one, and runs nothing on it', async () => {
    const page = await signIn(web.lab.token);
    const marker = join(web.lab.hosts[0]?.dir ?? tmpdir(), 'console-typo-ran');
    const webHosts = web.lab.hosts.filter((h) => h.tags.role === 'web').length;
    // Typed, not filled: the warning is there while the statement is written.
    await page.getByLabel('pipeline').fill('');
    await page.getByLabel('pipeline').pressSequentially(`host | role = "wbe" | \`touch ${marker}\``);
    const underline = page.locator('.editor-overlay .diag-warning');
    await underline.first().waitFor();
    expect(await underline.first().textContent()).toBe('"wbe"');
    await expect.poll(() => page.getByTestId('diagnostics').textContent(), { timeout: 15_000 }).toContain(`BW_NO_MATCH no host has role = "wbe"; did you mean "web" (${webHosts} hosts)?`);
    // A warning does not stop the Run button; the control plane refuses, and nothing runs.
    await page.getByTestId('run').click();
    await page.getByTestId('query-error').waitFor();
    expect(await page.getByTestId('query-error').textContent()).toContain('Nothing ran');
    expect(existsSync(marker)).toBe(false);
    const runs = (await (await web.lab.fetch('/api/v1/runs', { headers: { authorization: `Bearer ${web.lab.token}` } })).json()) as { statement: string }[];
    expect(runs.filter((r) => r.statement.includes('"wbe"'))).toEqual([]);
    // Fixed, the warning goes away.
    await page.getByLabel('pipeline').fill('host | role = "web" | count');
    await expect.poll(() => page.getByTestId('diagnostics').count()).toBe(0);
    await page.close();
  }, 60_000);

  it("completes a tag's values seen in the fleet inside quotes, and a metric's labels inside a selector", async () => {
    const page = await signIn(web.lab.token);
    const editor = page.getByLabel('pipeline');
    const offered = () => page.locator('.completions .c-name').allTextContents();
    // The values come from the agents list, asked for once the page is open.
    const roles = [...new Set(web.lab.hosts.map((h) => h.tags.role ?? ''))].sort();
    await editor.fill('host | role = "');
    await expect.poll(offered, { timeout: 15_000 }).toEqual(roles);
    await editor.press('Tab');
    expect(await editor.inputValue()).toBe(`host | role = "${roles[0]}"`);
    await editor.fill('host | disk_usage{');
    await expect.poll(offered).toEqual(['mount', 'device', 'fstype']);
    await editor.pressSequentially('mo');
    await expect.poll(offered).toEqual(['mount']);
    await editor.press('Tab');
    expect(await editor.inputValue()).toBe('host | disk_usage{mount');
    await page.close();
  }, 60_000);

  it('a viewer sees the run button disabled for a command, with the reason', async () => {
    const page = await signIn(web.viewerToken);
    expect(await page.getByTestId('whoami').textContent()).toContain('viewer');
    await page.getByLabel('pipeline').fill('host | `echo hi`');
    await page.getByTestId('run-blocked').waitFor();
    expect(await page.getByTestId('run').isDisabled()).toBe(true);
    expect(await page.getByTestId('run-blocked').textContent()).toContain('needs the admin role');
    await page.close();
  }, 60_000);

  it('lists the fleet with connection state and live metrics, filtered by a pipeline', async () => {
    const page = await signIn(web.lab.token, '/fleet');
    const table = page.getByTestId('fleet-table');
    await expect.poll(() => table.locator('.status-connected').count(), { timeout: 15_000 }).toBe(3);
    await expect.poll(async () => (await table.locator('.metric-value').allTextContents()).filter((t) => t.endsWith('%')).length, { timeout: 15_000 }).toBe(9);
    const first = web.lab.hosts[0]?.name ?? '';
    await page.getByLabel('filter').fill(`name = "${first}"`);
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => table.getAttribute('data-rows'), { timeout: 15_000 }).toBe('1');
    expect(await table.textContent()).toContain(first);
    await page.locator('.vtable-row', { hasText: first }).click();
    const detail = page.getByTestId('host-detail');
    await detail.waitFor();
    // The chart has the last hour, then grows by a point a second from the live query.
    const chart = detail.getByTestId('chart');
    await chart.waitFor();
    const points = async () => Number(await chart.getAttribute('data-points'));
    const before = await points();
    await expect.poll(points, { timeout: 15_000 }).toBeGreaterThan(before + 1);
    // The host's processes (its agent at least), live too.
    await expect.poll(() => detail.getByTestId('result-table').locator('.vtable-row').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await detail.getByTestId('result-table').textContent()).toContain('node');
    await page.close();
  }, 60_000);

  it('Fleet says reconnecting while the control plane restarts, then is live again without a reload', async () => {
    const page = await signIn(web.lab.token, '/fleet');
    const indicator = page.getByTestId('live');
    await page.locator('[data-testid="live"][data-live="yes"]').waitFor();
    // Record every state the indicator shows, however briefly.
    await page.evaluate(`{
      window.bwLive = [];
      const el = document.querySelector('[data-testid="live"]');
      new MutationObserver(() => window.bwLive.push(el.getAttribute('data-live'))).observe(el, { attributes: true });
    }`);
    await web.lab.restartServer();
    await expect.poll(() => page.evaluate('window.bwLive'), { timeout: 30_000 }).toEqual(['no', 'yes']);
    expect(await indicator.textContent()).toBe('● live');
    // Answers flow again: the hosts come back as connected with values.
    const table = page.getByTestId('fleet-table');
    await expect.poll(() => table.locator('.status-connected').count(), { timeout: 30_000 }).toBe(3);
    await page.close();
  }, 60_000);

  // Last: the pages above (Console, Fleet with its chart, live queries) ran under the same CSP.
  it('runs under its Content-Security-Policy: nothing the app loads or does is blocked', async () => {
    const csp = (await web.lab.fetch('/')).headers.get('content-security-policy');
    expect(csp).toContain("frame-ancestors 'none'");
    const page = await signIn(web.lab.token, '/events');
    await page.getByTestId('live').waitFor();
    for (const [path, ready] of [['/audit', 'audit-table'], ['/definitions', 'whoami'], ['/runbooks', 'whoami']] as const) {
      await page.goto(`${web.lab.server}${path}`);
      await page.getByTestId(ready).waitFor();
    }
    expect(web.browser.cspViolations).toEqual([]);
    // The watch works: an inline script (what an injection would add) is blocked and seen.
    await page.evaluate(`{ const s = document.createElement('script'); s.textContent = 'window.bwInline = 1'; document.body.append(s); }`);
    await expect.poll(() => web.browser.cspViolations.length, { timeout: 5000 }).toBe(1);
    expect(await page.evaluate('window.bwInline')).toBeUndefined();
    await page.close();
  }, 60_000);
});
