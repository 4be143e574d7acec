import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Definition } from '../../src/definitions/index.js';
import { toYaml } from '../../src/definitions/index.js';
import { PACK, cli } from '../scenarios/scenario-helpers.js';
import { browserUnavailable, packFiles, useWebLab } from './browser.js';

/*
 * Editing definitions on the Definitions page, in a real browser against a real lab (control
 * plane + 3 agents) running the lab pack: a diagnostic underlined where it points, the plan with
 * its changed values coloured, a back-test of the edited alarm, apply (the version moves and the
 * CLI sees it), a concurrent apply refused and re-planned, roles, and unsaved edits warning.
 */

const skip = browserUnavailable('definitions editing browser tests (test/web)');
const ALARM = 'data-disk-full';
/** The old value's red and the new value's green in each colour scheme (styles.css: --bad, --ok). */
const PLAN_COLOURS = [
  { scheme: 'dark', red: 'rgb(239, 68, 68)', green: 'rgb(34, 197, 94)' },
  { scheme: 'light', red: 'rgb(220, 38, 38)', green: 'rgb(21, 128, 61)' },
] as const;

describe.skipIf(skip)('web UI: editing definitions', () => {
  const web = useWebLab({ lab: { hosts: 3, appPortBase: 28680 }, definitions: () => packFiles(PACK, 'packs/lab/'), waitForAgents: false });

  const post = (path: string, body: unknown, token = web.lab.token) =>
    web.lab.fetch(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const current = () => web.lab.api<{ version: number; definitions: Definition[] }>('/api/v1/definitions');
  const alarmFire = async () => (await current()).definitions.find((d) => d.kind === 'alarm' && d.name === ALARM) as { fire: string; clear?: string } | undefined;
  const token = async (role: string, name: string) => (await web.lab.api<{ token: string }>('/api/v1/tokens', { role, name })).token;

  const signIn = (path: string, as?: string): Promise<Page> => web.signIn(path, as);

  /** Opens the lab's disk alarm in the editor; its YAML text area and the text as loaded. */
  const openAlarm = async (page: Page) => {
    await page.locator(`[data-testid="definition"][data-kind="alarm"][data-name="${ALARM}"]`).getByTestId('edit-definition').click();
    const area = page.getByTestId('definition-editor').getByLabel('alarm YAML');
    await area.waitFor();
    return { area, text: await area.inputValue() };
  };

  it('underlines a diagnostic at its span; a fixed, changed threshold plans as a coloured update, back-tests with firings and applies', async () => {
    const page = await signIn('/definitions');
    const before = (await current()).version;
    const { area, text } = await openAlarm(page);
    expect(text).toContain('fire: disk_usage{mount="/data"} > 90');
    expect(await page.getByTestId('apply-reason').textContent()).toBe('Plan first: apply applies the plan shown.');

    await area.fill(text.replace('fire: disk_usage', 'fire: disk_usge'));
    const diagnostics = page.getByTestId('definition-editor').getByTestId('diagnostics');
    await expect.poll(() => diagnostics.textContent()).toContain('BWD_BAD_QUERY');
    expect(await diagnostics.textContent()).toContain('did you mean `disk_usage`');
    expect((await page.locator('.editor-overlay .diag-error').allTextContents()).join('')).toBe('disk_usge');
    expect(await page.getByTestId('plan-edit').isDisabled()).toBe(true);
    expect(await page.getByTestId('unsaved').count()).toBe(1);

    // Fixed, with a threshold every web host is over: the plan is one update of `fire`, old red, new green.
    await area.fill(text.replace('> 90', '>= 0'));
    await expect.poll(() => diagnostics.count()).toBe(0);
    await page.getByTestId('plan-edit').click();
    const line = page.getByTestId('plan-line');
    await line.first().waitFor();
    expect(await line.count()).toBe(1);
    expect(await line.getAttribute('data-op')).toBe('update');
    expect(await line.textContent()).toBe(`~ alarm ${ALARM}: fire "disk_usage{mount=\\"/data\\"} > 90" -> "disk_usage{mount=\\"/data\\"} >= 0"`);
    // The page's own computed colours (a string expression: the tests' TypeScript has no DOM types).
    const colour = (selector: string) => page.evaluate(`getComputedStyle(document.querySelector('[data-testid="plan-line"] ${selector}')).color`);
    for (const { scheme, red, green } of PLAN_COLOURS) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await colour('.plan-before'), scheme).toBe(red);
      expect(await colour('.plan-after'), scheme).toBe(green);
    }
    expect(await page.getByTestId('plan').textContent()).toContain('Plan: 0 to create, 1 to change, 0 to delete.');

    // The back-test replays the edited alarm over the agents' stored seconds: it fires on both web hosts.
    await page.getByTestId('backtest-edit').click();
    // The same result view as the Admin page's back-test tool (BacktestResult).
    const summary = page.getByTestId('backtest-summary');
    await expect.poll(() => summary.textContent(), { timeout: 20_000 }).toMatch(/Over the last 1 h, .* would have fired \d+ times? on \d+ of \d+ hosts?\./);
    const fired = await page.locator('[data-testid="backtest-host"]').evaluateAll((rs) => rs.filter((r) => Number(r.getAttribute('data-firings')) > 0).map((r) => r.getAttribute('data-host')));
    expect(fired).toEqual(expect.arrayContaining(['web-1', 'web-2']));
    expect(fired).not.toContain('db-3');
    expect(await page.locator('[data-testid="backtest-transition"][data-state="fired"]').count()).toBeGreaterThanOrEqual(2);

    await page.getByTestId('apply-edit').click();
    await expect.poll(() => page.getByTestId('edit-notice').textContent()).toBe(`Applied version ${before + 1}. Agents receive it now.`);
    await expect.poll(() => page.getByTestId('current-version').textContent()).toBe(`version ${before + 1}`);
    expect(await page.getByTestId('definition-editor').count()).toBe(0);
    // The CLI sees the change.
    const listed = await cli(web.lab, ['get', 'alarms', '--json']);
    expect(listed.code).toBe(0);
    const alarms = JSON.parse(listed.stdout) as { name: string; fire: string }[];
    expect(alarms.find((a) => a.name === ALARM)?.fire).toBe('disk_usage{mount="/data"} >= 0');
    await page.close();
  }, 90_000);

  it('refuses an apply on top of a version someone applied after the plan, and plans again on the new version after Reload', async () => {
    const page = await signIn('/definitions');
    const loaded = (await current()).version;
    const { area, text } = await openAlarm(page);
    await area.fill(text.replace('< 80', '< 70'));
    await page.getByTestId('plan-edit').click();
    await page.getByTestId('plan-line').first().waitFor();

    // Someone else applies meanwhile (the severity), through the API.
    const set = await current();
    const files = toYaml(set.definitions).map((f) => (f.path === `alarms/${ALARM}.yaml` ? { ...f, text: f.text.replace('severity: critical', 'severity: warning') } : f));
    expect((await post('/api/v1/definitions/apply', { files, baseVersion: set.version })).status).toBe(200);

    await page.getByTestId('apply-edit').click();
    const stale = page.getByTestId('stale');
    await expect.poll(() => stale.textContent()).toContain(`Someone applied a newer version since you opened version ${loaded}: nothing was applied.`);
    expect(await page.getByTestId('apply-edit').isDisabled()).toBe(true);
    expect((await current()).version).toBe(loaded + 1);

    await page.getByTestId('reload-replan').click();
    await expect.poll(() => stale.count()).toBe(0);
    expect(await page.getByTestId('rebased').textContent()).toBe(`Your edit now sits on version ${loaded + 1}, with that version's other changes to alarms/${ALARM}.yaml.`);
    await expect.poll(() => page.getByTestId('apply-edit').textContent()).toBe(`Apply as version ${loaded + 2}`);
    await expect.poll(() => page.getByTestId('plan-line').count()).toBe(1);
    expect(await page.getByTestId('plan-line').textContent()).toContain('clear');
    await page.getByTestId('apply-edit').click();
    await expect.poll(() => page.getByTestId('edit-notice').textContent()).toContain(`Applied version ${loaded + 2}`);
    // Both changes stand: the edit was re-planned on top of the other apply, not over it.
    const alarm = (await current()).definitions.find((d) => d.name === ALARM) as { clear: string; severity: string };
    expect(alarm.clear).toBe('disk_usage{mount="/data"} < 70');
    expect(alarm.severity).toBe('warning');
    await page.close();
  }, 90_000);

  it('lets an operator back-test but not apply (nor plan a set with file content hidden from them), and a viewer none of it, each told why; the API refuses them too', async () => {
    const operatorToken = await token('operator', 'edit-operator');
    const operator = await signIn('/definitions', operatorToken);
    const { area, text } = await openAlarm(operator);
    await area.fill(text.replace('interval: 1s', 'interval: 2s'));
    await operator.getByTestId('backtest-edit').click();
    await operator.getByTestId('backtest-summary').waitFor();
    const admin = 'Applying definitions needs the admin role; you are an operator.';
    expect(await operator.getByTestId('apply-edit').isDisabled()).toBe(true);
    expect(await operator.getByTestId('apply-edit').getAttribute('title')).toBe(admin);
    // The lab pack's file app-logrotate has its content shown to admins only: the whole set cannot be planned by an operator.
    expect(await operator.getByTestId('plan-edit').isDisabled()).toBe(true);
    expect(await operator.getByTestId('apply-reason').textContent()).toBe(`The content of file app-logrotate is shown to admins only, so the set cannot be planned whole: plan with an admin token. ${admin}`);
    await operator.close({ runBeforeUnload: false });

    const viewerToken = await token('viewer', 'edit-viewer');
    const viewer = await signIn('/definitions', viewerToken);
    await openAlarm(viewer);
    expect(await viewer.getByTestId('plan-edit').isDisabled()).toBe(true);
    expect(await viewer.getByTestId('apply-edit').isDisabled()).toBe(true);
    expect(await viewer.getByTestId('backtest-edit').isDisabled()).toBe(true);
    expect(await viewer.getByTestId('apply-reason').textContent()).toBe('Planning needs the operator role; you are a viewer. Applying definitions needs the admin role; you are a viewer.');
    await viewer.close();

    const before = await alarmFire();
    const files = toYaml((await current()).definitions);
    const version = (await current()).version;
    for (const t of [operatorToken, viewerToken]) {
      const res = await post('/api/v1/definitions/apply', { files, baseVersion: version }, t);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('BW_ERR_FORBIDDEN');
    }
    expect(await alarmFire()).toEqual(before);
  }, 90_000);

  it('creates a new schedule from its template: planned as a create, applied', async () => {
    const page = await signIn('/definitions');
    await page.getByTestId('new-schedule').click();
    const area = page.getByTestId('definition-editor').getByLabel('schedule YAML');
    const template = await area.inputValue();
    expect(template).toContain('kind: schedule');
    await area.fill(template.replace('name: new-schedule', 'name: hourly-count'));
    await expect.poll(() => page.getByTestId('plan-edit').isEnabled()).toBe(true);
    await page.getByTestId('plan-edit').click();
    const line = page.getByTestId('plan-line');
    await line.first().waitFor();
    expect(await line.allTextContents()).toEqual(['+ schedule hourly-count']);
    expect(await line.getAttribute('data-op')).toBe('create');
    const version = (await current()).version;
    await page.getByTestId('apply-edit').click();
    await expect.poll(() => page.getByTestId('edit-notice').textContent()).toContain(`Applied version ${version + 1}`);
    const created = (await current()).definitions.find((d) => d.kind === 'schedule' && d.name === 'hourly-count');
    expect(created).toMatchObject({ run: 'host | count' });
    await page.locator('[data-testid="definition"][data-kind="schedule"][data-name="hourly-count"]').waitFor();
    await page.close();
  }, 60_000);

  it('warns before leaving unsaved edits: in-app navigation and the Back button ask (and stay when told to), and so does closing the tab', async () => {
    const page = await signIn('/fleet');
    await page.locator('nav.topbar').getByText('Definitions', { exact: true }).click();
    const { area } = await openAlarm(page);
    await area.click();
    await page.keyboard.press('End');
    await page.keyboard.type(' ');
    await page.getByTestId('unsaved').waitFor();

    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.locator('nav.topbar').getByText('Fleet', { exact: true }).click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toBe(`Leave without applying your edit of alarms/${ALARM}.yaml? It is not saved.`);
    expect(new URL(page.url()).pathname).toBe('/definitions');
    expect(await page.getByTestId('definition-editor').count()).toBe(1);

    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.goBack();
    await expect.poll(() => asked.length).toBe(2);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/definitions');
    expect(await page.getByTestId('definition-editor').count()).toBe(1);
    expect(await page.getByTestId('unsaved').count()).toBe(1);

    // Told to leave: asked once (not again by the shell on the way), and gone.
    const accept = (d: { message(): string; accept(): Promise<void> }) => {
      asked.push(d.message());
      void d.accept();
    };
    page.on('dialog', accept);
    await page.locator('nav.topbar').getByText('Fleet', { exact: true }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/fleet');
    await page.getByTestId('fleet-table').waitFor();
    expect(asked.length).toBe(3);
    page.off('dialog', accept);

    // Closing the tab with unsaved edits: the browser's own prompt.
    await page.locator('nav.topbar').getByText('Definitions', { exact: true }).click();
    await openAlarm(page);
    await page.getByTestId('definition-editor').getByLabel('alarm YAML').click();
    await page.keyboard.type('#');
    await page.getByTestId('unsaved').waitFor();
    const unload = new Promise<string>((resolve) => page.once('dialog', (d) => (resolve(d.type()), void d.accept())));
    await page.close({ runBeforeUnload: true });
    expect(await unload).toBe('beforeunload');
  }, 60_000);
});
