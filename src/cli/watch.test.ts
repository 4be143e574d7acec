import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { LISTINGS } from './admin-commands.js';
import { watchAgents } from './watch.js';

let close: (() => void) | undefined;
afterEach(() => close?.());

/** A control plane whose GET /api/v1/agents gives each answer in turn (a number: that HTTP status), then the last one again. */
async function agentsServer(answers: readonly (number | readonly object[])[]): Promise<string> {
  let asked = 0;
  const server = createServer((_req, res) => {
    const answer = answers[Math.min(asked++, answers.length - 1)];
    if (typeof answer === 'number') {
      res.writeHead(answer, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'BW_ERR_UNAVAILABLE', message: 'store unreachable' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  close = () => server.close();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('get agents --watch', () => {
  it('a failed poll is said once on stderr and the watch goes on; the change after it is printed; Ctrl-C ends it with 0', async () => {
    const web1 = (status: string) => ({ name: 'web-1', status, tags: {}, lastSeenAt: 1 });
    const url = await agentsServer([[web1('connected')], 503, 503, [web1('disconnected')]]);
    let out = '';
    let err = '';
    const stdout = new PassThrough().on('data', (c: Buffer) => (out += c.toString()));
    const stderr = new PassThrough().on('data', (c: Buffer) => (err += c.toString()));
    const watching = watchAgents({ server: url, token: 'bwt_x' }, 'json', LISTINGS.agents, { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1' } });
    for (let i = 0; i < 100 && !out.includes('disconnected'); i++) await new Promise((r) => setTimeout(r, 100));
    process.emit('SIGINT');
    expect(await watching).toBe(0);
    expect(out.trim().split('\n').map((l) => (JSON.parse(l) as { status: string }).status)).toEqual(['connected', 'disconnected']);
    expect(err.match(/cannot list the agents/g)).toHaveLength(1);
    expect(err).toContain('the agents are listed again');
  }, 20_000);
});
