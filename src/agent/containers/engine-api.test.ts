import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINE_LIMITS, engineRestartCount, listEngineContainers, parseEngineList, parseRestartCount } from './engine-api.js';

const ID = '611bd1a08e060e318d06339ca1b540a3d20bca0f2b9d7db791790d4813031411';
const PODMAN_ANSWER = readFileSync(new URL('./fixtures/podman-containers-json.json', import.meta.url), 'utf8');

describe('parseEngineList', () => {
  it('reads podman’s real answer to GET /containers/json', () => {
    expect(parseEngineList(PODMAN_ANSWER)).toEqual(
      new Map([
        [ID, { name: 'bwfix', image: '', state: 'running', created: 1796537984, labels: { app: 'checkout', 'io.kubernetes.container.name': 'web', 'io.kubernetes.pod.name': 'checkout-7d9f8', 'io.kubernetes.pod.namespace': 'shop' } }],
      ]),
    );
  });

  it('says what is wrong with a body that is no list', () => {
    expect(() => parseEngineList('<html>')).toThrow('answer is not JSON');
    expect(() => parseEngineList('{"message":"page not found"}')).toThrow('answer is not a list of containers');
  });

  it('skips entries without a proper id; bounds labels a container set itself', () => {
    const labels = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`l${i}`, 'v'.repeat(5000)]));
    const body = JSON.stringify([{ Id: 'short' }, null, 7, { Id: ID, Names: [{}], Labels: { ...labels, n: 5, __proto__: 'x' }, Created: 'yesterday' }]);
    const c = parseEngineList(body).get(ID);
    expect(c?.name).toBe('');
    expect(c?.created).toBeUndefined();
    expect(Object.keys(c?.labels ?? {})).toHaveLength(ENGINE_LIMITS.maxLabels);
    expect(Object.values(c?.labels ?? {}).every((v) => v.length === ENGINE_LIMITS.maxText)).toBe(true);
  });

  it('never throws on hostile JSON lists, and keeps only 64-hex ids (bounded fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ Id: fc.constantFrom(ID, 'x'), Names: fc.jsonValue({ maxDepth: 2 }), Labels: fc.jsonValue({ maxDepth: 2 }), State: fc.jsonValue({ maxDepth: 1 }) })), { maxLength: 8 }), (items) => {
        for (const [id, c] of parseEngineList(JSON.stringify(items))) {
          expect(id).toMatch(/^[0-9a-f]{64}$/);
          expect(Object.values(c.labels).every((v) => typeof v === 'string')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseRestartCount', () => {
  it('reads RestartCount of an inspection; none when absent or not a count; says when the body is no container', () => {
    expect(parseRestartCount('{"Id":"x","RestartCount":3,"State":{"Pid":7}}')).toBe(3);
    for (const body of ['{}', '{"RestartCount":-1}', '{"RestartCount":"3"}', '{"RestartCount":1.5}', '{"RestartCount":1e300}']) expect(parseRestartCount(body), body).toBeUndefined();
    expect(() => parseRestartCount('[]')).toThrow('answer is not a container');
    expect(() => parseRestartCount('nope')).toThrow('answer is not JSON');
  });

  it('never throws but its two errors on hostile JSON (bounded fuzz)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        try {
          const n = parseRestartCount(JSON.stringify(value));
          expect(n === undefined || Number.isSafeInteger(n)).toBe(true);
        } catch (err) {
          expect((err as Error).message).toBe('answer is not a container');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('listEngineContainers over a Unix socket (a real HTTP server)', () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server?.closeAllConnections();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'bw-engine-'));
    const socket = join(dir, 'engine.sock');
    server = createServer(handler);
    await new Promise<void>((resolve) => server?.listen(socket, resolve));
    return socket;
  }

  it('asks GET /containers/json and reads the answer', async () => {
    const paths: string[] = [];
    const socket = await serve((req, res) => {
      paths.push(`${req.method} ${req.url}`);
      res.end(PODMAN_ANSWER);
    });
    expect([...(await listEngineContainers(socket)).keys()]).toEqual([ID]);
    expect(paths).toEqual(['GET /containers/json']);
    await expect(engineRestartCount(socket, ID)).rejects.toThrow('answer is not a container');
    expect(paths).toEqual(['GET /containers/json', `GET /containers/${ID}/json`]);
    // An id goes into the request's path only when it is one.
    await expect(engineRestartCount(socket, '../../version')).rejects.toThrow('not a container id: "../../version"');
  });

  it('rejects, naming the socket, on an error status, a slow or dripping answer, an oversized answer, no socket', async () => {
    let mode = 'status';
    const socket = await serve((_req, res) => {
      if (mode === 'status') res.writeHead(500).end('{}');
      else if (mode === 'big') {
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        for (let i = 0; i <= ENGINE_LIMITS.maxBodyBytes / chunk.length; i++) res.write(chunk);
        res.end();
      }
      else if (mode === 'drip') {
        res.write('[');
        const drip = setInterval(() => res.write(' '), 50);
        res.on('close', () => clearInterval(drip));
      }
      // 'slow': never answers
    });
    await expect(listEngineContainers(socket)).rejects.toThrow(`container runtime at ${socket}: HTTP 500 for GET /containers/json`);
    mode = 'slow';
    await expect(listEngineContainers(socket, 200)).rejects.toThrow('no answer within 200 ms');
    mode = 'drip';
    await expect(listEngineContainers(socket, 300)).rejects.toThrow('no answer within 300 ms');
    mode = 'big';
    await expect(listEngineContainers(socket)).rejects.toThrow(`answer larger than ${ENGINE_LIMITS.maxBodyBytes} bytes`);
    await expect(listEngineContainers(`${socket}.missing`)).rejects.toThrow(/ENOENT/);
  });
});
