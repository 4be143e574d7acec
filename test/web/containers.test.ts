import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import { PodmanContainers, kubeletLabels, podmanUnavailable } from '../podman.js';
import type { Browser } from './browser.js';
import { browserUnavailable, launchBrowser, signIn as signInAt } from './browser.js';

/*
 * The Fleet page's host panel and the Console's completion on real containers: podman + runc
 * containers (a busybox root filesystem) with labels, two of them a pod by the kubelet's labels,
 * discovered by a real lab agent (web-1) through podman's Docker Engine API; web-2's agent runs
 * with container discovery off. One lab, one Chromium for the file.
 */

const SUITE = 'web UI containers and pods browser tests (test/web/containers)';
const skip = browserUnavailable(SUITE) !== undefined || podmanUnavailable(SUITE) !== undefined;

describe.skipIf(skip)('web UI: a host’s containers and pods, completion of their tags', () => {
  let podman: PodmanContainers | undefined;
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  /** Unique per run: other runs' containers may be on the machine (the agent lists them all). */
  const run = `r${Date.now().toString(36)}`;
  /*
   * Other runs' containers may be on the machine (benchmarks start fifty), and a table draws only
   * the rows in view: ours are named to come first by name the other way (`zz-…`), and their
   * label values are the run's own, so that what completion offers (twelve at most) has them.
   */
  const pod = { name: `checkout-${run}`, namespace: 'zz-shop', uid: '0c1d2e3f-4a5b-4f60-9a7b-8f3a2b1c4d5e' };
  const plain = `zz-plain-${run}`;
  const [shop, batch] = [`shop-${run}`, `batch-${run}`];
  /** Pages opened by the test running: closed after it whatever happened (each holds connections to the server). */
  const pages: Page[] = [];

  beforeAll(async () => {
    podman = await PodmanContainers.start();
    await podman.run(`web-${run}`, { app: shop, run, ...kubeletLabels(pod, 'zz-web') });
    await podman.run(`sidecar-${run}`, { app: shop, run, ...kubeletLabels(pod, 'zz-sidecar') });
    await podman.run(plain, { app: batch, run, 'team.name': 'ops' });
    // Every process, as on a real host (a container's processes do not work under the lab's folder).
    lab = await startLab({ hosts: 2, containers: { socket: podman.socket, hosts: 1 }, isolateProcesses: false });
    browser = await launchBrowser({ trust: lab.server });
  }, 90_000);

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
  });

  afterAll(async () => {
    try {
      await browser?.close();
      await lab?.stop();
    } finally {
      await podman?.stop();
    }
  }, 30_000);

  const signIn = async (path: string): Promise<Page> => {
    const page = await signInAt(browser as Browser, (lab as Lab).server, (lab as Lab).token, path, 30_000);
    pages.push(page);
    return page;
  };
  /** A table's rows as the text of their cells. */
  const cells = (page: Page, testId: string) => page.getByTestId(testId).locator('.vtable-row').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));

  it('lists the host’s labelled containers and its pod, live, sortable, with links into the Console', async () => {
    const host = (lab as Lab).hosts[0]?.name as string;
    const page = await signIn(`/fleet?host=${host}`);
    const panel = page.getByTestId('host-detail');
    const table = page.getByTestId('host-containers');
    await table.waitFor({ timeout: 30_000 });
    // Sortable like every table. Other runs' containers may be on the machine, and only the rows
    // in view are drawn: by name, the other way, ours (`zz-…`) come first.
    await table.getByRole('button', { name: 'name' }).click();
    expect(await table.getByRole('columnheader', { name: /name/ }).getAttribute('aria-sort')).toBe('ascending');
    await table.getByRole('button', { name: /name/ }).click();
    expect(await table.getByRole('columnheader', { name: /name/ }).getAttribute('aria-sort')).toBe('descending');
    const names = async () => (await cells(page, 'host-containers')).map((r) => r[0] ?? '');
    const desc = await names();
    expect(desc).toEqual([...desc].sort((a, b) => b.localeCompare(a, 'en', { numeric: true })));

    // name, image, state, pod, CPU, memory, restarts, age
    const ours = async () => (await cells(page, 'host-containers')).filter((r) => r[0] === plain || (['zz-web', 'zz-sidecar'].includes(r[0] ?? '') && r[3] === `zz-shop/${pod.name}`));
    await expect.poll(async () => (await ours()).map((r) => r[0]).sort(), { timeout: 30_000 }).toEqual(['zz-plain-' + run, 'zz-sidecar', 'zz-web']);
    // Metered every second: CPU and memory values arrive with the next answers.
    await expect.poll(async () => (await ours()).every((r) => r[2] === 'running' && /%$/.test(r[4] ?? '') && /B$/.test(r[5] ?? '') && /^(\d+|-)$/.test(r[6] ?? '') && /^\d/.test(r[7] ?? '')), { timeout: 20_000 }).toBe(true);
    expect((await ours()).find((r) => r[0] === plain)?.[3]).toBe('-');

    // The pod: namespace/name, its two containers, their CPU and memory summed by the agent
    // (sorted the other way by name, `zz-shop/…` first).
    const pods = page.getByTestId('host-pods');
    await pods.getByRole('button', { name: /namespace/ }).click();
    await pods.getByRole('button', { name: /namespace/ }).click();
    const ourPod = async () => (await cells(page, 'host-pods')).find((r) => r[0] === `zz-shop/${pod.name}`);
    await expect.poll(async () => (await ourPod())?.[1], { timeout: 20_000 }).toBe('2');
    expect((await ourPod())?.[2]).toMatch(/%$/);
    expect((await ourPod())?.[3]).toMatch(/B$/);

    // A container's name opens the Console on it.
    await panel.getByRole('link', { name: plain, exact: true }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/console');
    expect(new URL(page.url()).searchParams.get('q')).toBe(`host | name = "${host}" | container | name = "${plain}"`);
    expect(await page.getByLabel('pipeline').inputValue()).toBe(`host | name = "${host}" | container | name = "${plain}"`);
  }, 90_000);

  it('says a host whose agent does not discover containers has none listed, and why', async () => {
    const host = (lab as Lab).hosts[1]?.name as string;
    const page = await signIn(`/fleet?host=${host}`);
    await expect.poll(() => page.getByTestId('no-containers').textContent(), { timeout: 30_000 }).toBe(`Container discovery is off on ${host}'s agent (--containers off): its containers and pods are not listed.`);
    expect(await page.getByTestId('no-pods').textContent()).toContain('container discovery is off');
  }, 60_000);

  it('completes the tags containers and pods carry, and their values, in the Console', async () => {
    const page = await signIn('/console');
    const editor = page.getByLabel('pipeline');
    const offered = () => page.locator('.completions .c-name').allTextContents();
    await editor.fill(`host | container | app = "batch-${run}`);
    await expect.poll(offered, { timeout: 20_000 }).toEqual([batch]);
    await editor.press('Tab');
    expect(await editor.inputValue()).toBe(`host | container | app = "${batch}"`);
    await editor.fill(`container | app in ["${batch}", "s`);
    await expect.poll(offered).toContain(shop);
    await editor.fill('container | team_n');
    await expect.poll(offered).toEqual(['team_name']);
    await editor.press('Tab');
    expect(await editor.inputValue()).toBe('container | team_name');
    await editor.fill(`pod | namespace = "zz-s`);
    await expect.poll(offered, { timeout: 20_000 }).toEqual(['zz-shop']);
    await editor.fill(`pod | app = "${shop}" and name = "checkout-${run}`);
    await expect.poll(offered).toEqual([pod.name]);
  }, 60_000);
});
