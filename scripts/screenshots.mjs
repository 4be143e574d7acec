#!/usr/bin/env node
// Screenshots of every page of the web UI, taken against a real lab (control plane + 4 agents):
// writes docs/screenshots/<page>.png. Needs `npm run build` first and Debian's /usr/bin/chromium
// (apt-get install -y chromium). Usage: `npm run screenshots` (builds, then runs this script).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startLab } from '../dist/lab/index.js';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const CHROMIUM = process.env.BREAKWATER_CHROMIUM ?? '/usr/bin/chromium';

await mkdir(OUT, { recursive: true });
const lab = await startLab({ hosts: 4, appPortBase: 28280 });
const profile = await mkdtemp(join(tmpdir(), 'bw-shots-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1440, height: 900 },
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
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
  await lab.stop();
}
