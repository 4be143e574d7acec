import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { cli } from '../scenarios/scenario-helpers.js';
import { browserUnavailable, expectOneOutputGroup, useWebLab } from './browser.js';

/*
 * The Runbooks and Definitions pages in a real browser against a real lab (control plane + 3
 * agents): write a runbook with a parameter, run it, save the run and reopen it after a reload;
 * import a runbook file (and a bad one), with its parameters shown as such in the editor; then the
 * applied lab pack on the Definitions page.
 */

const skip = browserUnavailable('runbooks and definitions browser tests (test/web)');
const LAB_PACK = fileURLToPath(new URL('../../packs/lab', import.meta.url));

describe.skipIf(skip)('web UI: runbooks and definitions', () => {
  const web = useWebLab({ lab: { hosts: 3, appPortBase: 28480 } });

  const signIn = (path: string, token?: string): Promise<Page> => web.signIn(path, token);

  it('creates a two-cell runbook, runs it for host=web-1, saves the run and reopens it after a reload', async () => {
    const page = await signIn('/runbooks');
    await page.getByTestId('new-runbook').click();
    await page.getByTestId('runbook-name').fill('check-host');
    await page.getByTestId('runbook-params').fill('host');
    await page.getByLabel('markdown cell 1').fill('# Check a host\n\nRun `echo ok` on it.');
    await page.getByTestId('add-pipeline').click();
    await page.getByLabel('pipeline cell 2').fill('host | name = $host | `echo ok`');
    await page.getByTestId('save-runbook').click();
    await expect.poll(() => page.getByTestId('runbook-notice').textContent()).toContain('Saved check-host');
    expect(await page.locator('.markdown h2').textContent()).toBe('Check a host');
    await expect.poll(() => page.getByTestId('runbook-list').textContent()).toContain('check-host');

    await page.getByTestId('param-host').fill('web-1');
    await page.getByTestId('run-all').click();
    await page.getByTestId('cell-summary').waitFor();
    await expectOneOutputGroup(page, ['1 host', 'web-1', 'exit 0', 'ok']);

    await page.getByTestId('save-run').click();
    await expect.poll(() => page.getByTestId('saved-run').count()).toBe(1);

    await page.reload();
    await page.getByTestId('saved-run').first().click();
    await page.getByTestId('saved-run-view').waitFor();
    expect(await page.getByTestId('saved-run-view').textContent()).toContain('host = web-1');
    const saved = page.getByTestId('output-group');
    await saved.first().waitFor();
    expect(await saved.textContent()).toContain('ok');
    expect(await saved.textContent()).toContain('1 host');
    expect(await page.locator('.cell-pipeline pre.statement').textContent()).toBe('host | name = "web-1" | `echo ok`');
    // Read-only: no editors, no run buttons.
    expect(await page.getByTestId('run-all').count()).toBe(0);
    expect(await page.getByLabel('pipeline cell 2').count()).toBe(0);
    await page.close();

    // ?host=… fills the parameter (an alarm can link to a runbook for its host).
    const id = new URL(page.url()).searchParams.get('id');
    expect(id).toBeTruthy();
    const linked = await signIn(`/runbooks?id=${id}&host=web-2`);
    await expect.poll(() => linked.getByTestId('param-host').inputValue()).toBe('web-2');
    await linked.close();

    // The cell's run is a runbook run, not an ad hoc one: on the Runs page, in the API and the CLI, linking back.
    const { name: me } = await web.lab.api<{ name: string }>('/api/v1/whoami');
    const runs = await signIn('/runs');
    await runs.getByTestId('runs-filter-kind').selectOption('runbook');
    await expect.poll(() => new URL(runs.url()).search).toBe('?kind=runbook');
    const row = runs.getByTestId('run-row');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getAttribute('data-principal')).toBe(`${me} (runbook:check-host cell 2)`);
    expect(await row.textContent()).toContain('echo ok');
    await runs.getByTestId('runs-filter-kind').selectOption('adhoc');
    await expect.poll(() => runs.getByTestId('runs-count').textContent()).toBe('0 runs, newest first');
    await runs.getByTestId('runs-filter-kind').selectOption('runbook');
    await row.getByTestId('run-runbook').click();
    await expect.poll(() => runs.getByTestId('runbook-name').inputValue()).toBe('check-host');
    expect(new URL(runs.url()).pathname).toBe('/runbooks');
    await runs.close();
    const listed = await cli(web.lab, ['get', 'runs', '--kind', 'runbook', '-o', 'json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { principal: string }[]).map((r) => r.principal)).toEqual([`${me} (runbook:check-host cell 2)`]);
  }, 90_000);

  it('imports a runbook file with the Import button and opens it; its $host is a parameter in the editor; a bad file shows why', async () => {
    // A link to a runbook that does not exist says so.
    const page = await signIn('/runbooks?runbook=no-such-runbook&host=web-1');
    await expect.poll(() => page.getByTestId('runbook-error').textContent()).toContain('There is no runbook named “no-such-runbook”');

    const importFile = async (name: string, text: string) => {
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('import-runbook').click()]);
      await chooser.setFiles({ name, mimeType: 'application/yaml', buffer: Buffer.from(text) });
    };
    await importFile('imported-check.runbook.yaml', 'kind: runbook\nname: imported-check\nparams: [host]\ncells:\n  - markdown: "# Imported"\n  - pipeline: host | name = $host | `echo imported`\n');
    await expect.poll(() => page.getByTestId('runbook-name').inputValue()).toBe('imported-check');
    expect(await page.getByTestId('runbook-notice').textContent()).toContain('Imported imported-check');
    expect(await page.locator('.markdown h2').textContent()).toBe('Imported');
    expect(await page.getByTestId('runbook-list').textContent()).toContain('imported-check');
    expect(new URL(page.url()).searchParams.get('id')).toBeTruthy();
    // The URL's host value was kept for the runbook's $host.
    expect(await page.getByTestId('param-host').inputValue()).toBe('web-1');

    // $host is a declared parameter: shown as one, not as an error.
    const cell = page.getByTestId('cell').nth(1);
    expect((await cell.locator('.editor-overlay .tok-param').allTextContents()).join('')).toBe('$host');
    expect(await cell.getByTestId('diagnostics').count()).toBe(0);
    await page.getByLabel('pipeline cell 2').fill('host | name = $hots | `echo imported`');
    await expect.poll(() => cell.getByTestId('diagnostics').textContent()).toContain('unknown parameter $hots; declared: host');
    expect(await cell.getByTestId('run-cell').isDisabled()).toBe(true);

    await importFile('alarm.yaml', 'kind: alarm\nname: x\n');
    await expect.poll(() => page.getByTestId('runbook-error').textContent()).toContain('invalid runbook file: expected `kind: runbook`, found `kind: alarm`');
    await page.close();

    // A viewer cannot import.
    const { token } = await web.lab.api<{ token: string }>('/api/v1/tokens', { role: 'viewer', name: 'runbooks-viewer' });
    const viewer = await signIn('/runbooks', token);
    await viewer.getByTestId('runbook-list').getByText('imported-check').waitFor();
    expect(await viewer.getByTestId('import-runbook').isDisabled()).toBe(true);
    await viewer.close();
  }, 90_000);

  it('shows the applied definitions grouped by kind, the versions, a diff, and a definition as YAML', async () => {
    const files = readdirSync(LAB_PACK)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => ({ path: join('packs/lab', f), text: readFileSync(join(LAB_PACK, f), 'utf8') }));
    const applied = await web.lab.fetch('/api/v1/definitions/apply', {
      method: 'POST',
      headers: { authorization: `Bearer ${web.lab.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ files, baseVersion: 0 }),
    });
    expect(applied.status).toBe(200);

    const page = await signIn('/definitions');
    await page.getByTestId('version').first().waitFor();
    expect(await page.getByTestId('version').first().textContent()).toContain('version 1');
    const alarm = page.locator('[data-testid="definition"][data-kind="alarm"]').first();
    await alarm.waitFor();
    const name = await alarm.getAttribute('data-name');
    expect(await page.getByTestId('kind-alarm').textContent()).toContain(name ?? '');

    await alarm.getByTestId('copy-yaml').click();
    const yaml = alarm.getByTestId('definition-yaml');
    await yaml.waitFor();
    const text = await yaml.inputValue();
    expect(text).toContain('kind: alarm');
    expect(text).toContain(`name: ${name}`);

    await page.getByTestId('diff-from').selectOption('0');
    await page.getByTestId('show-diff').click();
    expect(await page.getByTestId('diff').textContent()).toContain(`+ alarm ${name}`);
    await page.close();
  }, 90_000);
});
