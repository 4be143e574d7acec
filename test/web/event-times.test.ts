import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { LabHost } from '../../src/lab/index.js';
import { events, waitFor } from '../scenarios/scenario-helpers.js';
import { browserUnavailable, useWebLab } from './browser.js';

/*
 * Times in answers about events, in a real browser against a real lab (control plane + 2 agents)
 * where a real bot has run: an event's `time` reads as a time of day (ISO 8601 UTC on hover), its
 * `age` as a duration with a unit, and no min/avg/max is printed for times; the bundled disk-full
 * runbook's "what the bot ran" cell reads the same way.
 */

const skip = browserUnavailable('web UI event times browser tests (test/web)');
const DISK_FULL_RUNBOOK = readFileSync(new URL('../../packs/lab-runbooks/disk-full.yaml', import.meta.url), 'utf8');

/** A bot that runs when the test creates run/tidy on a host, so the timeline has a real `bot_ran`. */
const TIDY_BOT = `kind: action
name: tidy
command: echo tidied
timeout: 10s
---
kind: alarm
name: needs-tidy
query: host
fire: ok(\`test -e "$HOST_ROOT/run/tidy"\`)
---
kind: bot
name: tidier
trigger: { alarm: needs-tidy }
action: tidy
cooldown: 0s
`;

const CLOCK = /^(\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const DURATION = /^\d+(\.\d)?(ms|s|m|h|d)$/;

describe.skipIf(skip)('web UI: times in event answers', () => {
  const web = useWebLab({ lab: { hosts: 2, appPortBase: 28880 }, definitions: () => [{ path: 'tidy.yaml', text: TIDY_BOT }], timeoutMs: 120_000 });
  let web1: LabHost;

  beforeAll(async () => {
    web1 = web.lab.hosts[0] as LabHost;
    await web.lab.api('/api/v1/runbooks/import', { text: DISK_FULL_RUNBOOK });
    const flag = join(web1.dir, 'run', 'tidy');
    await writeFile(flag, 'please\n');
    try {
      await waitFor('the tidier bot to run', async () => (await events(web.lab, { type: 'bot_ran', host: web1.name })).length > 0, 30_000);
    } finally {
      await rm(flag, { force: true });
    }
  }, 60_000);

  const signIn = (path: string): Promise<Page> => web.signIn(path);

  /** The text of column `i` in each row of a result table, and the `title` of its <time> when it has one. */
  const column = (page: Page, i: number) => page.getByTestId('result-table').locator(`.vtable-row [role="cell"]:nth-child(${i + 1})`);

  it('shows the events of the fleet with times of day, ages with a unit, and no min/avg/max of times', async () => {
    const page = await signIn('/console');
    await page.getByLabel('pipeline').fill('events | limit(20)');
    await page.getByTestId('run').click();
    await page.getByTestId('run-summary').waitFor();
    const headers = await page.getByTestId('result-table').locator('[role="columnheader"]').allTextContents();
    expect(headers.slice(0, 3)).toEqual(['type', 'time', 'age']);
    const times = await column(page, 1).allTextContents();
    expect(times.length).toBeGreaterThan(1);
    for (const t of times) expect(t).toMatch(CLOCK);
    for (const title of await column(page, 1).locator('time').evaluateAll((els) => els.map((e) => e.getAttribute('title')))) expect(title).toMatch(ISO);
    for (const a of await column(page, 2).allTextContents()) expect(a).toMatch(DURATION);
    const summaries = page.getByTestId('summaries');
    if (await summaries.count()) expect(await summaries.textContent()).not.toMatch(/\btime\b/);
    await page.screenshot({ path: '/tmp/event-times-console.png', fullPage: true });
    await page.close();
  }, 60_000);

  it("shows what the bot ran in the disk-full runbook: when, how long ago and the bot's message", async () => {
    const page = await signIn(`/runbooks?runbook=disk-full&host=${web1.name}&mount=/`);
    await page.getByTestId('run-all').click();
    const last = page.getByTestId('cell-output').last();
    await last.getByTestId('result-table').waitFor({ timeout: 30_000 });
    const cells = last.locator('.vtable-row').first().locator('[role="cell"]');
    expect(await cells.nth(0).textContent()).toMatch(CLOCK);
    expect(await cells.nth(0).locator('time').getAttribute('title')).toMatch(ISO);
    expect(await cells.nth(1).textContent()).toMatch(DURATION);
    expect(await cells.nth(2).textContent()).toContain('bot tidier ran tidy');
    expect(await last.getByTestId('summaries').count()).toBe(0);
    await page.screenshot({ path: '/tmp/event-times-runbook.png', fullPage: true });
    await page.close();
  }, 60_000);
});
