import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACK } from '../scenarios/scenario-helpers.js';
import { browserUnavailable, packFiles, useWebLab } from './browser.js';

/*
 * Header sorting on every list page, in a real browser against a real lab of 4 hosts with the lab
 * pack applied (and a second schedule): Runs, Audit, the Events timeline, Automation's bots and
 * schedules, and Admin's tokens and agents. Each is sorted by a column, then reversed, and the
 * order of the values read from the page is checked, with the arrow and aria-sort; Runs keeps its
 * sort in the URL, and the paged lists say in the header's title that they sort the rows shown.
 */

const skip = browserUnavailable('web UI sortable tables browser tests (test/web/sortable-tables)');

/** Text in natural order (`web-2` before `web-10`), as the page sorts it. */
const natural = new Intl.Collator('en', { numeric: true });
const ascending = (values: readonly string[]) => [...values].sort(natural.compare);
const descending = (values: readonly string[]) => [...values].sort((a, b) => natural.compare(b, a));
const numbersAscending = (values: readonly number[]) => [...values].sort((a, b) => a - b);

const EXTRA_SCHEDULE = `kind: schedule
name: a-hourly-report
description: A second schedule, so that the table has an order to change.
every: 1h
enabled: false
run: host | disk_report()
`;

describe.skipIf(skip)('web UI: sortable tables', () => {
  const web = useWebLab({
    lab: { hosts: 4, maxTargets: 100, appPortBase: 29080 }, // web-1, web-2, db-3, cache-4
    definitions: async () => [...(await packFiles(PACK)), { path: 'extra-schedule.yaml', text: EXTRA_SCHEDULE }],
    signInTimeoutMs: 20_000,
  });

  beforeAll(async () => {
    for (const [role, name] of [['viewer', 'zed-viewer'], ['operator', 'ann-operator'], ['viewer', 'bob-10'], ['viewer', 'bob-9']] as const) {
      await web.lab.api('/api/v1/tokens', { role, name });
    }
    // Runs on 4, 1 and 2 hosts (and the audit entries and events they leave).
    for (const statement of ['host | `true`', 'host | name = "db-3" | `true`', 'host | role = "web" | `exit 2`']) {
      const res = await web.lab.fetch('/api/v1/query', { method: 'POST', headers: { authorization: `Bearer ${web.lab.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ statement, yes: true }) });
      await res.text();
    }
  }, 60_000);

  const signIn = (path: string): Promise<Page> => web.signIn(path);
  const attrs = (rows: Locator, name: string) => rows.evaluateAll((els, n) => els.map((e) => e.getAttribute(n) ?? ''), name);
  const header = (table: Locator, label: string) => table.locator('th').filter({ has: table.page().getByRole('button', { name: label, exact: false }) }).first();

  /**
   * Clicks `label`'s header in `table` twice and expects the values `read` gives to be in
   * `asc`'s order, then the reverse, with the arrow and aria-sort on that header.
   */
  async function sortsBy(table: Locator, label: string, read: () => Promise<string[]>, order: { asc: (v: string[]) => string[]; desc: (v: string[]) => string[] }) {
    const th = header(table, label);
    const before = await read();
    expect(new Set(before).size, `${label}: different values to sort`).toBeGreaterThan(1);
    expect(await th.getAttribute('aria-sort')).toBe('none');
    await th.getByRole('button').click();
    await expect.poll(read).toEqual(order.asc(before));
    expect(await th.getAttribute('aria-sort')).toBe('ascending');
    expect(await th.textContent()).toContain('▲');
    await th.getByRole('button').click();
    await expect.poll(read).toEqual(order.desc(before));
    expect(await th.getAttribute('aria-sort')).toBe('descending');
    expect(await th.textContent()).toContain('▼');
  }
  const byName = { asc: ascending, desc: descending };

  /** Opens `path` signed in, and waits for `tableId`'s table to list at least `min` rows of `rowId`. */
  async function openTable(path: string, tableId: string, rowId: string, min: number) {
    const page = await signIn(path);
    const table = page.getByTestId(tableId);
    const rows = table.getByTestId(rowId);
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(min);
    return { page, table, rows };
  }

  it('Runs: sorts by targets and by status, keeps the sort in the URL, and says it sorts the page shown', async () => {
    const { page, table, rows } = await openTable('/runs', 'runs-table', 'run-row', 3);
    const targets = async () => (await rows.locator('td:nth-child(6)').allTextContents()).map(Number);
    const numbers = { asc: (v: string[]) => numbersAscending(v.map(Number)).map(String), desc: (v: string[]) => numbersAscending(v.map(Number)).reverse().map(String) };
    await sortsBy(table, 'Targets', async () => (await targets()).map(String), numbers);
    expect(new URL(page.url()).searchParams.get('sort')).toBe('-targets');
    expect(await header(table, 'Targets').getByRole('button').getAttribute('title')).toMatch(/rows shown.*page at a time, newest first/);

    // A link with the sort opens the same order; a filter change keeps it.
    const again = await signIn('/runs?sort=targets');
    const againRows = again.getByTestId('runs-table').getByTestId('run-row');
    await expect.poll(() => againRows.count()).toBeGreaterThanOrEqual(3);
    const shown = (await againRows.locator('td:nth-child(6)').allTextContents()).map(Number);
    expect(shown).toEqual(numbersAscending(shown));
    await again.getByTestId('runs-filter-status').selectOption('failed');
    await expect.poll(() => new URL(again.url()).search).toBe('?status=failed&sort=targets');

    await page.goto(`${web.lab.server}/runs`);
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(3);
    await sortsBy(table, 'Status', () => attrs(rows, 'data-status'), byName);
    for (const p of web.browser.context.pages()) await p.close();
  }, 90_000);

  it('Audit: sorts by action', async () => {
    const { page, table, rows } = await openTable('/audit', 'audit-table', 'audit-row', 4);
    await sortsBy(table, 'Action', () => attrs(rows, 'data-action'), byName);
    expect(await header(table, 'When').getByRole('button').getAttribute('title')).toMatch(/rows shown/);
    await page.close();
  }, 60_000);

  it('Events: sorts the timeline by type, and by host with events of no host last either way', async () => {
    const { page, table, rows } = await openTable('/events', 'timeline', 'event', 4);
    await sortsBy(table, 'Type', () => attrs(rows, 'data-type'), byName);
    const noneLast = (sort: (v: string[]) => string[]) => (v: string[]) => [...sort(v.filter(Boolean)), ...v.filter((x) => !x)];
    const hosts = await attrs(rows, 'data-host');
    expect(hosts.some((h) => h === '') && hosts.some((h) => h !== '')).toBe(true); // definitions_applied has no host
    await sortsBy(table, 'Host', () => attrs(rows, 'data-host'), { asc: noneLast(ascending), desc: noneLast(descending) });
    await page.close();
  }, 60_000);

  it('Automation: sorts bots by name and schedules by name', async () => {
    const page = await signIn('/automation');
    const bots = page.getByTestId('bots');
    await expect.poll(() => bots.getByTestId('bot-row').count()).toBeGreaterThan(3);
    await sortsBy(bots, 'Bot', () => attrs(bots.getByTestId('bot-row'), 'data-name'), byName);
    const schedules = page.getByTestId('schedules');
    await sortsBy(schedules, 'Schedule', () => attrs(schedules.getByTestId('schedule-row'), 'data-name'), byName);
    await page.close();
  }, 60_000);

  it('Admin: sorts tokens and agents by name', async () => {
    const { page, table: tokens, rows: tokenRows } = await openTable('/admin#tokens', 'tokens-table', 'token-row', 4);
    await sortsBy(tokens, 'Name', () => attrs(tokenRows, 'data-name'), byName);
    expect(await header(tokens, 'Name').getByRole('button').getAttribute('title')).not.toMatch(/rows shown/);

    await page.goto(`${web.lab.server}/admin#agents`);
    const agents = page.getByTestId('agents-table');
    const agentRows = agents.getByTestId('agent-row');
    await expect.poll(() => agentRows.count()).toBe(4);
    await sortsBy(agents, 'Name', () => attrs(agentRows, 'data-name'), byName);
    await page.close();
  }, 60_000);
});
