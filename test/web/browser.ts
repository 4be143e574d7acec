/**
 * Browser tests drive Debian's Chromium (/usr/bin/chromium, installed by .ci/run with apt) through
 * playwright-core; no browser is ever downloaded. Without Chromium the suites skip loudly, unless
 * BREAKWATER_REQUIRE_SERVICES=1 (CI), where they fail.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Lab, LabHost, LabOptions } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import { serverKeySpki } from '../../src/transport/index.js';
import { waitNoDrift } from '../scenarios/scenario-helpers.js';

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

/** A definitions file as the apply API takes it. */
export interface DefinitionFile {
  readonly path: string;
  readonly text: string;
}

/**
 * The YAML files of a pack folder (e.g. packs/lab), by name, each with its path as `prefix` + its
 * file name.
 *
 * @example
 * const files = await packFiles(PACK); // [{ path: 'app-logrotate.yaml', text: '…' }, …]
 */
export async function packFiles(dir: string, prefix = ''): Promise<DefinitionFile[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(names.map(async (f) => ({ path: `${prefix}${f}`, text: await readFile(join(dir, f), 'utf8') })));
}

export interface WebLabOptions {
  /** The lab to start (control plane and agents). */
  readonly lab: LabOptions;
  /** Definitions applied once every agent is connected, on the lab's current version. */
  readonly definitions?: () => Promise<readonly DefinitionFile[]> | readonly DefinitionFile[];
  /** Wait until every agent runs the applied definitions (default true; false leaves them to arrive). */
  readonly waitForAgents?: boolean;
  /** Make a viewer token of this name (`web.viewerToken`). */
  readonly viewer?: string;
  /** How long `signIn` waits for each step (default 15 s). */
  readonly signInTimeoutMs?: number;
  /** The set-up's timeout (default 90 s). */
  readonly timeoutMs?: number;
}

/** A browser suite's lab and Chromium, started before its tests and stopped after them. */
export interface WebLab {
  readonly lab: Lab;
  readonly browser: Browser;
  /** The token `viewer` named. */
  readonly viewerToken: string;
  /** The lab host of this name (web-1, db-3, …); throws when there is none. */
  host(name: string): LabHost;
  /** Opens `path` signed in with `token` (default the lab's admin token) in `browser` (default the suite's). */
  signIn(path: string, token?: string, browser?: Browser): Promise<Page>;
}

/**
 * Registers the set-up of a browser suite: a lab, and a headless Chromium that trusts the lab's
 * control plane, launched as soon as the control plane answers, while the agents connect. Then the
 * definitions are applied and the viewer token made. Everything started is stopped after the
 * suite, even when the set-up failed half-way. Call it in the describe block; the suite's own
 * beforeAll hooks run after this set-up.
 *
 * @example
 * const web = useWebLab({ lab: { hosts: 3 }, definitions: () => packFiles(PACK), viewer: 'x-viewer' });
 * it('…', async () => { const page = await web.signIn('/fleet'); … });
 */
export function useWebLab(options: WebLabOptions): WebLab {
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  let launching: Promise<Browser> | undefined;
  let viewerToken: string | undefined;
  const started = <T>(what: string, value: T | undefined): T => {
    if (value === undefined) throw new Error(`the browser suite's ${what} did not start (see the set-up's error)`);
    return value;
  };

  beforeAll(async () => {
    lab = await startLab({ ...options.lab, onServer: (server) => (launching = launchBrowser({ trust: server })) });
    browser = await started('browser', launching);
    if (options.definitions) {
      const files = await options.definitions();
      const { version } = await lab.api<{ version: number }>('/api/v1/definitions');
      await lab.api('/api/v1/definitions/apply', { files, baseVersion: version });
      if (options.waitForAgents ?? true) await waitNoDrift(lab, version + 1);
    }
    if (options.viewer) viewerToken = (await lab.api<{ token: string }>('/api/v1/tokens', { role: 'viewer', name: options.viewer })).token;
  }, options.timeoutMs ?? 90_000);

  afterAll(async () => {
    // A browser launched while the lab failed to start is closed too.
    await (browser ?? (await launching?.catch(() => undefined)))?.close();
    await lab?.stop();
  }, 30_000);

  return {
    get lab() {
      return started('lab', lab);
    },
    get browser() {
      return started('browser', browser);
    },
    get viewerToken() {
      return started('viewer token', viewerToken);
    },
    host(name) {
      const h = started('lab', lab).hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no lab host ${name}`);
      return h;
    },
    signIn(path, token, b) {
      const l = started('lab', lab);
      return signIn(b ?? started('browser', browser), l.server, token ?? l.token, path, options.signInTimeoutMs);
    },
  };
}
