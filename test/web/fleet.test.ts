import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { stopChild } from '../../src/lab/index.js';
import { browserUnavailable, useWebLab } from './browser.js';

/*
 * Fleet and routing in a real browser against a real lab (four real agents, a real control plane
 * process): the table sorts by its headers and by a filter's sort stage; while the control plane is
 * down the rows are marked as last known and the page says it is retrying, then recovers by itself;
 * an unknown path says "page not found" under the URL typed; a viewer's Audit says which role it needs.
 */

const skip = browserUnavailable('web UI Fleet and routing browser tests (test/web/fleet)');

describe.skipIf(skip)('web UI: Fleet sorting, an unreachable control plane, routing', () => {
  const web = useWebLab({ lab: { hosts: 4 }, signInTimeoutMs: 30_000 }); // web-1, web-2, db-3, cache-4

  const signIn = (token: string, path: string): Promise<Page> => web.signIn(path, token);
  /** The host names in the table, top to bottom. */
  const hostOrder = (page: Page) => page.getByTestId('fleet-table').locator('.vtable-row strong').allTextContents();
  /** Fleet with every host's CPU shown. */
  const liveFleet = async (): Promise<Page> => {
    const page = await signIn(web.lab.token, '/fleet');
    await expect.poll(() => page.getByTestId('fleet-count').textContent(), { timeout: 30_000 }).toBe('4 of 4 hosts connected');
    await expect.poll(async () => (await page.getByTestId('fleet-table').locator('.metric-value').allTextContents()).filter((t) => t.endsWith('%')).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(12);
    return page;
  };
  const applyFilter = async (page: Page, filter: string) => {
    await page.getByLabel('filter').fill(filter);
    await page.getByRole('button', { name: 'Filter' }).click();
  };

  it('an unknown path says "page not found" under the URL typed, with links to the pages', async () => {
    const page = await signIn(web.lab.token, '/no-such-page');
    const notFound = page.getByTestId('not-found');
    expect(await notFound.textContent()).toContain('There is no page at /no-such-page');
    expect(new URL(page.url()).pathname).toBe('/no-such-page');
    expect(await page.getByTestId('fleet-table').count()).toBe(0);
    await notFound.getByRole('link', { name: 'Fleet' }).click();
    await page.getByTestId('fleet-table').waitFor();
    expect(new URL(page.url()).pathname).toBe('/fleet');
    await page.close();
  }, 60_000);

  it("a viewer opening Audit reads which role it needs, not the API's error", async () => {
    const { token } = await web.lab.api<{ token: string }>('/api/v1/tokens', { role: 'viewer', name: 'fleet-viewer' });
    const page = await signIn(token, '/audit');
    const refusal = page.getByTestId('audit-forbidden');
    expect(await refusal.textContent()).toBe('Your role (viewer) cannot see the audit log; ask an admin for a token with the operator role.');
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toContain('BW_ERR');
    expect(text).not.toContain('needs the operator role; token');
    expect(await page.getByTestId('audit-table').count()).toBe(0);
    await page.close();
  }, 60_000);

  it('column headers sort (arrow, aria-sort), and a filter with sort(…) or limit(…) orders and cuts the table', async () => {
    const page = await liveFleet();
    expect(await hostOrder(page)).toEqual(['cache-4', 'db-3', 'web-1', 'web-2']);
    const header = (name: string) => page.getByRole('columnheader').filter({ has: page.getByRole('button', { name: new RegExp(`^${name}`) }) });

    await header('host').getByRole('button').click();
    expect(await header('host').getAttribute('aria-sort')).toBe('ascending');
    expect(await header('host').textContent()).toBe('host ▲');
    await header('host').getByRole('button').click();
    expect(await header('host').getAttribute('aria-sort')).toBe('descending');
    expect(await hostOrder(page)).toEqual(['web-2', 'web-1', 'db-3', 'cache-4']);

    // CPU: numerically, highest first on the second click (read from one render: values change live).
    await header('CPU').getByRole('button').click();
    await header('CPU').getByRole('button').click();
    expect(await header('CPU').getAttribute('aria-sort')).toBe('descending');
    expect(await header('host').getAttribute('aria-sort')).toBe('none');
    const highestCpuFirst = async () => {
      const cpus = await page.getByTestId('fleet-table').locator('.vtable-row').evaluateAll((rows) => rows.map((r) => Number.parseFloat(r.querySelectorAll('.metric-value')[0]?.textContent ?? '')));
      expect(cpus.every((v) => Number.isFinite(v))).toBe(true);
      expect(cpus).toEqual([...cpus].sort((a, b) => b - a));
    };
    await highestCpuFirst();

    // The filter's own order takes over from the header.
    await applyFilter(page, 'sort(-name)');
    await expect.poll(() => hostOrder(page)).toEqual(['web-2', 'web-1', 'db-3', 'cache-4']);
    expect(await header('CPU').getAttribute('aria-sort')).toBe('none');
    // The answer's order, kept: CPU as sorted by the control plane, on the filter's metric stage.
    await applyFilter(page, 'sort(-cpu_usage)');
    await expect.poll(() => page.getByTestId('fleet-table').locator('.metric-value').first().textContent(), { timeout: 30_000 }).toMatch(/%$/);
    // The rows keep the answer's order while each host's value moves on with the live updates, so a
    // render may lag one answer: wait for one whose values are in the answer's order.
    await expect
      .poll(async () => {
        const cpus = await page.getByTestId('fleet-table').locator('.vtable-row').evaluateAll((rows) => rows.map((r) => Number.parseFloat(r.querySelectorAll('.metric-value')[0]?.textContent ?? '')));
        return cpus.length === 4 && cpus.every((v, i) => i === 0 || v <= (cpus[i - 1] as number));
      }, { timeout: 15_000 })
      .toBe(true);
    await applyFilter(page, 'sort(name) | limit(2)');
    await expect.poll(() => hostOrder(page)).toEqual(['cache-4', 'db-3']);
    await page.close();
  }, 90_000);

  it('while the control plane is down, a new filter leaves the rows marked as last known and says it is retrying; it recovers by itself', async () => {
    const page = await liveFleet();
    const rows = page.getByTestId('fleet-rows');
    expect(await rows.getAttribute('data-stale')).toBe('no');

    await stopChild(web.lab.serverProcess);
    await applyFilter(page, 'role = "web"');
    const offline = page.getByTestId('fleet-offline');
    await expect.poll(() => offline.textContent(), { timeout: 20_000 }).toMatch(new RegExp(`^Cannot reach the control plane at ${web.lab.server} — retrying\\. The rows below are the last known state, from \\d\\d:\\d\\d:\\d\\d\\.$`));
    expect(await page.getByText('Failed to fetch').count()).toBe(0);
    expect(await page.locator('.error-box').count()).toBe(0);
    expect(await page.getByTestId('fleet-count').textContent()).toMatch(/^4 of 4 hosts connected as of \d\d:\d\d:\d\d$/);
    expect(await rows.getAttribute('data-stale')).toBe('yes');
    const statuses = await page.getByTestId('fleet-table').locator('.status').allTextContents();
    expect(statuses).toHaveLength(4);
    for (const s of statuses) expect(s).toMatch(/^◌ as of \d\d:\d\d:\d\d$/);

    await web.lab.restartServer();
    await web.lab.waitConnected();
    await expect.poll(() => offline.count(), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => rows.getAttribute('data-stale'), { timeout: 30_000 }).toBe('no');
    await expect.poll(() => page.getByTestId('fleet-count').textContent(), { timeout: 30_000 }).toBe('4 of 4 hosts connected');
    await expect.poll(() => hostOrder(page), { timeout: 30_000 }).toEqual(['web-1', 'web-2']);
    await expect.poll(() => page.getByTestId('fleet-table').locator('.status').allTextContents(), { timeout: 30_000 }).toEqual(['● connected', '● connected']);
    await page.close();
  }, 150_000);
});
