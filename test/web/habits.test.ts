import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Browser } from './browser.js';
import { browserUnavailable, launchBrowser, useWebLab } from './browser.js';

/*
 * Habits of an operational UI, in a real browser against a real lab (four real agents, a real
 * control plane): the view in the URL (a link opens the same view; Back restores the filter),
 * sign-in shared by the tabs of one browser session and not beyond it, keyboard shortcuts and
 * keyboard-reachable rows, the light/dark preference, 768 px wide screens (and the top bar at 1,024 px), a sorted Fleet that
 * stays sorted as values move live, and a compare chart of several hosts.
 */

const skip = browserUnavailable('web UI habits browser tests (test/web/habits)');

describe.skipIf(skip)('web UI habits', () => {
  const web = useWebLab({ lab: { hosts: 4 } }); // web-1, web-2, db-3, cache-4

  /**
   * Opens `path` in a new tab of the browser, signing in with the lab's token unless another open
   * tab of the session already handed its token over.
   */
  const open = async (path: string, b: Browser = web.browser): Promise<Page> => {
    const page = await b.context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${web.lab.server}${path}`);
    await page.getByTestId('whoami').or(page.getByTestId('token')).first().waitFor();
    if (await page.getByTestId('token').isVisible()) {
      await page.getByTestId('token').fill(web.lab.token);
      await page.getByTestId('login').click();
      await page.getByTestId('whoami').waitFor();
    }
    return page;
  };
  const closeAll = async () => {
    for (const p of web.browser.context.pages()) await p.close();
  };
  const hostOrder = (page: Page) => page.getByTestId('fleet-table').locator('.vtable-row strong').allTextContents();
  const cpus = (page: Page) => page.getByTestId('fleet-table').locator('.vtable-row').evaluateAll((rows) => rows.map((r) => Number.parseFloat(r.querySelectorAll('.metric-value')[0]?.textContent ?? '')));
  const everyCpuShown = async (page: Page) => {
    await expect.poll(async () => (await cpus(page)).filter((v) => Number.isFinite(v)).length, { timeout: 30_000 }).toBe(4);
  };
  /** The host name in the focused row. */
  const focusedHost = (page: Page) => page.evaluate("document.activeElement?.querySelector('strong')?.textContent");
  const search = (page: Page) => Object.fromEntries(new URL(page.url()).searchParams);

  it('a Fleet link with filter, host and range opens the same view in a new tab; Back restores the previous filter', async () => {
    const first = await open('/fleet');
    await first.getByTestId('fleet-table').waitFor();
    const view = '/fleet?q=role+%3D+%22web%22&host=web-1&range=15m';
    const page = await open(view);
    expect(await page.getByTestId('token').count()).toBe(0); // signed in by the open tab
    await expect.poll(() => hostOrder(page)).toEqual(['web-1', 'web-2']);
    expect(await page.getByLabel('filter').inputValue()).toBe('role = "web"');
    await expect.poll(() => page.getByTestId('host-detail').locator('h2').textContent()).toBe('web-1');
    expect(await page.getByTestId('host-detail').getByRole('button', { name: '15m' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('host-detail').getByTestId('chart').waitFor();

    // Enter applies a one-line filter: a new step in the history.
    await page.getByLabel('filter').fill('role = "db"');
    await page.getByLabel('filter').press('Escape'); // closes a completion list, if one opened
    await page.getByLabel('filter').press('Enter');
    await expect.poll(() => hostOrder(page)).toEqual(['db-3']);
    expect(search(page)).toEqual({ q: 'role = "db"', host: 'web-1', range: '15m' });

    await page.goBack();
    await expect.poll(() => hostOrder(page)).toEqual(['web-1', 'web-2']);
    expect(await page.getByLabel('filter').inputValue()).toBe('role = "web"');
    await page.goForward();
    await expect.poll(() => page.getByLabel('filter').inputValue()).toBe('role = "db"');

    // The range picker writes the URL; a custom range too.
    await page.getByTestId('host-detail').getByRole('button', { name: '5m', exact: true }).click();
    expect(search(page).range).toBe('5m');
    await page.getByTestId('host-detail').getByLabel('custom range').fill('90m');
    await page.getByTestId('host-detail').getByLabel('custom range').press('Enter');
    expect(search(page).range).toBe('90m');
    await expect.poll(() => page.getByTestId('host-detail').textContent()).toContain('last 90m, live');

    // The Console's statement is in its URL.
    const consolePage = await open(`/console?q=${encodeURIComponent('host | role = "db" | count')}`);
    expect(await consolePage.getByLabel('pipeline').inputValue()).toBe('host | role = "db" | count');
    await consolePage.getByLabel('pipeline').fill('host | count');
    await expect.poll(() => search(consolePage).q).toBe('host | count');
    expect(web.browser.cspViolations).toEqual([]);
    await closeAll();
  }, 120_000);

  it('a second tab of the same browser session is signed in; another browser is not; signing out signs out every tab', async () => {
    const a = await open('/fleet');
    const b = await open('/events');
    expect(await b.getByTestId('whoami').textContent()).toContain('admin');
    expect(await b.getByTestId('token').count()).toBe(0);
    // Never written where it outlives the session.
    expect(await b.evaluate("Object.keys(localStorage).filter((k) => localStorage.getItem(k)?.startsWith('bwt_'))")).toEqual([]);

    const other = await launchBrowser({ trust: web.lab.server });
    try {
      const stranger = await other.context.newPage();
      await stranger.goto(`${web.lab.server}/fleet`);
      await stranger.getByTestId('token').waitFor();
      expect(await stranger.getByTestId('whoami').count()).toBe(0);
    } finally {
      await other.close();
    }

    await a.getByRole('button', { name: 'Sign out' }).click();
    await a.getByTestId('token').waitFor();
    await b.getByTestId('token').waitFor({ timeout: 5000 });
    expect(await b.evaluate("sessionStorage.getItem('breakwater.token')")).toBeNull();
    await closeAll();
  }, 90_000);

  it('keyboard: / focuses the filter, ? shows the shortcuts, Esc closes; arrows move between rows and Enter opens a host', async () => {
    const page = await open('/fleet');
    await expect.poll(() => hostOrder(page)).toEqual(['cache-4', 'db-3', 'web-1', 'web-2']);
    await page.locator('h1').click(); // focus on the page, not in a field
    await page.keyboard.press('/');
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe('filter');
    expect(await page.getByLabel('filter').inputValue()).toBe(''); // the key did not type itself

    await page.locator('h1').click();
    await page.keyboard.press('?');
    const help = page.getByTestId('shortcuts-help');
    await help.waitFor();
    expect(await help.textContent()).toContain("focus the page's filter");
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });

    const rows = page.getByTestId('fleet-table').locator('.vtable-row');
    expect(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('tabindex')))).toEqual(['0', '-1', '-1', '-1']);
    await rows.first().focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await focusedHost(page)).toBe('web-1');
    await page.keyboard.press('ArrowUp');
    expect(await focusedHost(page)).toBe('db-3');
    await page.keyboard.press('End');
    expect(await focusedHost(page)).toBe('web-2');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('host-detail').locator('h2').textContent()).toBe('web-2');
    expect(search(page).host).toBe('web-2');

    // Esc closes the panel opened last: the help over the host, then the host.
    await page.keyboard.press('?');
    await help.waitFor();
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    expect(await page.getByTestId('host-detail').count()).toBe(1);
    await page.keyboard.press('Escape');
    await page.getByTestId('host-detail').waitFor({ state: 'detached' });
    expect(search(page).host).toBeUndefined();
    await closeAll();
  }, 90_000);

  it('honours the light/dark preference', async () => {
    const page = await open('/fleet');
    const background = () => page.evaluate('getComputedStyle(document.documentElement).backgroundColor');
    const text = () => page.evaluate("getComputedStyle(document.querySelector('main')).color");
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe('rgb(15, 20, 25)');
    expect(await text()).toBe('rgb(215, 221, 230)');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe('rgb(246, 248, 250)');
    expect(await text()).toBe('rgb(31, 35, 40)');
    await closeAll();
  }, 60_000);

  it('at 768 px the nav folds into a menu and nothing overflows the screen sideways except scrollable tables, on every page', async () => {
    const page = await open('/fleet?host=web-1&compare=web-1,db-3');
    await page.setViewportSize({ width: 768, height: 1000 });
    /** Elements reaching past the right edge that are not inside a box that scrolls sideways (and itself fits). */
    const overflowing = () =>
      page.evaluate<{ out: string[]; scrollWidth: number; width: number }>(`(() => {
        const width = document.documentElement.clientWidth;
        const scrollsSideways = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX) && el.getBoundingClientRect().right <= width + 0.5;
        const out = [];
        for (const el of document.querySelectorAll('body *')) {
          const r = el.getBoundingClientRect();
          if (r.width === 0 || r.right <= width + 0.5) continue;
          let a = el.parentElement;
          while (a && !scrollsSideways(a)) a = a.parentElement;
          if (!a) out.push(el.tagName.toLowerCase() + '.' + el.className + ' right ' + Math.round(r.right));
        }
        return { out: out.slice(0, 5), scrollWidth: document.documentElement.scrollWidth, width };
      })()`);
    await page.getByTestId('compare').getByTestId('chart').waitFor();
    expect(await page.locator('.nav-links').isVisible()).toBe(false);
    await page.locator('.nav-toggle').click();
    expect(await page.locator('.nav-links').isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.locator('.nav-links').isVisible()).toBe(false);
    // The table's columns are kept readable: it scrolls within its box.
    const table = page.getByTestId('fleet-table');
    expect(await table.evaluate((t) => t.scrollWidth > t.clientWidth)).toBe(true);
    expect(await overflowing()).toEqual({ out: [], scrollWidth: 768, width: 768 });

    for (const path of ['/console', '/events', '/audit', '/runbooks', '/definitions']) {
      await page.locator('.nav-toggle').click();
      await page.locator('.nav-links').getByRole('link').and(page.locator(`[href="${path}"]`)).click();
      await expect.poll(() => new URL(page.url()).pathname).toBe(path);
      await page.locator('main h1').first().waitFor();
      await page.waitForTimeout(500); // the page's first answers
      expect({ path, ...(await overflowing()) }).toEqual({ path, out: [], scrollWidth: 768, width: 768 });
    }
    await closeAll();
  }, 90_000);

  it('at 1,024 and 1,280 px the eleven page links stay on one row of the top bar, apart, and the bar overlaps neither itself nor the page', async () => {
    const page = await open('/fleet');
    await page.getByTestId('fleet-table').waitFor();
    for (const width of [1024, 1280]) {
      await page.setViewportSize({ width, height: 800 });
      const bar = await page.evaluate<{ links: number[][]; items: number[][]; bar: number[]; mainTop: number; scrollWidth: number }>(`(() => {
        const box = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
        const bar = document.querySelector('.topbar');
        const items = [...bar.children].filter((e) => getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0);
        return { links: [...document.querySelectorAll('.nav-links a')].map(box), items: items.map(box), bar: box(bar), mainTop: document.querySelector('main').getBoundingClientRect().top, scrollWidth: document.documentElement.scrollWidth };
      })()`);
      expect(bar.links.length).toBe(11);
      expect(new Set(bar.links.map((l) => l[1])).size, `${width}: links on one row`).toBe(1);
      // Each link, and each item of the bar (brand, links, help, who, sign out), ends before the next begins.
      for (const list of [bar.links, bar.items]) list.slice(1).forEach((b, i) => expect(b[0], `${width}: item ${i + 1} after item ${i}`).toBeGreaterThan((list[i] as number[])[2] as number));
      expect(Math.max(...bar.items.map((b) => b[2] as number)), `${width}: inside the bar`).toBeLessThanOrEqual(width);
      expect(bar.bar[3] as number, `${width}: one row`).toBeLessThan(60);
      expect(bar.mainTop).toBeGreaterThanOrEqual(bar.bar[3] as number);
      expect(bar.scrollWidth).toBe(width);
    }
    await closeAll();
  }, 60_000);

  it('a sorted Fleet stays sorted across live updates, and holds still while the pointer is over its rows', async () => {
    const page = await open('/fleet?sort=-cpu');
    await everyCpuShown(page);
    await page.mouse.move(5, 5);
    // Highest first, and a host without a value this round (`-`: it missed the live answer's deadline) after every host with one.
    const highestFirst = (values: number[]) => {
      const known = values.filter((v) => Number.isFinite(v));
      return values.length === 4 && values.slice(0, known.length).every((v, i) => v === known[i]) && known.every((v, i) => i === 0 || v <= (known[i - 1] as number));
    };
    /** The rows' CPU values and whether the page holds their order, read together (one render). */
    const shown = () =>
      page.getByTestId('fleet-rows').evaluate((el) => ({
        cpus: [...el.querySelectorAll('[data-testid="fleet-table"] .vtable-row')].map((r) => Number.parseFloat(r.querySelectorAll('.metric-value')[0]?.textContent ?? '')),
        holding: el.getAttribute('data-holding'),
        hosts: [...el.querySelectorAll('[data-testid="fleet-table"] .vtable-row strong')].map((s) => s.textContent).join(' '),
      }));
    let snapshots = 0;
    let previous = (await shown()).cpus;
    const deadline = Date.now() + 30_000;
    // Several live answers (every 2 s): each render not held by the pointer in order, as the values move.
    while (snapshots < 4 && Date.now() < deadline) {
      const now = await shown();
      // A pointer over the rows holds their order, also when the rows came under it (a layout shift): such renders do not count.
      if (now.holding === 'no' && !highestFirst(now.cpus)) expect.fail(`CPU ${now.cpus.join(', ')} not highest first, order not held; ${page.url()}, hosts ${now.hosts}`);
      if (now.holding === 'no' && now.cpus.join() !== previous.join()) snapshots++;
      previous = now.cpus;
      await page.waitForTimeout(100);
    }
    expect(snapshots).toBe(4);

    // Over the rows, the order is held while values change; away from them, sorted again.
    await page.getByTestId('fleet-table').locator('.vtable-row').nth(1).hover();
    const held = await hostOrder(page);
    const heldCpus = await cpus(page);
    await expect.poll(async () => (await cpus(page)).join(), { timeout: 15_000 }).not.toBe(heldCpus.join());
    expect(await page.getByTestId('fleet-rows').getAttribute('data-holding')).toBe('yes');
    expect(await hostOrder(page)).toEqual(held);
    await page.mouse.move(5, 5);
    expect(await page.getByTestId('fleet-rows').getAttribute('data-holding')).toBe('no');
    expect(highestFirst(await cpus(page))).toBe(true);
    await closeAll();
  }, 90_000);

  it('hosts ticked in Fleet are drawn on one compare chart, kept in the URL', async () => {
    const page = await open('/fleet');
    await everyCpuShown(page);
    await page.getByLabel('compare web-1').check();
    await page.getByLabel('compare db-3').check();
    expect(search(page).compare).toBe('web-1,db-3');
    const compare = page.getByTestId('compare');
    const chart = compare.getByTestId('chart');
    await chart.waitFor();
    expect(await chart.getAttribute('data-lines')).toBe('2');
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(1);
    // uPlot's legend: one entry per host, each with a value.
    const legend = await chart.locator('.u-series .u-label').allTextContents();
    expect(legend).toEqual(expect.arrayContaining(['web-1', 'db-3']));
    await page.getByLabel('compare web-1').uncheck();
    expect(search(page).compare).toBe('db-3');
    await expect.poll(() => chart.getAttribute('data-lines')).toBe('1');
    await page.keyboard.press('Escape');
    await compare.waitFor({ state: 'detached' });
    await closeAll();
  }, 90_000);
});
