import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PACK, applyDefinitions, events, waitFor, waitNoDrift } from '../scenarios/scenario-helpers.js';
import { browserUnavailable, useWebLab } from './browser.js';

/*
 * The Operate page in a real browser against a real lab with S1's disk alarm and bot: maintenance
 * on (and its badge in the header on every page) and off, a silence created from the form and
 * ended, a bot switched off and on; what the page did is what the API then says. A viewer sees the
 * state without the buttons.
 */

const skip = browserUnavailable('web UI operate browser tests (test/web)');

describe.skipIf(skip)('web UI: operate', () => {
  const web = useWebLab({ lab: { hosts: 2 }, viewer: 'operate-viewer', signInTimeoutMs: 20_000 });

  beforeAll(async () => {
    await applyDefinitions(web.lab, join(PACK, 's1-disk.yaml'));
    await waitNoDrift(web.lab, 1);
  }, 60_000);

  const signIn = (token: string, path: string): Promise<Page> => web.signIn(path, token);

  it('turns maintenance on with a reason, shows it in the header on other pages, and off again', async () => {
    const page = await signIn(web.lab.token, '/operate');
    await expect.poll(() => page.getByTestId('maintenance-state').textContent()).toContain('Off');
    await expect.poll(() => page.getByTestId('maintenance-toggle').isDisabled()).toBe(true);
    await page.getByTestId('maintenance-reason').fill('database upgrade');
    await page.getByTestId('maintenance-toggle').click();
    await expect.poll(() => page.getByTestId('maintenance-state').textContent()).toContain('set by admin: database upgrade');
    await page.getByTestId('maintenance-badge').waitFor();
    expect((await web.lab.api<{ on: boolean; reason: string }>('/api/v1/maintenance'))).toMatchObject({ on: true, reason: 'database upgrade' });

    // Another page, a fresh load: the header still says so, and leads back here.
    const other = await signIn(web.lab.token, '/events');
    await other.getByTestId('maintenance-badge').click();
    await other.getByTestId('operate').waitFor();
    expect(new URL(other.url()).pathname).toBe('/operate');
    await other.close();

    await page.getByTestId('maintenance-toggle').click();
    await expect.poll(() => page.getByTestId('maintenance-state').textContent()).toContain('Off');
    await expect.poll(() => page.getByTestId('maintenance-badge').count()).toBe(0);
    expect((await web.lab.api<{ on: boolean }>('/api/v1/maintenance')).on).toBe(false);
    await page.close();
  });

  it('creates a silence from the form, lists it active, ends it with a click; a bad host selection is explained', async () => {
    const page = await signIn(web.lab.token, '/operate');
    await page.getByTestId('silence-alarm').selectOption('data-disk-full');
    await page.getByTestId('silence-hosts').fill('host | cpu_usage > 0.5');
    await page.getByTestId('silence-reason').fill('disk swap');
    await page.getByTestId('silence-create').click();
    await expect.poll(() => page.getByTestId('operate-error').textContent()).toContain('expected a host selection on tags or attributes');

    await page.getByTestId('silence-hosts').fill('host | name = "web-1"');
    await page.getByTestId('silence-duration').selectOption('900');
    await page.getByTestId('silence-reason').fill('disk swap');
    await page.getByTestId('silence-create').click();
    const row = page.locator('[data-testid="silence-row"][data-state="active"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('data-disk-full');
    expect(await row.textContent()).toContain('host | name = "web-1"');
    const [listed] = await web.lab.api<{ id: string; state: string; endsAt: number; createdAt: number; createdBy: string }[]>('/api/v1/silences');
    expect(listed).toMatchObject({ state: 'active', createdBy: 'admin' });
    expect((listed?.endsAt ?? 0) - (listed?.createdAt ?? 0)).toBe(900_000);

    await row.getByTestId('silence-end').click();
    await page.locator('[data-testid="silence-row"][data-state="ended"]').waitFor();
    expect((await web.lab.api<{ state: string }[]>('/api/v1/silences'))[0]?.state).toBe('ended');
    await page.close();
  });

  it('switches a bot off and on; a viewer sees the switch but no buttons', async () => {
    const since = Date.now();
    const page = await signIn(web.lab.token, '/operate');
    const bot = page.locator('[data-testid="bot-row"][data-bot="clean-data-logs"]');
    await page.getByTestId('bot-reason').fill('incident 42');
    await bot.getByTestId('bot-toggle').click();
    await page.locator('[data-testid="bot-row"][data-bot="clean-data-logs"][data-state="off"]').waitFor();
    expect(await bot.textContent()).toContain('switched off by admin');
    expect((await web.lab.api<{ switchedOff: string[] }[]>('/api/v1/drift')).every((r) => r.switchedOff.includes('clean-data-logs'))).toBe(true);

    const viewer = await signIn(web.viewerToken, '/operate');
    const seen = viewer.locator('[data-testid="bot-row"][data-bot="clean-data-logs"][data-state="off"]');
    await seen.waitFor();
    expect(await seen.getByTestId('bot-toggle').count()).toBe(0);
    expect(await viewer.getByTestId('silence-form').count()).toBe(0);
    await viewer.close();

    await bot.getByTestId('bot-toggle').click();
    await page.locator('[data-testid="bot-row"][data-bot="clean-data-logs"][data-state="on"]').waitFor();
    const types = await waitFor('the switch events', async () => {
      const t = (await events(web.lab, { since })).map((e) => e.type);
      return t.includes('bot_enabled') ? t : undefined;
    });
    expect(types).toEqual(expect.arrayContaining(['bot_disabled', 'bot_enabled']));
    await page.close();
  });
});
