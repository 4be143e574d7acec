import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { Http2Server, ServerHttp2Stream } from 'node:http2';
import { createServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { listCriContainers, parseCriContainers, parseCriSandboxes } from './cri-api.js';
import { ENGINE_LIMITS } from './engine-api.js';
import { ProtobufError, encodeMessage } from './protobuf.js';

const ID = 'a'.repeat(64);
const SANDBOX = 'b'.repeat(64);
const UID = '8f3a2b1c-4d5e-4f60-9a7b-0c1d2e3f4a5b';
const entry = (k: string, v: string) => encodeMessage([[1, k], [2, v]]);

/** A ListPodSandboxResponse with one sandbox (PodSandbox: id 1, metadata 2 {name 1, uid 2, namespace 3}). */
const SANDBOXES = encodeMessage([[1, encodeMessage([[1, SANDBOX], [2, encodeMessage([[1, 'checkout-7d9f'], [2, UID], [3, 'shop'], [4, 0]])], [3, 0]])]]);

/** A Container (id 1, pod_sandbox_id 2, metadata 3 {name, attempt}, image 4 {image 1, user_specified_image 18}, state 6, created_at 7 ns, labels 8). */
function container(id: string, more: readonly (readonly [number, number | bigint | string | Buffer])[] = []): Buffer {
  return encodeMessage([[1, id], [2, SANDBOX], [3, encodeMessage([[1, 'web'], [2, 4]])], [4, encodeMessage([[1, 'sha256:1234'], [18, 'nginx:1.27']])], [5, 'docker.io/library/nginx@sha256:1234'], [6, 1], [7, 1_796_537_984_123_456_789n], [8, entry('app', 'checkout')], ...more]);
}
const CONTAINERS = encodeMessage([[1, container(ID)]]);

describe('parseCriContainers', () => {
  it('reads a container: its CRI name, the image as the pod names it, state, created, labels, attempt as its restarts; its pod from the sandbox', () => {
    expect(parseCriContainers(CONTAINERS, parseCriSandboxes(SANDBOXES))).toEqual(
      new Map([
        [
          ID,
          {
            name: 'web',
            image: 'nginx:1.27',
            state: 'running',
            created: 1_796_537_984,
            restartCount: 4,
            labels: { app: 'checkout', 'io.kubernetes.pod.name': 'checkout-7d9f', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.uid': UID, 'io.kubernetes.container.name': 'web' },
          },
        ],
      ]),
    );
  });

  it('keeps the kubelet’s own labels; skips entries without a proper id; bounds what a container set itself', () => {
    const labels = Array.from({ length: 300 }, (_, i) => [8, entry(`l${i}`, 'v'.repeat(5000))] as const);
    const kubelet = container(ID, [[8, entry('io.kubernetes.pod.name', 'real')], [8, entry('__proto__', 'x')], ...labels]);
    const answer = encodeMessage([[1, container('short')], [1, kubelet], [2, 'ignored']]);
    const c = parseCriContainers(answer, parseCriSandboxes(SANDBOXES)).get(ID);
    expect(c?.labels['io.kubernetes.pod.name']).toBe('real');
    expect(c?.labels['io.kubernetes.pod.namespace']).toBeUndefined();
    expect(Object.hasOwn(c?.labels ?? {}, '__proto__')).toBe(false);
    expect(Object.keys(c?.labels ?? {})).toHaveLength(ENGINE_LIMITS.maxLabels);
    expect(Object.values(c?.labels ?? {}).every((v) => v.length <= ENGINE_LIMITS.maxText)).toBe(true);
    expect([...parseCriContainers(answer, new Map()).keys()]).toEqual([ID]);
  });

  it('never throws but a ProtobufError on hostile answers, and keeps only 64-hex ids (bounded fuzz)', () => {
    const field = fc.tuple(fc.integer({ min: 1, max: 20 }), fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.string({ maxLength: 70 }), fc.constant(ID)));
    const message = fc.array(field, { maxLength: 10 }).map((fields) => encodeMessage(fields));
    const answer = fc.array(fc.oneof(message, message.map((m) => Buffer.concat([container(ID), m])), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))), { maxLength: 5 });
    fc.assert(
      fc.property(answer, answer, (containers, sandboxes) => {
        const wrap = (items: Buffer[]) => encodeMessage(items.map((b) => [1, b] as const));
        try {
          for (const [id, c] of parseCriContainers(wrap(containers), parseCriSandboxes(wrap(sandboxes)))) {
            expect(id).toMatch(/^[0-9a-f]{64}$/);
            expect(Object.values(c.labels).every((v) => typeof v === 'string')).toBe(true);
            expect(Number.isSafeInteger(c.restartCount)).toBe(true);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(ProtobufError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('listCriContainers over a Unix socket (a real HTTP/2 server speaking gRPC)', () => {
  let server: Http2Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A gRPC answer: the framed message, then the status in trailers. */
  function answer(stream: ServerHttp2Stream, message: Buffer, status = '0', grpcMessage = ''): void {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': status, ...(grpcMessage ? { 'grpc-message': grpcMessage } : {}) }));
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    stream.end(frame);
  }

  async function serve(handler: (stream: ServerHttp2Stream, path: string, request: Buffer) => void): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'bw-cri-'));
    const socket = join(dir, 'cri.sock');
    server = createServer();
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => handler(stream, String(headers[':path']), Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server?.listen(socket, resolve));
    return socket;
  }

  it('asks ListPodSandbox and ListContainers (running only) of runtime.v1.RuntimeService and reads the answers', async () => {
    const asked: string[] = [];
    const socket = await serve((stream, path, request) => {
      asked.push(`${path} ${request.toString('hex')}`);
      answer(stream, path.endsWith('/ListPodSandbox') ? SANDBOXES : CONTAINERS);
    });
    const byId = await listCriContainers(socket);
    expect(byId.get(ID)).toMatchObject({ name: 'web', restartCount: 4, labels: { 'io.kubernetes.pod.name': 'checkout-7d9f' } });
    // An empty request; then filter { state { state: CONTAINER_RUNNING } }, framed (flag 0, length 6).
    expect(asked.sort()).toEqual(['/runtime.v1.RuntimeService/ListContainers 00000000060a0412020801', '/runtime.v1.RuntimeService/ListPodSandbox 0000000000']);
  });

  it('rejects, naming the socket and the method, on a gRPC error, a trailers-only error, a malformed or oversized answer, silence, no socket', async () => {
    let mode = 'unimplemented';
    const socket = await serve((stream, path) => {
      if (!path.endsWith('/ListContainers')) return answer(stream, SANDBOXES);
      if (mode === 'unimplemented') answer(stream, Buffer.alloc(0), '12', 'unknown service runtime.v1.RuntimeService');
      else if (mode === 'trailers-only') stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14', 'grpc-message': 'not%20ready' }, { endStream: true });
      else if (mode === 'malformed') answer(stream, Buffer.from([0x0a, 0x7f]));
      else if (mode === 'big') answer(stream, Buffer.alloc(ENGINE_LIMITS.maxBodyBytes + 1));
      else if (mode === 'html') stream.respond({ ':status': 404, 'content-type': 'text/html' }, { endStream: true });
      // 'slow': never answers
    });
    const method = '/runtime.v1.RuntimeService/ListContainers';
    await expect(listCriContainers(socket)).rejects.toThrow(`container runtime at ${socket}: ${method}: gRPC status 12: unknown service runtime.v1.RuntimeService`);
    mode = 'trailers-only';
    await expect(listCriContainers(socket)).rejects.toThrow(`${method}: gRPC status 14: not ready`);
    mode = 'malformed';
    await expect(listCriContainers(socket)).rejects.toThrow(`container runtime at ${socket}: field 1 at byte 1 claims 127 bytes, 0 left`);
    mode = 'big';
    await expect(listCriContainers(socket)).rejects.toThrow(`${method}: answer larger than ${ENGINE_LIMITS.maxBodyBytes} bytes`);
    mode = 'html';
    await expect(listCriContainers(socket)).rejects.toThrow(`${method}: HTTP 404, not a gRPC server`);
    mode = 'slow';
    await expect(listCriContainers(socket, 300)).rejects.toThrow(`container runtime at ${socket}: no answer within 300 ms`);
    await expect(listCriContainers(`${socket}.missing`)).rejects.toThrow(/container runtime at .*missing: .*ENOENT/);
  });

  it('rejects a peer that speaks HTTP/1 (a Docker Engine API socket given as the CRI socket)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-cri-'));
    const socket = join(dir, 'docker.sock');
    const http1 = createHttpServer((_req, res) => res.end('[]'));
    await new Promise<void>((resolve) => http1.listen(socket, resolve));
    try {
      await expect(listCriContainers(socket, 1000)).rejects.toThrow(`container runtime at ${socket}:`);
    } finally {
      http1.closeAllConnections();
      await new Promise((resolve) => http1.close(resolve));
    }
  });
});
