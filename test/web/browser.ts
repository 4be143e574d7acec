/**
 * Browser tests drive Debian's Chromium (/usr/bin/chromium, installed by .ci/run with apt) through
 * playwright-core; no browser is ever downloaded. Without Chromium the suites skip loudly, unless
 * BREAKWATER_REQUIRE_SERVICES=1 (CI), where they fail.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { expect } from 'vitest';
import { serverKeySpki } from '../../src/transport/index.js';

export const CHROMIUM = process.env.BREAKWATER_CHROMIUM ?? '/usr/bin/chromium';
export const WEB_BUILT = fileExists(new URL('../../dist/web/index.html', import.meta.url));

function fileExists(url: URL): boolean {
  return existsSync(url);
}

/** Why the browser suites cannot run here, or undefined when they can. Throws on CI (BREAKWATER_REQUIRE_SERVICES=1). */
export function browserUnavailable(suite: string): string | undefined {
  const reason = !existsSync(CHROMIUM)
    ? `${CHROMIUM} is missing (install it: apt-get install -y chromium)`
    : !WEB_BUILT
      ? 'dist/web is not built (run `npm run build`)'
      : undefined;
  if (!reason) return undefined;
  if (process.env.BREAKWATER_REQUIRE_SERVICES === '1') throw new Error(`${suite}: ${reason}; BREAKWATER_REQUIRE_SERVICES=1 makes this a failure`);
  console.warn(`\n⚠  SKIPPING ${suite}: ${reason}.\n`);
  return reason;
}

export interface Browser {
  readonly context: BrowserContext;
  /** What Chromium reported as blocked by the Content-Security-Policy, on any page so far. */
  readonly cspViolations: string[];
  close(): Promise<void>;
}

/**
 * A headless Chromium with a fresh profile (user data dir), removed on close. With `trust` (an
 * https:// URL), it trusts that server's certificate key alone (the lab's generated CA is unknown
 * to it), rather than ignoring every certificate error.
 */
export async function launchBrowser(options: { trust?: string } = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'bw-chromium-'));
  const spki = options.trust ? [`--ignore-certificate-errors-spki-list=${await serverKeySpki(options.trust)}`] : [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...spki],
    viewport: { width: 1440, height: 900 },
  });
  // Chromium reports a blocked script, style, image or connection as a console error.
  const cspViolations: string[] = [];
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return {
    context,
    cspViolations,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Waits for the output of a run on `page`, expects it to be exactly one group (identical outputs
 * grouped) mentioning each of `texts` (hosts, exit status, output), and returns the group.
 *
 * @example
 * const group = await expectOneOutputGroup(page, ['3 hosts', 'exit 0', 'hi']);
 */
export async function expectOneOutputGroup(page: Page, texts: readonly string[]): Promise<Locator> {
  const group = page.getByTestId('output-group');
  await group.first().waitFor();
  expect(await group.count()).toBe(1);
  const text = await group.textContent();
  for (const t of texts) expect(text).toContain(t);
  return group;
}

/**
 * Opens `path` of the web UI in a new tab and signs in with the token. While another tab of the
 * browser is signed in, the new tab takes that tab's sign-in (src/web/session-share.ts) and shows
 * no form: the token is then put in this tab's sessionStorage, as signing in here would, and the
 * page loaded again, so the tab is signed in with `token` whoever the other tabs are.
 */
export async function signIn(browser: Browser, server: string, token: string, path: string, timeoutMs = 15_000): Promise<Page> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(timeoutMs);
  await page.goto(`${server}${path}`);
  await page.getByTestId('token').or(page.getByTestId('whoami')).first().waitFor();
  if (await page.getByTestId('whoami').isVisible()) {
    await page.evaluate(`sessionStorage.setItem('breakwater.token', ${JSON.stringify(token)})`);
    await page.reload();
  } else {
    await page.getByTestId('token').fill(token);
    await page.getByTestId('login').click();
  }
  await page.getByTestId('whoami').waitFor();
  return page;
}
