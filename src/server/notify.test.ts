import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../protocol/index.js';
import { serverLogger } from './log.js';
import { Notifier } from './notify.js';

const event: FleetEvent = {
  id: 'e-1', time: 1, type: 'alarm_fired', host: 'web-1', resource: 'web-1', alarm: 'disk_full', bot: null, action: null,
  severity: 'critical', runId: null, principal: null, message: 'disk full', value: 95, details: {},
};

describe('Notifier', () => {
  it('sends the configured Authorization header to the webhook, with the event as JSON; a silenced event is not sent', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
        received.push({ headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      const port = (hook.address() as { port: number }).port;
      const logger = serverLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
      const notifier = new Notifier([`http://127.0.0.1:${port}/hook`], logger, 'Bearer hook-secret');
      // A silenced alarm's event is recorded elsewhere, never sent.
      notifier.notify({ ...event, id: 'e-0', details: { silenced: { id: 's-1', by: 'ops', until: 2, reason: 'disk swap' } } });
      notifier.notify(event);
      await notifier.drain();
      expect(received).toHaveLength(1);
      expect(received[0]?.headers.authorization).toBe('Bearer hook-secret');
      expect(JSON.parse(received[0]?.body ?? '')).toEqual({ event });
    } finally {
      await new Promise((resolve) => hook.close(resolve));
    }
  });
});
