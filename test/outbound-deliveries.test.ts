import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import type { Delivery } from '../src/protocol/index.js';
import { signatureProblem } from '../src/server/integrations/index.js';
import { describeInModes } from './modes.js';
import { cli, events, labWithDefinitions, waitFor } from './scenarios/scenario-helpers.js';

/*
 * Outbound deliveries from a real control plane (lab: server + one real agent) to receivers on
 * loopback: a signed webhook that fails twice then takes the event (its signature verified as a
 * receiver would), one that always fails (recorded, listed by the API and `breakwater get
 * deliveries`), PagerDuty's Events API v2 (trigger, then resolve under the same dedup key) and a
 * PagerDuty refusal (400, not retried, its message recorded). Real backoff (about 1 s, 2 s, 4 s,
 * ...): what is asserted is attempts and records, never timing. In both modes: with two replicas
 * each event is still delivered by one of them (the dead receiver gets 6 attempts, not 12).
 * The secrets are read from the environment (`from: { env }`), which every replica has.
 * Needs `npm run build`.
 */

const HOOK_KEY = 'whsec-lab-0123456789';
const PD_KEY = 'R0UTING0KEY0GOOD';
const PD_BAD = 'R0UTING0KEY0BAD';

const DEFINITIONS = `
kind: alarm
name: trip-wire
query: host
fire: ok(\`test -e "$HOST_ROOT/run/trip"\`)
severity: critical
interval: 1s
---
kind: secret
name: hook-key
from: { env: BW_TEST_HOOK_KEY }
---
kind: secret
name: pd-key
from: { env: BW_TEST_PD_KEY }
---
kind: secret
name: pd-bad
from: { env: BW_TEST_PD_BAD }
---
kind: integration
name: flaky-hook
type: webhook
url: RECEIVER/flaky?ignored=query
events: [fired, cleared]
signing_secret: { secret: hook-key }
---
kind: integration
name: dead-hook
type: webhook
url: RECEIVER/dead
events: [fired]
signing_secret: { secret: hook-key }
---
kind: integration
name: pager
type: pagerduty
routing_key: { secret: pd-key }
severity: { critical: error }
---
kind: integration
name: pager-refused
type: pagerduty
routing_key: { secret: pd-bad }
`;

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

await describeInModes('outbound deliveries from a lab', 'test/outbound-deliveries.test.ts', (mode) => {
  const received: Received[] = [];
  let flakyCalls = 0;
  let receiver: Server;
  let lab: Lab;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
        const path = (req.url ?? '').split('?')[0]!;
        received.push({ path, headers: req.headers, body });
        if (path === '/flaky') {
          flakyCalls++;
          res.writeHead(flakyCalls <= 2 ? 503 : 200).end();
        } else if (path === '/dead') res.writeHead(503).end();
        else if (path === '/pd/v2/enqueue') {
          const { routing_key } = JSON.parse(body) as { routing_key: string };
          if (routing_key === PD_KEY) res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success","message":"Event processed"}');
          else res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: [`Invalid routing key ${routing_key}`] }));
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    const env = { ...process.env, BW_TEST_HOOK_KEY: HOOK_KEY, BW_TEST_PD_KEY: PD_KEY, BW_TEST_PD_BAD: PD_BAD };
    ({ lab, stop } = await labWithDefinitions(mode.lab({ hosts: 1, pagerdutyUrl: `${base}/pd/v2/enqueue`, env }), { 'outbound.yaml': DEFINITIONS.replaceAll('RECEIVER', base) }));
  }, 120_000);

  afterAll(async () => {
    await stop?.();
    await new Promise((resolve) => receiver?.close(resolve));
  });

    it('delivers signed webhooks with retries and PagerDuty events; records and lists what finally failed', async () => {
      const host = lab.hosts[0]!;
      await writeFile(join(host.dir, 'run', 'trip'), 'tripped\n');
      const fired = await waitFor('the alarm to fire', async () => (await events(lab, { type: 'alarm_fired', alarm: 'trip-wire' }))[0], 30_000, 100);

      // The flaky webhook: two 503s, then taken; every attempt signed, the same delivery id.
      const flaky = await waitFor('the flaky webhook to take the event', () => (flakyCalls >= 3 ? received.filter((r) => r.path === '/flaky') : undefined), 30_000, 100);
      expect(flaky.map((r) => r.headers['x-breakwater-delivery'])).toEqual([fired.id, fired.id, fired.id]);
      for (const r of flaky) {
        expect(signatureProblem(HOOK_KEY, r.headers['x-breakwater-timestamp'] as string, r.headers['x-breakwater-signature'] as string, r.body, Date.now())).toBeUndefined();
        expect(signatureProblem('a-wrong-key', r.headers['x-breakwater-timestamp'] as string, r.headers['x-breakwater-signature'] as string, r.body, Date.now())).toMatch(/does not match/);
        expect(JSON.parse(r.body)).toMatchObject({ integration: 'flaky-hook', event: { id: fired.id, type: 'alarm_fired', alarm: 'trip-wire' } });
      }

      // PagerDuty: triggered, with the mapped severity; then resolved under the same dedup key.
      const trigger = await waitFor('PagerDuty to be triggered', () => received.find((r) => r.path === '/pd/v2/enqueue' && r.body.includes(PD_KEY)), 20_000, 100);
      const sent = JSON.parse(trigger.body) as { event_action: string; dedup_key: string; payload: { severity: string; source: string; component: string } };
      expect(sent).toMatchObject({ event_action: 'trigger', payload: { severity: 'error', source: host.name, component: 'trip-wire' } });
      await rm(join(host.dir, 'run', 'trip'));
      const resolve = await waitFor('PagerDuty to be resolved', () => received.find((r) => r.path === '/pd/v2/enqueue' && r.body.includes('"resolve"') && r.body.includes(PD_KEY)), 30_000, 100);
      expect(JSON.parse(resolve.body)).toEqual({ routing_key: PD_KEY, event_action: 'resolve', dedup_key: sent.dedup_key });

      // What finally failed: the dead webhook after its attempts (real backoff), PagerDuty's refusal at once.
      const failed = await waitFor('the dead webhook to be given up', async () => {
        const list = await lab.api<Delivery[]>('/api/v1/deliveries');
        return list.some((d) => d.integration === 'dead-hook') && list.some((d) => d.integration === 'pager-refused' && d.eventType === 'alarm_fired') ? list : undefined;
      }, 90_000, 500);
      const dead = failed.find((d) => d.integration === 'dead-hook')!;
      expect(dead).toMatchObject({ type: 'webhook', eventId: fired.id, eventType: 'alarm_fired', status: 'failed', attempts: 6, httpStatus: 503, error: 'HTTP 503 (gave up after 6 attempts)' });
      expect(dead.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dead$/);
      expect(received.filter((r) => r.path === '/dead')).toHaveLength(6);
      const refused = failed.find((d) => d.integration === 'pager-refused' && d.eventType === 'alarm_fired')!;
      expect(refused).toMatchObject({ type: 'pagerduty', attempts: 1, httpStatus: 400, error: 'PagerDuty answered HTTP 400: Event object is invalid; Invalid routing key <routing key> (not retried)' });
      expect(failed.some((d) => d.integration === 'flaky-hook' || d.integration === 'pager')).toBe(false);
      // The list filters, and a viewer may read it.
      expect((await lab.api<Delivery[]>('/api/v1/deliveries?integration=dead-hook')).map((d) => d.integration)).toEqual(['dead-hook']);

      // The CLI: JSON like the API, and a table.
      const json = await cli(lab, ['get', 'deliveries', '--json']);
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.stringify(json.stdout)).toContain('dead-hook');
      const table = await cli(lab, ['get', 'deliveries']);
      expect(table.code, table.stderr).toBe(0);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^TIME\s+INTEGRATION\s+TYPE\s+EVENT\s+ATTEMPTS\s+STATUS\s+ERROR$/);
      expect(lines.find((l) => l.includes('dead-hook'))).toMatch(/dead-hook\s+webhook\s+alarm_fired\s+6\s+503\s+HTTP 503 \(gave up after 6 attempts\)/);

      // No secret anywhere people read: records, CLI output, the server's log.
      const logs = await readdir(join(lab.dir, 'logs'));
      const log = (await Promise.all(logs.filter((f) => f.startsWith('server')).map((f) => readFile(join(lab.dir, 'logs', f), 'utf8')))).join('\n');
      for (const secret of [HOOK_KEY, PD_KEY, PD_BAD]) {
        for (const [where, text] of [['records', JSON.stringify(failed)], ['cli', json.stdout + table.stdout], ['log', log]] as const) expect(text.includes(secret), `${where} holds a secret`).toBe(false);
      }
    }, 200_000);
});
