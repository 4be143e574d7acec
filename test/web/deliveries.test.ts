import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, useWebLab } from './browser.js';

/*
 * Admin › Deliveries in a real browser against a real lab: a webhook integration whose receiver on
 * loopback refuses every delivery (400: not retried) makes failed deliveries, which a viewer sees
 * in the table, without the signing secret anywhere on the page.
 */

const skip = browserUnavailable('web UI deliveries browser test (test/web/deliveries.test.ts)');
const HOOK_KEY = 'whsec-browser-0123456789';

let receiver: Server;
let base = '';

/** An alarm every host fires at once (any CPU sample), delivered to a receiver that refuses it. */
const definitions = () => [
  {
    path: 'outbound.yaml',
    text: `kind: alarm
name: cpu-seen
query: host
fire: cpu_usage >= 0
interval: 1s
---
kind: secret
name: hook-key
---
kind: integration
name: refusing-hook
type: webhook
url: ${base}/hook
events: [fired]
signing_secret: { secret: hook-key }
`,
  },
];

beforeAll(async () => {
  receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(400).end()));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

describe.skipIf(skip)('web UI: Admin › Deliveries', () => {
  const web = useWebLab({ lab: { hosts: 1 }, definitions, waitForAgents: false, viewer: 'deliveries-viewer' });

  it('lists failed deliveries to a viewer, with no secret on the page', async () => {
    const set = await web.lab.fetch('/api/v1/secrets/hook-key', { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${web.lab.token}` }, body: JSON.stringify({ value: HOOK_KEY }) });
    expect(set.status, await set.text()).toBeLessThan(300);
    const page = await web.signIn('/admin#deliveries', web.viewerToken);
    const row = page.locator('[data-testid="delivery-row"][data-integration="refusing-hook"]').first();
    await row.waitFor({ timeout: 30_000 });
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('webhook');
    expect(text).toContain('alarm_fired');
    // Refused with the secret set (400), or before it was set: either is a failure said in words.
    expect(text).toMatch(/HTTP 400 \(not retried\)|the signing secret `hook-key` is not set/);
    expect(await page.content()).not.toContain(HOOK_KEY);
  }, 90_000);
});
