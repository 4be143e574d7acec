import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { LabHost } from '../../src/lab/index.js';
import { PACK, events, waitFor } from '../scenarios/scenario-helpers.js';
import type { RunRow } from '../scenarios/scenario-helpers.js';
import { browserUnavailable, packFiles, useWebLab } from './browser.js';

/*
 * The Alarms & events and Audit pages in a real browser against a real lab (apps on, the S1 pack
 * applied, plus a bot that waits for approval and alarms with runbooks): alarms fire and clear live
 * over the event stream, a firing alarm opens its runbook for its host, a pending run is approved
 * with a click and runs, and the audit log exports as CSV.
 */

const skip = browserUnavailable('web UI events/audit browser tests (test/web)');

/** A bot that asks before it runs, on an alarm the test triggers by creating run/ask (shared with the safety scenario and the screenshots). */
const APPROVAL_DEFINITIONS = readFileSync(new URL('../fixtures/approval-bot.yaml', import.meta.url), 'utf8');

/** Two alarms the test fires by creating a file: one names a runbook of the control plane, one a URL. */
const RUNBOOK_DEFINITIONS = `kind: alarm
name: needs-a-look
query: host
fire: ok(\`test -e "$HOST_ROOT/run/look"\`)
runbook: inspect-host
---
kind: alarm
name: needs-a-look-wiki
query: host
fire: ok(\`test -e "$HOST_ROOT/run/look"\`)
runbook: https://wiki.example.com/needs-a-look
`;

describe.skipIf(skip)('web UI: alarms & events, audit', () => {
  const web = useWebLab({
    lab: { hosts: 4, apps: true, appPortBase: 28380 }, // web-1, web-2, db-3, cache-4
    definitions: async () => [...(await packFiles(PACK)), { path: 'approval.yaml', text: APPROVAL_DEFINITIONS }, { path: 'runbook.yaml', text: RUNBOOK_DEFINITIONS }],
    viewer: 'events-viewer',
    signInTimeoutMs: 20_000,
  });
  const host = (name: string): LabHost => web.host(name);

  const signIn = (token: string, path: string): Promise<Page> => web.signIn(path, token);

  /** The Alarms & events page signed in as admin, once its event stream is live. */
  const liveEvents = async (): Promise<Page> => {
    const page = await signIn(web.lab.token, '/events');
    await page.locator('[data-testid="live"][data-live="yes"]').waitFor();
    return page;
  };
  /** Creates the run/ file `file` an alarm watches, runs `body`, then removes the file and closes `page` (if given), whatever happened. */
  const withFault = async (file: string, body: () => Promise<void>, page?: Page): Promise<void> => {
    await writeFile(file, 'please\n');
    try {
      await body();
    } finally {
      await rm(file, { force: true });
      await page?.close();
    }
  };

  // Scripts run in the page (strings: this test's TypeScript has no DOM types).
  /** Marks the document: if the page reloads, the mark is gone. */
  const markNoReload = (page: Page) => page.evaluate('window.bwMark = 42');
  const stillNoReload = async (page: Page) => expect(await page.evaluate('window.bwMark')).toBe(42);

  // Each test sets up its own state: these make what an earlier test would have left, when it did not.
  /** data-disk-full has fired and cleared on web-1 at least once (the first test does so live). */
  const ensureDiskAlarmCycle = async () => {
    const cleared = () => events(web.lab, { type: 'alarm_cleared', alarm: 'data-disk-full', host: 'web-1' });
    if ((await cleared()).length) return;
    await web.lab.fillDisk(host('web-1'), 95);
    await waitFor('data-disk-full to fire and clear on web-1', async () => (await cleared()).length > 0, 30_000);
  };
  /** A run of ask-first on web-2 approved by admin (the approval test approves one in the UI). */
  const ensureApprovedRun = async () => {
    const approvedRun = async () => (await web.lab.api<RunRow[]>('/api/v1/runs?limit=50')).find((r) => r.principal === 'admin (approving bot:ask-first)');
    if (await approvedRun()) return;
    const ask = join(host('web-2').dir, 'run', 'ask');
    await withFault(ask, async () => {
      const pending = await waitFor('ask-first to ask for approval', async () => (await web.lab.api<{ id: string; bot: string }[]>('/api/v1/approvals?status=pending')).find((a) => a.bot === 'ask-first'), 30_000);
      await web.lab.api(`/api/v1/approvals/${pending.id}/approve`, {});
      await waitFor('the approved run', approvedRun, 20_000);
    });
  };

  it('shows data-disk-full fire and clear on a web host live: the timeline and the alarm state (firing -> ok), no reload', async () => {
    const page = await liveEvents();
    await markNoReload(page);
    // Record every state the alarm row shows, however briefly (the bot cleans /data within seconds).
    await page.evaluate(`{
      const seen = (window.bwStates = []);
      setInterval(() => {
        const s = document.querySelector('[data-testid="alarm-row"][data-alarm="data-disk-full"][data-host="web-1"]')?.getAttribute('data-state');
        if (s && seen.at(-1) !== s) seen.push(s);
      }, 25);
    }`);

    await web.lab.fillDisk(host('web-1'), 95);
    const timeline = page.getByTestId('timeline');
    await timeline.locator('[data-testid="event"][data-type="alarm_fired"][data-alarm="data-disk-full"][data-host="web-1"]').waitFor();
    await timeline.locator('[data-testid="event"][data-type="bot_ran"][data-bot="clean-data-logs"][data-host="web-1"]').waitFor({ timeout: 30_000 });
    await timeline.locator('[data-testid="event"][data-type="alarm_cleared"][data-alarm="data-disk-full"][data-host="web-1"]').waitFor({ timeout: 30_000 });
    const row = page.locator('[data-testid="alarm-row"][data-alarm="data-disk-full"][data-host="web-1"]');
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('ok');
    expect(await page.evaluate('window.bwStates')).toEqual(['firing', 'ok']);
    // Newest first: the clear is above the fire.
    const types = await timeline.locator('[data-testid="event"][data-alarm="data-disk-full"][data-host="web-1"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
    expect(types.indexOf('alarm_cleared')).toBeLessThan(types.indexOf('alarm_fired'));

    // Filters narrow the timeline (and live events keep to them).
    await page.getByTestId('filter-type').selectOption('alarm_cleared');
    await expect.poll(async () => new Set(await timeline.locator('[data-testid="event"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')))), { timeout: 10_000 }).toEqual(new Set(['alarm_cleared']));
    await stillNoReload(page);
    await page.close();
  }, 90_000);

  it('"Open runbook" on a firing alarm opens its runbook for the firing host without a reload; a URL runbook opens in a new tab', async () => {
    await ensureDiskAlarmCycle();
    await web.lab.api('/api/v1/runbooks', { name: 'inspect-host', params: ['host', 'alarm'], cells: [{ kind: 'pipeline', text: 'host | name = $host | `echo looked`' }] });
    const look = join(host('db-3').dir, 'run', 'look');
    const page = await liveEvents();
    await markNoReload(page);
    await withFault(look, async () => {
      const row = page.locator('[data-testid="alarm-row"][data-alarm="needs-a-look"][data-host="db-3"][data-state="firing"]');
      await row.waitFor({ timeout: 30_000 });
      // The fired event in the timeline links to the runbook too; alarms without one have no link
      // (of the lab pack's, only data-disk-full names a runbook).
      await page.getByTestId('timeline').locator('[data-testid="event"][data-type="alarm_fired"][data-alarm="needs-a-look"][data-host="db-3"]').getByTestId('open-runbook').waitFor();
      expect(await page.locator('[data-testid="alarm-row"]:not([data-alarm^="needs-a-look"]):not([data-alarm="data-disk-full"]) [data-testid="open-runbook"]').count()).toBe(0);
      expect(await page.locator('[data-testid="alarm-row"][data-alarm="data-disk-full"][data-host="web-1"] [data-testid="open-runbook"]').getAttribute('href')).toMatch(/^\/runbooks\?runbook=disk-full&.*host=web-1/);
      const wiki = page.locator('[data-testid="alarm-row"][data-alarm="needs-a-look-wiki"][data-host="db-3"]').getByTestId('open-runbook');
      await wiki.waitFor();
      expect(await wiki.getAttribute('href')).toBe('https://wiki.example.com/needs-a-look');
      expect(await wiki.getAttribute('target')).toBe('_blank');

      await row.getByTestId('open-runbook').click();
      await expect.poll(() => page.getByTestId('runbook-name').inputValue()).toBe('inspect-host');
      expect(new URL(page.url()).pathname).toBe('/runbooks');
      expect(await page.getByTestId('param-host').inputValue()).toBe('db-3');
      expect(await page.getByTestId('param-alarm').inputValue()).toBe('needs-a-look');
      await stillNoReload(page);
      // It runs on the host the alarm fired on.
      await page.getByTestId('run-all').click();
      const group = page.getByTestId('output-group');
      await group.first().waitFor();
      expect(await group.textContent()).toContain('db-3');
      expect(await group.textContent()).toContain('looked');
      await stillNoReload(page);
    }, page);
  }, 90_000);

  it('lists a run waiting for approval (no buttons for a viewer); Approve runs it and shows the approved event', async () => {
    const web2 = host('web-2');
    const ask = join(web2.dir, 'run', 'ask');
    const ran = join(web2.dir, 'run', 'approved-ran');
    const page = await liveEvents();
    await markNoReload(page);
    await withFault(ask, async () => {
      const pending = page.locator('[data-testid="approval"][data-bot="ask-first"]');
      await pending.waitFor({ timeout: 30_000 });
      expect(await pending.textContent()).toContain('web-2');
      expect(await page.getByTestId('timeline').locator('[data-testid="event"][data-type="approval_requested"][data-bot="ask-first"]').count()).toBeGreaterThan(0);

      // A viewer sees the pending run but cannot decide it.
      const viewer = await signIn(web.viewerToken, '/events');
      await viewer.locator('[data-testid="approval"][data-bot="ask-first"]').waitFor();
      expect(await viewer.getByTestId('approve').count()).toBe(0);
      expect(await viewer.getByTestId('deny').count()).toBe(0);
      await viewer.close();

      expect(existsSync(ran)).toBe(false);
      await pending.getByTestId('approve').click();
      await page.getByTestId('timeline').locator('[data-testid="event"][data-type="approved"][data-bot="ask-first"][data-host="web-2"]').waitFor();
      await pending.waitFor({ state: 'detached' });
      // The bot's action ran: its effect on disk and a run record under the approver's name.
      await waitFor('the approved action to write its marker', () => existsSync(ran), 20_000);
      expect((await readFile(ran, 'utf8')).trim()).toBe('web-2');
      const runs = await web.lab.api<RunRow[]>('/api/v1/runs?limit=50');
      expect(runs.find((r) => r.statement.includes('mark_approved'))).toMatchObject({ principal: 'admin (approving bot:ask-first)', status: 'succeeded', targets: 1 });
      await stillNoReload(page);
    }, page);
  }, 90_000);

  it('Deny on a waiting run: it never runs, the timeline shows who denied it, and the Audit page lists the denial', async () => {
    const cache4 = host('cache-4');
    const ask = join(cache4.dir, 'run', 'ask');
    const page = await liveEvents();
    await withFault(ask, async () => {
      const approval = await waitFor('an approval request from cache-4', async () => (await web.lab.api<{ id: string; host: string; status: string }[]>('/api/v1/approvals')).find((a) => a.host === 'cache-4' && a.status === 'pending'), 30_000);
      const pending = page.locator(`[data-testid="approval"][data-id="${approval.id}"]`);
      await pending.waitFor();
      await pending.getByTestId('deny').click();
      const denied = page.getByTestId('timeline').locator('[data-testid="event"][data-type="denied"][data-bot="ask-first"][data-host="cache-4"]');
      await denied.waitFor();
      expect(await denied.textContent()).toContain('admin denied bot ask-first');
      await pending.waitFor({ state: 'detached' });
      expect((await web.lab.api<{ id: string; status: string; decidedBy: string | null }[]>('/api/v1/approvals')).find((a) => a.id === approval.id)).toMatchObject({ status: 'denied', decidedBy: 'admin' });
      // Nothing ran on cache-4: no run record and no marker.
      expect((await web.lab.api<RunRow[]>('/api/v1/runs?limit=100')).filter((r) => r.statement.includes('"cache-4"'))).toEqual([]);
      expect(existsSync(join(cache4.dir, 'run', 'approved-ran'))).toBe(false);

      const audit = await signIn(web.lab.token, '/audit');
      await audit.getByTestId('filter-action').fill('approval.deny');
      await audit.getByRole('button', { name: 'Filter' }).click();
      const row = audit.getByTestId('audit-table').locator('[data-testid="audit-row"][data-action="approval.deny"]');
      await row.first().waitFor();
      expect(await row.first().textContent()).toContain('admin');
      await audit.close();
    }, page);
  }, 90_000);

  it('the Audit page lists runs, filters by action, and exports a CSV with a header row', async () => {
    await ensureApprovedRun();
    const page = await signIn(web.lab.token, '/audit');
    const table = page.getByTestId('audit-table');
    await table.locator('[data-testid="audit-row"][data-action="run"]').first().waitFor();
    expect(await table.textContent()).toContain('admin (approving bot:ask-first)');
    await page.getByTestId('filter-action').fill('run');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => new Set(await table.locator('[data-testid="audit-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')))), { timeout: 10_000 }).toEqual(new Set(['run']));

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/^breakwater-audit-.*\.csv$/);
    const path = await download.path();
    const csv = await readFile(path, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('time,principal,action,target,where,outcome,run_id,detail');
    expect(lines.length).toBeGreaterThan(1);
    expect(csv).toContain('admin (approving bot:ask-first),run,');
    // The statement has quotes: the field is quoted with the quotes doubled.
    expect(csv).toMatch(/"host \| name = ""web-2"" \| mark_approved\(\)"/);
    await page.close();
  }, 60_000);
});
