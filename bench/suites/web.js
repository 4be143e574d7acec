// @ts-check
/**
 * The web UI in a real browser (Debian's Chromium through playwright-core), against a real
 * control plane: what a person waits for.
 *
 *  - Fleet's first rows: from navigation (the page's time origin) to the first host row in the
 *    table, and to the first live metric value in it (`%`), read inside the page on the animation
 *    frame they appear. With the browser's cache warm (the page reloaded in a signed-in tab, as
 *    when opening Fleet again) and cold (cache disabled through the DevTools protocol: a first
 *    visit, every script fetched). Medians over the iterations.
 *  - Against the lab (4 real agent processes, `startLab`) and against 1,000 simulated agents
 *    (`breakwater swarm` in a child process, the control plane in another, as the fleet suite does).
 *  - Each page's load (navigation to its heading) and the JavaScript and CSS bytes a cold load of it
 *    transfers (Resource Timing's transferSize of the scripts and style sheets), on the lab.
 *
 * The machine may be shared: the 1-minute load average is recorded in each note. Every process
 * the suite starts is stopped at the end, also when a case fails.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startLab, stopChild } from '../../dist/lab/index.js';
import { serverKeySpki } from '../../dist/transport/index.js';
import { percentile, round2 } from '../support/latency.js';
import { Children, startServerProcess, startSwarmProcess } from '../support/processes.js';

export const name = 'web';
export const description = "the web UI in Chromium: navigation to Fleet's first rows and values (warm and cold cache) with the lab's 4 hosts and 1,000 simulated ones, each page's load and JS and CSS bytes";

const CHROMIUM = process.env.BREAKWATER_CHROMIUM ?? '/usr/bin/chromium';
/** Fleet's first rows today, from issue 13 ("Fleet's first rows arrive in ~0.7 s"): the budget to hold. */
const FIRST_ROWS_MS = 700;
const PAGES = ['/fleet', '/console', '/events', '/runs', '/automation', '/runbooks', '/definitions', '/audit', '/admin'];

/** @typedef {import('../run.js').Measurement} Measurement */
/** @typedef {import('playwright-core').Page} Page */

/** @param {number[]} samples */
const median = (samples) => percentile([...samples].sort((a, b) => a - b), 0.5);
const load = () => round2(loadavg()[0] ?? 0);

/**
 * A headless Chromium trusting `server`'s key, with one tab signed in with `token`.
 * @param {string} server @param {string} token
 */
async function signedInBrowser(server, token) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${await serverKeySpki(server)}`],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(60_000);
  await page.goto(`${server}/fleet`);
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
  await page.getByTestId('whoami').waitFor();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable'); // Network.setCacheDisabled needs it
  return { browser, page, cdp };
}

/**
 * Loads Fleet in `page` (signed in: its token is in the tab's sessionStorage) and returns the ms
 * from navigation to the first row and to the first metric value, measured in the page.
 * @param {Page} page @param {string} server
 */
async function fleetLoad(page, server) {
  await page.goto(`${server}/fleet`, { waitUntil: 'commit' });
  const rows = await page.waitForFunction(() => (document.querySelector('[data-testid="fleet-table"] .vtable-row') ? performance.now() : 0), undefined, { polling: 'raf' });
  const values = await page.waitForFunction(() => ([...document.querySelectorAll('[data-testid="fleet-table"] .metric-value')].some((v) => v.textContent?.endsWith('%')) ? performance.now() : 0), undefined, { polling: 'raf' });
  return { rows: /** @type {number} */ (await rows.jsonValue()), values: /** @type {number} */ (await values.jsonValue()) };
}

/**
 * Bytes the current page transferred for its scripts and its style sheets (Resource Timing's
 * transferSize: on the wire, after any Content-Encoding; 0 for what came from the cache).
 * @param {Page} page @returns {Promise<{ js: number, css: number }>}
 */
const assetBytes = (page) =>
  page.evaluate(() => {
    const sum = (/** @type {RegExp} */ type) => performance.getEntriesByType('resource').reduce((n, e) => n + (type.test(e.name) ? /** @type {PerformanceResourceTiming} */ (e).transferSize : 0), 0);
    return { js: sum(/\.m?js(\?|$)/), css: sum(/\.css(\?|$)/) };
  });

/**
 * Fleet's first rows and values, warm and cold, `iterations` times each (alternating).
 * @param {import('../run.js').Context} ctx @param {string} label @param {string} server @param {string} token @param {number} hosts @param {number} iterations
 * @returns {Promise<Measurement[]>}
 */
async function fleetCase(ctx, label, server, token, hosts, iterations) {
  const { browser, page, cdp } = await signedInBrowser(server, token);
  try {
    await page.locator('[data-testid="fleet-count"]').filter({ hasText: `${hosts.toLocaleString('en')} of ${hosts.toLocaleString('en')} hosts connected` }).waitFor();
    /** @type {Record<'warm' | 'cold', { rows: number[], values: number[] }>} */
    const samples = { warm: { rows: [], values: [] }, cold: { rows: [], values: [] } };
    await fleetLoad(page, server); // the first: fills the cache, compiles
    for (let i = 0; i < iterations; i++) {
      for (const mode of /** @type {const} */ (['warm', 'cold'])) {
        await cdp.send('Network.setCacheDisabled', { cacheDisabled: mode === 'cold' });
        const t = await fleetLoad(page, server);
        samples[mode].rows.push(t.rows);
        samples[mode].values.push(t.values);
      }
    }
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
    const note = (/** @type {string} */ what) => `median of ${iterations}, navigation to ${what}, measured in the page; ${hosts.toLocaleString('en')} hosts; load ${load()} on ${ctx.quick ? 'a quick run' : 'this run'}`;
    /** @type {Measurement[]} */
    const out = [];
    for (const mode of /** @type {const} */ (['warm', 'cold'])) {
      const rows = median(samples[mode].rows);
      const values = median(samples[mode].values);
      ctx.log(`${label} ${mode}: first row ${round2(rows)} ms, first value ${round2(values)} ms`);
      out.push(
        { name: `${label} · ${mode} · first rows`, unit: 'ms', value: round2(rows), ...(mode === 'warm' ? { target: /** @type {const} */ ({ op: '<=', value: FIRST_ROWS_MS }) } : {}), note: note(`the first host row${mode === 'cold' ? ', cache disabled (every script fetched)' : ', cache warm'}`) },
        { name: `${label} · ${mode} · first values`, unit: 'ms', value: round2(values), note: note('the first live metric value (the first answer of the live query)') },
      );
    }
    return out;
  } finally {
    await browser.close();
  }
}

/**
 * Each page's load (navigation to its heading) and JS bytes, cache disabled.
 * @param {import('../run.js').Context} ctx @param {string} server @param {string} token @param {number} iterations
 * @returns {Promise<Measurement[]>}
 */
async function pagesCase(ctx, server, token, iterations) {
  const { browser, page, cdp } = await signedInBrowser(server, token);
  try {
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    /** @type {Measurement[]} */
    const out = [];
    for (const p of PAGES) {
      /** @type {number[]} */
      const times = [];
      let bytes = { js: 0, css: 0 };
      for (let i = 0; i < iterations; i++) {
        await page.goto(`${server}${p}`, { waitUntil: 'commit' });
        const shown = await page.waitForFunction(() => (document.querySelector('main h1') ? performance.now() : 0), undefined, { polling: 'raf' });
        times.push(/** @type {number} */ (await shown.jsonValue()));
        // Lazy chunks (the page's, then uPlot's or the editor's) come after the heading shows.
        await page.waitForTimeout(1500);
        bytes = await assetBytes(page);
      }
      ctx.log(`page ${p}: ${round2(median(times))} ms, ${round2(bytes.js / 1024)} KiB of JS, ${round2(bytes.css / 1024)} KiB of CSS`);
      out.push(
        { name: `page ${p} · load`, unit: 'ms', value: round2(median(times)), note: `median of ${iterations}, navigation to the page's heading, cache disabled, signed in; lab; load ${load()}` },
        { name: `page ${p} · JS transferred`, unit: 'KiB', value: round2(bytes.js / 1024), note: 'scripts fetched by a cold load of this page (shell + its lazy chunk and libraries), transferSize (compressed when the server sends brotli or gzip)' },
        { name: `page ${p} · CSS transferred`, unit: 'KiB', value: round2(bytes.css / 1024), note: 'style sheets fetched by a cold load of this page, transferSize' },
      );
    }
    return out;
  } finally {
    await browser.close();
  }
}

/** @param {import('../run.js').Context} ctx @returns {Promise<Measurement[]>} */
export async function run(ctx) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium, or set BREAKWATER_CHROMIUM)`);
  if (!existsSync(path.join(ctx.dist, 'web', 'index.html'))) throw new Error('dist/web is not built: run `npm run bench -- web` (it builds) or `npm run build`');
  const iterations = ctx.quick ? 3 : 10;
  const dir = await mkdtemp(path.join(tmpdir(), 'bw-bench-web-'));
  const children = new Children();
  /** @type {Measurement[]} */
  const out = [];
  try {
    ctx.log('lab: starting a control plane and 4 real agents');
    const lab = await startLab({ hosts: 4, dir: path.join(dir, 'lab') });
    try {
      out.push(...(await fleetCase(ctx, 'fleet · lab 4 hosts', lab.server, lab.token, 4, iterations)));
      out.push(...(await pagesCase(ctx, lab.server, lab.token, ctx.quick ? 1 : 3)));
    } finally {
      await lab.stop();
    }

    const caseDir = path.join(dir, 'swarm-1000');
    await mkdir(caseDir, { recursive: true });
    ctx.log('swarm 1000: starting a control plane and 1,000 simulated agents');
    const server = await startServerProcess(ctx.root, caseDir, children);
    const swarm = await startSwarmProcess(ctx.root, caseDir, children, { server: server.server, caFile: server.caFile, joinToken: server.joinToken, agents: 1000, log: ctx.log });
    try {
      out.push(...(await fleetCase(ctx, 'fleet · 1,000 hosts', server.server, server.token, 1000, iterations)));
    } finally {
      await stopChild(swarm, 10_000);
      await stopChild(server.child, 10_000);
    }
  } finally {
    await children.stopAll();
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
