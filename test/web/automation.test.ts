import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { LabHost } from '../../src/lab/index.js';
import { PACK, cli, events, waitFor } from '../scenarios/scenario-helpers.js';
import type { RunRow } from '../scenarios/scenario-helpers.js';
import { browserUnavailable, expectOneOutputGroup, useWebLab } from './browser.js';

/*
 * The Automation and Actions pages in a real browser against a real lab with the S1 bot
 * (packs/lab/s1-disk.yaml) and test/fixtures/automation.yaml (a schedule, an action with a number
 * parameter): the bot's breaker counts its run, the schedule's next run is shown and "Run now"
 * records a run, and the action form runs an action with a parameter or refuses a bad one.
 */

const skip = browserUnavailable('web UI automation browser tests (test/web)');

describe.skipIf(skip)('web UI: automation and action forms', () => {
  // maxTargets 3: an action on all 4 hosts asks for confirmation first (the blast radius).
  const web = useWebLab({
    lab: { hosts: 4, maxTargets: 3, appPortBase: 28980 }, // web-1, web-2, db-3, cache-4
    definitions: async () => [
      { path: 's1-disk.yaml', text: await readFile(join(PACK, 's1-disk.yaml'), 'utf8') },
      { path: 'automation.yaml', text: await readFile(new URL('../fixtures/automation.yaml', import.meta.url), 'utf8') },
    ],
    viewer: 'automation-viewer',
    signInTimeoutMs: 20_000,
  });
  const host = (name: string): LabHost => web.host(name);

  const signIn = (token: string, path: string): Promise<Page> => web.signIn(path, token);

  it("shows the bot's breaker window going from 0/20 used to 1/20 after it runs, with its cooldown and last run linked to its runs", async () => {
    const page = await signIn(web.viewerToken, '/automation');
    const bot = page.locator('[data-testid="bot-row"][data-name="clean-data-logs"]');
    await bot.waitFor();
    expect(await bot.textContent()).toContain('alarm data-disk-full fired');
    expect(await bot.textContent()).toContain('host | role = "web"');
    expect(await bot.getByTestId('breaker').textContent()).toMatch(/^0\/20 used · 20 left in 10m/);
    expect(await bot.getByTestId('bot-last-run').textContent()).toContain('never');

    const started = Date.now();
    await web.lab.fillDisk(host('web-1'), 95);
    await waitFor('the bot to run on web-1', async () => (await events(web.lab, { host: 'web-1', since: started })).some((e) => e.type === 'bot_ran'), 20_000);
    // The page refreshes by itself: the run is counted, the cooldown shown, the last run linked.
    await waitFor('the breaker to count the run', async () => /^1\/20 used · 19 left/.test((await bot.getByTestId('breaker').textContent()) ?? ''), 10_000);
    expect(await bot.getByTestId('bot-last-run').textContent()).toMatch(/on web-1 ok · exit 0/);
    expect(await bot.getByTestId('cooldown').textContent()).toMatch(/^5s/);
    expect(await bot.getByTestId('bot-runs-link').getAttribute('href')).toBe('/runs?bot=clean-data-logs');
    // The CLI reads the same state.
    const listed = await cli(web.lab, ['get', 'bots']);
    expect(listed.stdout).toMatch(/clean-data-logs\s+alarm data-disk-full fired\s+clean_logs\s+1\/20 used, 19 left in 600s/);
    // Its kill switch is one click away, on Operate; the bot there links back to what it ran.
    await bot.getByTestId('bot-switch-link').click();
    const switchRow = page.locator('[data-testid="bot-row"][data-bot="clean-data-logs"]');
    await switchRow.waitFor();
    expect(new URL(page.url()).pathname).toBe('/operate');
    expect(await switchRow.getByRole('link', { name: 'clean-data-logs' }).getAttribute('href')).toBe('/runs?bot=clean-data-logs');
    await page.close();
  }, 60_000);

  it('shows the next run of a schedule; Run now records a run as the schedule, shown as its last run', async () => {
    const viewer = await signIn(web.viewerToken, '/automation');
    const asViewer = viewer.locator('[data-testid="schedule-row"][data-name="uptime-check"]');
    await asViewer.waitFor();
    expect(await asViewer.getByTestId('run-now').isDisabled()).toBe(true);
    expect(await asViewer.getByTestId('run-now').getAttribute('title')).toContain('needs the operator role');
    await viewer.close();

    const page = await signIn(web.lab.token, '/automation');
    const row = page.locator('[data-testid="schedule-row"][data-name="uptime-check"]');
    await row.waitFor();
    // every 1h: the timer fires within the hour, said as a time and how far ahead.
    const next = Date.parse((await row.getByTestId('next-run').locator('time').getAttribute('datetime')) ?? '');
    expect(next).toBeGreaterThan(Date.now());
    expect(next).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(await row.getByTestId('next-run').textContent()).toMatch(/\(in [\d.]+(m|s|h)\)$/);
    expect(await row.getByTestId('schedule-last-run').textContent()).toContain('never');
    await row.getByTestId('run-now').click();
    const said = row.getByTestId('run-now-result');
    await said.waitFor();
    expect(await said.textContent()).toMatch(/^Ran as run [0-9a-f-]{36}: 4 target\(s\), 0 failed/);
    const runId = /run ([0-9a-f-]{36})/.exec((await said.textContent()) ?? '')?.[1];
    await waitFor('the last run to show', async () => ((await row.getByTestId('schedule-last-run').textContent()) ?? '').includes(`run ${runId}`), 10_000);
    expect(await row.getByTestId('schedule-last-run').textContent()).toContain('ok · 0/4 failed');
    const runs = await web.lab.api<RunRow[]>('/api/v1/runs?limit=20');
    expect(runs).toContainEqual(expect.objectContaining({ id: runId, principal: 'schedule:uptime-check', status: 'succeeded' }));
    const human = await cli(web.lab, ['get', 'schedules']);
    expect(human.stdout).toMatch(/uptime-check\s+every 3600s\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\S+ \S+ ok \(0\/4 failed\)/);
    // At most one run-now of a schedule a second (the tick claim): the CLI's comes in a later second.
    await new Promise((r) => setTimeout(r, 1100));
    const ran = await cli(web.lab, ['schedule', 'run', 'uptime-check']);
    expect(ran.code, ran.stderr + ran.stdout).toBe(0);
    expect(ran.stdout).toMatch(/^schedule uptime-check ran as run [0-9a-f-]{36}: 4 target\(s\), 0 failed/);
    await page.close();
  }, 60_000);

  it('runs an action from its form with a parameter on the hosts the target query counts, and shows per-host results', async () => {
    const page = await signIn(web.lab.token, '/actions?action=write_marker');
    await page.getByTestId('param-count').waitFor();
    expect(await page.getByTestId('param-label').getAttribute('placeholder')).toBe('default: lab');
    await page.getByTestId('target').fill('host | role = "web"');
    await waitFor('the target count', async () => (await page.getByTestId('target-count').textContent()) === 'matches 2 resources now', 10_000);
    await page.getByTestId('param-count').fill('3');
    await waitFor('the statement', async () => (await page.getByTestId('action-statement').textContent()) === 'host | role = "web" | write_marker(count = 3)', 5000);
    // The state is in the URL: a link opens the same form.
    expect(new URL(page.url()).searchParams.get('target')).toBe('host | role = "web"');
    await waitFor('the check to pass', async () => !(await page.getByTestId('action-run').isDisabled()), 10_000);
    await page.getByTestId('action-dry-run').click();
    await page.getByTestId('action-summary').waitFor();
    expect(await page.getByTestId('action-summary').textContent()).toContain('0 failed');
    await page.getByTestId('action-run').click();
    await waitFor('the run to end', async () => ((await page.getByTestId('action-summary').textContent()) ?? '').includes('2 rows'), 20_000);
    const group = await expectOneOutputGroup(page, ['2 hosts', 'exit 0', 'marker lab x3']);
    await group.getByRole('button').click();
    expect(await group.getByTestId('group-hosts').locator('li').allTextContents()).toEqual(['web-1', 'web-2']);
    const runId = /run ([0-9a-f-]{36})/.exec((await page.getByTestId('action-summary').textContent()) ?? '')?.[1];
    const runs = await web.lab.api<RunRow[]>('/api/v1/runs?limit=20');
    expect(runs).toContainEqual(expect.objectContaining({ id: runId, principal: 'admin', statement: 'host | role = "web" | write_marker(count = 3)' }));
    await page.close();
  }, 60_000);

  it('asks before running on more hosts than the blast radius allows, and runs on all once confirmed', async () => {
    const page = await signIn(web.lab.token, '/actions?action=write_marker&target=host');
    await page.getByTestId('param-count').fill('1');
    await page.getByTestId('param-label').fill('all');
    await waitFor('the check to pass', async () => !(await page.getByTestId('action-run').isDisabled()), 10_000);
    expect(await page.getByTestId('target-count').textContent()).toBe('matches 4 resources now');
    await page.getByTestId('action-run').click();
    const confirm = page.getByTestId('action-confirm');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain('this would run on 4 resources, more than the 3 allowed without confirmation; nothing ran');
    expect(await page.getByTestId('output-group').count()).toBe(0);
    await page.getByTestId('action-confirm-run').click();
    await expectOneOutputGroup(page, ['4 hosts', 'exit 0', 'marker all x1']);
    await page.close();
  }, 60_000);

  it("refuses an invalid parameter with the checker's message, and the run button stays off", async () => {
    const page = await signIn(web.lab.token, '/actions?action=write_marker&target=host');
    await page.getByTestId('param-count').waitFor();
    await page.getByTestId('param-count').fill('three');
    const invalid = page.getByTestId('action-invalid');
    await invalid.waitFor();
    expect(await invalid.textContent()).toMatch(/count/);
    expect(await invalid.textContent()).toMatch(/number/);
    expect(await page.getByTestId('action-run').isDisabled()).toBe(true);
    // The server refuses it too, with the same message, whoever posts it.
    const r = await web.lab.fetch('/api/v1/query', { method: 'POST', headers: { authorization: `Bearer ${web.lab.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ statement: 'host | write_marker(count = "three")' }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toContain(((await invalid.textContent()) ?? '').trim());
    await page.close();
  }, 60_000);

  it('lists an action applied after signing in (the form reads the catalogue afresh)', async () => {
    const page = await signIn(web.lab.token, '/automation');
    await page.locator('[data-testid="bot-row"]').first().waitFor();
    const current = await web.lab.api<{ version: number; definitions: { kind: string }[] }>('/api/v1/definitions');
    const files = [
      { path: 's1-disk.yaml', text: await readFile(join(PACK, 's1-disk.yaml'), 'utf8') },
      { path: 'automation.yaml', text: await readFile(new URL('../fixtures/automation.yaml', import.meta.url), 'utf8') },
      { path: 'late.yaml', text: 'kind: action\nname: late_action\ncommand: echo late\nresources: [host]\n' },
    ];
    await web.lab.api('/api/v1/definitions/apply', { files, baseVersion: current.version });
    // In-page navigation: the shell keeps the catalogue it loaded at sign-in.
    await page.getByRole('link', { name: 'Actions', exact: true }).click();
    await waitFor('the new action in the list', async () => (await page.getByTestId('action-select').locator('option').allTextContents()).includes('late_action'), 10_000);
    await page.close();
  }, 60_000);
});
