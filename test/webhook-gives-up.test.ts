import { readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import type { FleetEventRow } from './scenarios/scenario-helpers.js';
import { events, labWithDefinitions, waitFor } from './scenarios/scenario-helpers.js';

/*
 * A webhook that is down for good: the control plane tries it three times, gives up and says so in
 * its log, and the alarm is in the fleet's timeline regardless. The real notifier with its real
 * backoff (1 s, 2 s); what is asserted is the attempts, not their timing.
 */

const ALARM = `kind: alarm
name: trip-wire
query: host
fire: ok(\`test -e "$HOST_ROOT/run/trip"\`)
interval: 1s
`;

let receiver: Server;
const posts: string[] = [];
let lab: Lab;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
      posts.push((JSON.parse(body) as { event: FleetEventRow }).event.id);
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as { port: number };
  ({ lab, stop } = await labWithDefinitions({ hosts: 1, webhooks: [`http://127.0.0.1:${port}/hook`] }, { 'alarm.yaml': ALARM }));
}, 60_000);

afterAll(async () => {
  await stop?.();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('a webhook that always fails', () => {
  it('is tried three times for the event, then given up on with a log line; the event stays in the timeline', async () => {
    const host = lab.hosts[0];
    if (!host) throw new Error('no host');
    await writeFile(join(host.dir, 'run', 'trip'), 'tripped\n');
    const fired = await waitFor('the alarm to fire', async () => (await events(lab, { type: 'alarm_fired', alarm: 'trip-wire' }))[0], 20_000, 100);

    const log = join(lab.dir, 'logs', 'server.log');
    const gaveUp = await waitFor('the notifier to give up', async () => {
      const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l.includes('gave up notifying'));
      return lines.find((l) => l.includes(fired.id));
    }, 20_000, 100);
    expect(JSON.parse(gaveUp)).toMatchObject({ msg: 'gave up notifying after 3 attempts', event: fired.id });
    expect(posts.filter((id) => id === fired.id)).toHaveLength(3);
    // The timeline does not depend on the webhook.
    expect((await events(lab, { type: 'alarm_fired', alarm: 'trip-wire' })).map((e) => e.id)).toContain(fired.id);
  }, 60_000);
});
