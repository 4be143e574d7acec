import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor } from '../scenarios/scenario-helpers.js';
import type { Browser } from './browser.js';
import { browserUnavailable, launchBrowser, useWebLab } from './browser.js';

/*
 * The Admin page and the substring filters in a real browser against a real lab (three real agent
 * processes): a viewer token created in the UI signs in in a second browser and loses access when
 * the first revokes it; the agents list shows the lab's hosts and revokes and deletes one; a
 * back-test shows when an alarm would have fired; Audit and Events find rows by a part of a word.
 */

const skip = browserUnavailable('web UI admin browser tests (test/web/admin.test.ts)');

/** An alarm every host with any CPU sample fires at once: a back-test over the lab's history must show it. */
const ALWAYS = `kind: alarm
name: cpu-seen
query: host
fire: cpu_usage >= 0
interval: 1s
`;

interface TokenRow {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly revokedAt: number | null;
}

describe.skipIf(skip)('web UI: admin (tokens, agents, back-test) and substring filters', () => {
  const web = useWebLab({ lab: { hosts: 3 }, definitions: () => [{ path: 'cpu-seen.yaml', text: ALWAYS }], waitForAgents: false, signInTimeoutMs: 20_000 }); // web-1, web-2, db-3

  const signIn = (token: string, path: string, b?: Browser): Promise<Page> => web.signIn(path, token, b);

  it('creates a viewer token shown once, which signs in elsewhere and loses access when revoked here', async () => {
    const page = await signIn(web.lab.token, '/admin#tokens');
    const name = `ui-viewer-${Date.now().toString(36)}`;
    await page.getByTestId('token-name').fill(name);
    await page.getByTestId('token-role').selectOption('viewer');
    await page.getByTestId('token-expiry').selectOption({ label: '1 day' });
    await page.getByTestId('token-create').click();
    const secret = await page.getByTestId('new-secret-value').inputValue();
    expect(secret).toMatch(/^bwt_/);
    expect(await page.getByTestId('new-secret').textContent()).toContain('only time its secret is shown');
    const row = page.locator(`[data-testid="token-row"][data-name="${name}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('viewer');
    expect(await row.getAttribute('data-state')).toBe('active');
    // The list never carries a secret or a hash: neither the API answer nor the table.
    const listed = await web.lab.api<Record<string, unknown>[]>('/api/v1/tokens');
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(listed.every((t) => !('hash' in t) && !('token' in t))).toBe(true);
    // Revoking the token of the name signed in warns; Cancel leaves it working.
    const mine = page.locator('[data-testid="token-row"][data-name="admin"]');
    await mine.getByTestId('token-revoke').click();
    await page.getByTestId('revoke-self').waitFor();
    await page.getByTestId('confirm-cancel').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
    expect(await mine.getAttribute('data-state')).toBe('active');
    await page.getByTestId('secret-done').click();
    await page.getByTestId('new-secret').waitFor({ state: 'detached' });
    expect(await page.getByTestId('tokens-table').textContent()).not.toContain(secret);

    // A second browser (its own profile and session) signs in with the new token, as a viewer.
    const other = await launchBrowser({ trust: web.lab.server });
    try {
      const viewer = await signIn(secret, '/admin', other);
      expect(await viewer.getByTestId('whoami').textContent()).toContain(`${name} · viewer`);
      expect(await viewer.getByTestId('admin-forbidden').textContent()).toBe('Your role (viewer) cannot manage tokens; ask an admin for a token with the admin role.');

      await row.getByTestId('token-revoke').click();
      expect(await page.getByTestId('confirm-dialog').textContent()).toContain(`Revoke token ${name}?`);
      await page.getByTestId('confirm-ok').click();
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('revoked');
      expect((await web.lab.api<TokenRow[]>('/api/v1/tokens')).find((t) => t.name === name)?.revokedAt).toEqual(expect.any(Number));

      // The second browser's next request is refused: it is back at the sign-in form, told why.
      await viewer.reload();
      await viewer.getByTestId('login').waitFor();
      expect(await viewer.getByRole('alert').textContent()).toBeTruthy();
      expect(await viewer.getByTestId('whoami').count()).toBe(0);
    } finally {
      await other.close();
    }
    await page.close();
  }, 60_000);

  it('lists the lab\'s agents connected with their definitions version; revokes one, then deletes it', async () => {
    // The lab's join token would let a revoked agent enroll again by itself: revoke it first (a join token's row).
    const page = await signIn(web.lab.token, '/admin#tokens');
    const join = page.locator('[data-testid="token-row"][data-name="lab-join"]');
    expect(await join.textContent()).toMatch(/agent.*\d+\/(any|\d+)/);
    await join.getByTestId('token-revoke').click();
    expect(await page.getByTestId('confirm-dialog').textContent()).toContain('Agents it enrolled keep their own credentials');
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => join.getAttribute('data-state'), { timeout: 10_000 }).toBe('revoked');
    await page.getByTestId('tab-agents').click();
    const rows = page.getByTestId('agents-table').locator('[data-testid="agent-row"]');
    await expect.poll(async () => (await rows.evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-name')}:${r.getAttribute('data-status')}`))).sort(), { timeout: 15_000 }).toEqual(['db-3:connected', 'web-1:connected', 'web-2:connected']);
    const web1 = page.locator('[data-testid="agent-row"][data-name="web-1"]');
    await expect.poll(() => web1.textContent(), { timeout: 15_000 }).toMatch(/v\d+ current/);
    // The agent's own version, as it reported it when it connected.
    expect(await web1.getByTestId('agent-version').textContent()).toMatch(/^\d+\.\d+\.\d+/);

    const db3 = page.locator('[data-testid="agent-row"][data-name="db-3"]');
    await db3.getByTestId('agent-revoke').click();
    expect(await page.getByTestId('confirm-dialog').textContent()).toContain('Revoke the credential of db-3?');
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId('agent-done').textContent(), { timeout: 10_000 }).toBe('Revoked the credential of db-3 and disconnected it.');
    await expect.poll(async () => [await db3.getAttribute('data-revoked'), await db3.getAttribute('data-status')], { timeout: 15_000 }).toEqual(['yes', 'disconnected']);
    expect(await db3.getByTestId('agent-revoke').isDisabled()).toBe(true);

    await db3.getByTestId('agent-delete').click();
    await page.getByTestId('confirm-ok').click();
    // Already disconnected by the revoke: nothing to disconnect now.
    await expect.poll(() => page.getByTestId('agent-done').textContent(), { timeout: 10_000 }).toBe('Deleted db-3.');
    await db3.waitFor({ state: 'detached' });
    expect((await web.lab.api<{ name: string }[]>('/api/v1/agents')).map((a) => a.name).sort()).toEqual(['web-1', 'web-2']);
    const audit = await web.lab.api<{ action: string; target: string }[]>('/api/v1/audit?text=db-3');
    expect(audit.filter((a) => a.target === 'db-3').map((a) => a.action)).toEqual(expect.arrayContaining(['agent.revoke', 'agent.delete']));
    await page.close();
  }, 60_000);

  it('back-tests a defined alarm and an expression, showing where they would have fired, and names a typo', async () => {
    // A few seconds of history on every host, so the replay has samples to fire on.
    await waitFor('cpu samples stored on the hosts', async () => (await web.lab.api<{ host: string }[]>('/api/v1/events?type=alarm_fired&alarm=cpu-seen')).length >= 2, 30_000);
    const page = await signIn(web.lab.token, '/admin#backtest');
    await page.getByTestId('backtest-source').selectOption('cpu-seen');
    expect(await page.getByTestId('backtest-yaml').textContent()).toContain('fire: cpu_usage >= 0');
    await page.getByTestId('backtest-run').click();
    const result = page.getByTestId('backtest-result');
    await result.waitFor({ timeout: 60_000 });
    expect(Number(await result.getAttribute('data-firings'))).toBeGreaterThan(0);
    expect(await page.getByTestId('backtest-summary').textContent()).toMatch(/cpu-seen would have fired \d+ times? on \d+ of \d+ hosts?\./);
    const fired = await page.locator('[data-testid="backtest-host"]').evaluateAll((rs) => rs.filter((r) => Number(r.getAttribute('data-firings')) > 0).map((r) => r.getAttribute('data-host')));
    expect(fired.length).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="backtest-transition"][data-state="fired"]').count()).toBeGreaterThan(0);

    // An expression that never holds: nothing fires; one with a typo: the problem is named.
    await page.getByTestId('backtest-source').selectOption('');
    await page.getByTestId('backtest-fire').fill('cpu_usage > 1000');
    await page.getByTestId('backtest-run').click();
    await expect.poll(() => page.getByTestId('backtest-summary').textContent(), { timeout: 60_000 }).toMatch(/backtest would not have fired on any of \d+ hosts?\./);
    await page.getByTestId('backtest-fire').fill('cpu_usgae > 90');
    await page.getByTestId('backtest-run').click();
    const error = page.getByTestId('backtest-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('cpu_usgae');
    await page.close();
  }, 120_000);

  it('Audit and Events find rows by a part of a word, in any case', async () => {
    const audit = await signIn(web.lab.token, '/audit');
    const table = audit.getByTestId('audit-table');
    await table.locator('[data-testid="audit-row"]').first().waitFor();
    await audit.getByTestId('filter-text').fill('INITIONS.APP');
    await audit.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => new Set(await table.locator('[data-testid="audit-row"]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-action')))), { timeout: 10_000 }).toEqual(new Set(['definitions.apply']));
    await audit.close();

    const events = await signIn(web.lab.token, '/events');
    const timeline = events.getByTestId('timeline');
    await timeline.locator('[data-testid="event"]').first().waitFor();
    expect(new Set(await timeline.locator('[data-testid="event"]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-host'))))).not.toEqual(new Set(['web-2']));
    await events.getByTestId('filter-text').fill('EB-2');
    // Every row left mentions web-2 (its host, or its message), and there is at least one.
    await expect.poll(async () => {
      const texts = await timeline.locator('[data-testid="event"]').evaluateAll((rs) => rs.map((r) => (r.textContent ?? '').toLowerCase()));
      return texts.length > 0 && texts.every((t) => t.includes('web-2'));
    }, { timeout: 10_000 }).toBe(true);
    await events.close();
  }, 60_000);
});
