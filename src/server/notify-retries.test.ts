import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../protocol/index.js';
import { serverLogger } from './log.js';
import { Notifier } from './notify.js';

/*
 * Retries, backoff and giving up, against a real webhook on 127.0.0.1. The waits between attempts
 * go through an injected sleep that records what it was asked for and returns at once, so the
 * backoff is asserted as the delays requested, not as wall-clock time.
 */

const event = (id: string): FleetEvent => ({
  id, time: 1, type: 'alarm_fired', host: 'web-1', resource: 'web-1', alarm: 'disk_full', bot: null, action: null,
  severity: 'critical', runId: null, principal: null, message: 'disk full', value: 95, details: {},
});

/** The status a webhook answers its `n`-th post (from 1) with; undefined: it never answers. */
type Answer = (n: number) => number | undefined;

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

/** A webhook that answers as `answer` says; it records each post's event id. */
async function webhook(answer: Answer) {
  const posts: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
      posts.push((JSON.parse(body) as { event: FleetEvent }).event.id);
      const status = answer(posts.length);
      if (status !== undefined) res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const handle = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    posts,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  open.push(handle);
  return handle;
}

/** A notifier whose log lines and requested backoff delays are recorded; `deliver` notifies and waits. */
function notifier(urls: string[], timeoutMs?: number) {
  const logs: { level: number; msg: string; attempt?: number; status?: number; url?: string }[] = [];
  const sleeps: number[] = [];
  const logger = serverLogger('warn', new Writable({ write: (chunk: Buffer, _e, done) => {
    logs.push(JSON.parse(chunk.toString('utf8')) as (typeof logs)[number]);
    done();
  } }));
  const n = new Notifier(urls, logger, undefined, {
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  const deliver = async (...events: FleetEvent[]) => {
    for (const e of events) n.notify(e);
    await n.drain();
  };
  return { deliver, logs, sleeps };
}

describe('Notifier retries', () => {
  it('retries a webhook that fails the first two posts, backing off 1 s then 2 s, and stops at the first success', async () => {
    const hook = await webhook((n) => (n <= 2 ? 503 : 204));
    const { deliver, logs, sleeps } = notifier([hook.url]);
    await deliver(event('e-1'));
    expect(hook.posts).toEqual(['e-1', 'e-1', 'e-1']);
    expect(sleeps).toEqual([1000, 2000]);
    expect(logs.map((l) => [l.msg, l.attempt, l.status])).toEqual([
      ['webhook refused the notification', 1, 503],
      ['webhook refused the notification', 2, 503],
    ]);
  });

  it('gives up after three attempts on a webhook that always fails, and says so in the log', async () => {
    const hook = await webhook(() => 500);
    const { deliver, logs, sleeps } = notifier([hook.url]);
    await deliver(event('e-2'));
    expect(hook.posts).toEqual(['e-2', 'e-2', 'e-2']);
    expect(sleeps).toEqual([1000, 2000]);
    expect(logs.map((l) => l.msg)).toEqual([
      'webhook refused the notification',
      'webhook refused the notification',
      'webhook refused the notification',
      'gave up notifying after 3 attempts',
    ]);
    expect(logs.at(-1)?.level).toBe(50);
    // A second event is delivered afresh: giving up on one does not blacklist the webhook.
    await deliver(event('e-3'));
    expect(hook.posts.filter((p) => p === 'e-3')).toHaveLength(3);
  });

  it('abandons an attempt that hangs past the timeout and tries again, then gives up', async () => {
    // Never answers: each attempt ends by the notifier's timeout, not by the webhook.
    const hook = await webhook(() => undefined);
    const { deliver, logs, sleeps } = notifier([hook.url], 100);
    await deliver(event('e-4'));
    expect(hook.posts).toEqual(['e-4', 'e-4', 'e-4']);
    expect(sleeps).toEqual([1000, 2000]);
    expect(logs.map((l) => [l.msg, l.attempt])).toEqual([
      ['webhook unreachable', 1],
      ['webhook unreachable', 2],
      ['webhook unreachable', 3],
      ['gave up notifying after 3 attempts', undefined],
    ]);
  });

  it('delivers to a healthy webhook while another keeps failing, and ignores event types nobody is told about', async () => {
    const bad = await webhook(() => 502);
    const good = await webhook(() => 200);
    const { deliver } = notifier([bad.url, good.url]);
    await deliver({ ...event('e-5'), type: 'bot_ran' }, event('e-6'));
    expect(good.posts).toEqual(['e-6']);
    expect(bad.posts).toEqual(['e-6', 'e-6', 'e-6']);
  });
});
