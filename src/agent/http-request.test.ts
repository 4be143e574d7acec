import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidUrlError, request } from './http-request.js';

// A real HTTP server on loopback: the client is checked against Node's own server, not a fake.
const server = createServer((req, res) => {
  if (req.url === '/echo') {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'], body }));
    });
  } else if (req.url === '/big') {
    res.end('x'.repeat(10_000));
  } else if (req.url === '/hang') {
    // never answers
  } else if (req.url === '/redirect') {
    res.writeHead(302, { location: '/echo' }).end();
  } else {
    res.writeHead(404, 'Nothing Here').end('missing');
  }
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('request', () => {
  it('sends a body with its headers and reads status and body', async () => {
    const res = await request(new URL('/echo', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"é"}', timeoutMs: 5000 });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toEqual({ method: 'POST', type: 'application/json', body: '{"a":"é"}' });
  });

  it('returns error statuses rather than throwing, with the status text', async () => {
    const res = await request(`${base}/nope`, { timeoutMs: 5000 });
    expect(res).toMatchObject({ status: 404, statusText: 'Nothing Here', body: 'missing' });
  });

  it('does not follow redirects', async () => {
    expect((await request(`${base}/redirect`, { timeoutMs: 5000, readBody: false })).status).toBe(302);
  });

  it('refuses a body larger than the cap', async () => {
    await expect(request(`${base}/big`, { timeoutMs: 5000, maxBodyBytes: 1000 })).rejects.toThrow(/larger than 1000 bytes/);
  });

  it('gives up after the timeout, naming the server', async () => {
    await expect(request(`${base}/hang`, { timeoutMs: 200 })).rejects.toThrow(`no answer from ${base} within 200 ms`);
  });

  it('names a bad URL or scheme', async () => {
    await expect(request('not a url', { timeoutMs: 1000 })).rejects.toBeInstanceOf(InvalidUrlError);
    await expect(request('ftp://example.com/x', { timeoutMs: 1000 })).rejects.toThrow('"ftp://example.com/x": only http: and https: are supported');
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(request(`http://127.0.0.1:${port}/`, { timeoutMs: 2000 })).rejects.toThrow(/ECONNREFUSED/);
  });
});
