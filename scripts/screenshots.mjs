#!/usr/bin/env node
// Screenshots of every page of the web UI, taken against a real lab (control plane + 4 agents):
// writes docs/screenshots/<page>.png. Needs `npm run build` first and Debian's /usr/bin/chromium
// (apt-get install -y chromium). Usage: `npm run screenshots` (builds, then runs this script).
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startLab } from '../dist/lab/index.js';
import { serverKeySpki } from '../dist/transport/index.js';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const CHROMIUM = process.env.BREAKWATER_CHROMIUM ?? '/usr/bin/chromium';
const PACK = fileURLToPath(new URL('../packs/lab/', import.meta.url));
const RUNBOOKS = fileURLToPath(new URL('../packs/lab-runbooks/', import.meta.url));
// For the Alarms & events page: a bot that waits for approval, on an alarm triggered by a file (run/ask).
const APPROVAL = fileURLToPath(new URL('../test/fixtures/approval-bot.yaml', import.meta.url));
// For the Automation and Actions pages: a schedule and an action with a number parameter.
const AUTOMATION = fileURLToPath(new URL('../test/fixtures/automation.yaml', import.meta.url));

await mkdir(OUT, { recursive: true });
const lab = await startLab({ hosts: 4, appPortBase: 28280 });
const profile = await mkdtemp(join(tmpdir(), 'bw-shots-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  // The lab serves TLS with a CA of its own: trust its server key alone.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${await serverKeySpki(lab.server)}`],
  viewport: { width: 1440, height: 900 },
  // The UI follows the browser's preference; the pages are shown in the dark scheme, one in the light.
  colorScheme: 'dark',
});
try {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const shot = async (name) => {
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    console.log(`wrote docs/screenshots/${name}.png`);
  };

  await page.goto(`${lab.server}/fleet`);
  await shot('login');
  await page.getByTestId('token').fill(lab.token);
  await page.getByTestId('login').click();

  // Fleet: a few refreshes so the sparklines have a line, then one host's details.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="fleet-table"] .status-connected').length === 4);
  await page.waitForTimeout(9000);
  await shot('fleet');
  await page.locator('.vtable-row').first().click();
  await page.getByTestId('chart').waitFor();
  await page.waitForTimeout(1000);
  await shot('fleet-host');

  // Console: grouped command output, then a table with summaries, then a typo's diagnostic.
  await page.getByRole('link', { name: 'Console' }).click();
  const editor = page.getByLabel('pipeline');
  await editor.fill('host | `uname -sr; test $BW_HOST != db-3 || echo "different kernel module"`');
  await editor.press('Control+Enter');
  await page.getByTestId('output-group').first().waitFor();
  await page.getByTestId('output-group').first().getByRole('button').click();
  await shot('console');
  await editor.fill('host | cpu_usage | mem_usage | disk_usage | sort(-cpu_usage)');
  await editor.press('Control+Enter');
  await page.getByTestId('summaries').waitFor();
  await editor.fill('host | cpu_usge > 80 | `uptime`');
  await page.locator('.diag-error').first().waitFor();
  await shot('console-diagnostic');

  // Alarms & events: the S1 pack and the approval bot applied; /data fills on web-1 (the alarm
  // fires, the bot cleans, it clears) and a run on web-2 waits for approval.
  const files = await Promise.all((await readdir(PACK)).filter((f) => f.endsWith('.yaml')).map(async (f) => ({ path: f, text: await readFile(join(PACK, f), 'utf8') })));
  files.push({ path: 'approval.yaml', text: await readFile(APPROVAL, 'utf8') });
  const { version } = await lab.api('/api/v1/definitions');
  await lab.api('/api/v1/definitions/apply', { files, baseVersion: version });
  await lab.api('/api/v1/runbooks/import', { text: await readFile(join(RUNBOOKS, 'disk-full.yaml'), 'utf8') });
  await page.getByRole('link', { name: 'Alarms & events' }).click();
  await page.locator('[data-testid="live"][data-live="yes"]').waitFor();
  await page.waitForTimeout(3000); // the agents take the new definitions
  await lab.fillDisk(lab.hosts[0], 95);
  await writeFile(join(lab.hosts[1].dir, 'run', 'ask'), 'please\n');
  await page.locator('[data-testid="event"][data-type="alarm_cleared"]').first().waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="approval"]').first().waitFor({ timeout: 30_000 });
  await shot('events');

  // Audit: who ran what, where, when.
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.locator('[data-testid="audit-row"]').first().waitFor();
  await shot('audit');

  // Runbooks: the lab pack's disk-full runbook, opened from the alarm's link (host and mount filled), run.
  await page.getByRole('link', { name: 'Alarms & events' }).click();
  await page.locator(`[data-testid="alarm-row"][data-alarm="data-disk-full"][data-host="${lab.hosts[0].name}"]`).getByTestId('open-runbook').click();
  await page.getByTestId('run-all').click();
  await page.getByTestId('cell-summary').nth(2).waitFor();
  await shot('runbooks');

  // Definitions: the lab pack (applied above for Alarms & events) by kind, one copied as YAML, a diff.
  await page.getByRole('link', { name: 'Definitions' }).click();
  await page.getByTestId('version').first().waitFor();
  await page.getByTestId('diff-from').selectOption('0');
  await page.getByTestId('show-diff').click();
  await page.locator('[data-testid="definition"][data-kind="alarm"]').first().getByTestId('copy-yaml').click();
  await page.getByTestId('definition-yaml').first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('definitions');

  // ---- Operate (silences, maintenance, bot switches): maintenance on, a silence, a bot switched off. ----
  await page.getByRole('link', { name: 'Operate' }).click();
  await page.getByTestId('maintenance-reason').fill('database upgrade, INC-4211');
  await page.getByTestId('maintenance-toggle').click();
  await page.getByTestId('maintenance-badge').waitFor();
  await page.getByTestId('silence-alarm').selectOption('data-disk-full');
  await page.getByTestId('silence-hosts').fill('host | name = "web-1"');
  await page.getByTestId('silence-reason').fill('replacing the /data disk');
  await page.getByTestId('silence-create').click();
  await page.locator('[data-testid="silence-row"][data-state="active"]').waitFor();
  await page.getByTestId('bot-reason').fill('INC-4211: deletes the logs we need');
  await page.locator('[data-testid="bot-row"][data-bot="clean-data-logs"]').getByTestId('bot-toggle').click();
  await page.locator('[data-testid="bot-row"][data-bot="clean-data-logs"][data-state="off"]').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('operate');
  // Back as it was, so the pages shot after this one show no maintenance badge and the bot on.
  await page.locator('[data-testid="bot-row"][data-bot="clean-data-logs"]').getByTestId('bot-toggle').click();
  await page.locator('[data-testid="bot-row"][data-bot="clean-data-logs"][data-state="on"]').waitFor();
  await page.getByTestId('silence-end').click();
  await page.getByTestId('maintenance-toggle').click();
  await page.locator('[data-testid="maintenance-badge"]').waitFor({ state: 'detached' });
  // Admin (issue 13): a viewer token just created (its secret shown once), the agents with their
  // definitions version, and a back-test of the lab pack's disk alarm (it fired on the first host above).
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.getByTestId('tab-tokens').click();
  await page.getByTestId('token-name').fill('alice');
  await page.getByTestId('token-create').click();
  await page.getByTestId('new-secret').waitFor();
  await shot('admin-tokens');
  await page.getByTestId('tab-agents').click();
  await page.locator('[data-testid="agent-row"][data-status="connected"]').nth(3).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="agents-table"] .badge.ok').length === 4);
  await shot('admin-agents');
  await page.getByTestId('tab-backtest').click();
  await page.getByTestId('backtest-source').selectOption('data-disk-full');
  await page.getByTestId('backtest-run').click();
  await page.getByTestId('backtest-result').waitFor({ timeout: 60_000 });
  await shot('backtest');
  // Runs: the runs above (commands, runbook cells, the bot's, the approved one) and a failing
  // command; then what the bot ran on web-1, opened from its bot_ran event.
  await page.getByRole('link', { name: 'Console' }).click();
  await page.getByLabel('pipeline').fill(`host | name = "${lab.hosts[1].name}" | \`echo "disk check failed on /data" >&2; exit 3\``);
  await page.getByLabel('pipeline').press('Control+Enter');
  await page.getByTestId('run-summary').waitFor();
  await page.getByRole('link', { name: 'Runs' }).click();
  await page.locator('[data-testid="run-row"][data-status="failed"]').first().waitFor();
  await shot('runs');
  await page.getByRole('link', { name: 'Alarms & events' }).click();
  await page.locator('[data-testid="event"][data-type="bot_ran"]').first().getByTestId('event-run-link').click();
  await page.getByTestId('run-stdout').first().waitFor();
  await shot('runs-detail');
  // ---- Runbook cells' runs (ui-tidy: runs-runbook) ----
  // The disk-full runbook's `du` cell run above, listed as a runbook run that links back to it;
  // then back to Definitions, where the next block starts.
  await page.getByRole('link', { name: 'Runs', exact: true }).click();
  await page.getByTestId('runs-filter-kind').selectOption('runbook');
  await page.getByTestId('run-runbook').first().waitFor();
  await shot('runs-runbook');
  await page.getByRole('link', { name: 'Definitions' }).click();
  await page.getByTestId('version').first().waitFor();
  // ---- Definitions editing (definitions-edit, definitions-plan) ----
  // The S1 alarm opened as YAML with a typo underlined and listed; then its threshold lowered,
  // planned (old value red, new green) and back-tested over the hour (web-1 filled above).
  await page.locator('[data-testid="definition"][data-kind="alarm"][data-name="data-disk-full"]').getByTestId('edit-definition').click();
  const yaml = page.getByLabel('alarm YAML');
  const original = await yaml.inputValue();
  await yaml.fill(original.replace('fire: disk_usage', 'fire: disk_usge'));
  await page.locator('[data-testid="definition-editor"] .diag-error').first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('definitions-edit');
  await yaml.fill(original.replace('> 90', '> 85'));
  await page.getByTestId('plan-edit').click();
  await page.getByTestId('plan-line').first().waitFor();
  await page.getByTestId('backtest-edit').click();
  await page.getByTestId('backtest-summary').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('definitions-plan');
  // Habits (issue 13): Fleet sorted in the dark scheme with a host open on a 15-minute range, two
  // hosts on the compare chart, and Fleet 768 px wide (the nav folded, the table scrolling sideways).
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(`${lab.server}/fleet?sort=-cpu&host=${lab.hosts[0].name}&range=15m`);
  await page.getByTestId('host-detail').getByTestId('chart').waitFor();
  await page.mouse.move(0, 0);
  await page.waitForTimeout(3000);
  await shot('fleet-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${lab.server}/fleet?compare=${lab.hosts[0].name},${lab.hosts[2].name},${lab.hosts[3].name}&range=5m`);
  await page.getByTestId('compare').getByTestId('chart').waitFor();
  await page.waitForTimeout(2000);
  await shot('fleet-compare');
  await page.setViewportSize({ width: 768, height: 1000 });
  await page.goto(`${lab.server}/fleet?host=${lab.hosts[1].name}`);
  await page.getByTestId('host-detail').getByTestId('chart').waitFor();
  await page.waitForTimeout(2000);
  await shot('fleet-768');
  // Back to the size and scheme of the other shots.
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.emulateMedia({ colorScheme: 'dark' });

  // ---- Automation and Actions (issue 13) ------------------------------------------------------
  // The pack (its S1 bot ran on web-1 above, so its breaker shows a run) plus a schedule and an
  // action with a number parameter (test/fixtures/automation.yaml); the schedule run now, then the
  // action run from its form on the web hosts.
  const current = await lab.api('/api/v1/definitions');
  files.push({ path: 'automation.yaml', text: await readFile(AUTOMATION, 'utf8') });
  await lab.api('/api/v1/definitions/apply', { files, baseVersion: current.version });
  await page.getByRole('link', { name: 'Automation' }).click();
  const uptime = page.locator('[data-testid="schedule-row"][data-name="uptime-check"]');
  await uptime.getByTestId('run-now').click();
  await uptime.getByTestId('run-now-result').waitFor();
  await page.waitForTimeout(3500); // the next refresh shows the run as the schedule's last
  await shot('automation');
  await page.getByRole('link', { name: 'Actions' }).click();
  await page.getByTestId('action-select').selectOption('write_marker');
  await page.getByTestId('target').fill('host | role = "web"');
  await page.getByTestId('param-count').fill('3');
  await page.waitForFunction(() => !document.querySelector('[data-testid="action-run"]')?.hasAttribute('disabled'));
  await page.getByTestId('action-run').click();
  await page.getByTestId('output-group').first().waitFor();
  await shot('action-form');

  // ---- Sortable tables and the top bar at 1,024 px (issue 13) ----------------------------------
  // Runs sorted by failures, most first (a link: /runs?sort=-failed), 1,024 px wide: the ten page
  // links on one row of the top bar.
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(`${lab.server}/runs?sort=-failed`);
  await page.locator('[data-testid="run-row"][data-status="failed"]').first().waitFor();
  await page.mouse.move(0, 0);
  await shot('runs-sorted-1024');
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
  await lab.stop();
}
