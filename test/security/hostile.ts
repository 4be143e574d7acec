import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { BIN, ROOT } from '../helpers.js';

/*
 * Tools for hostile-peer tests: a control plane in a child process (so a crash shows as an exit,
 * not as a failure hidden in the test runner), raw TCP clients, and hand-made WebSocket frames.
 */

/** Generous: only turns a hang into a failure. */
export const HANG_MS = 15_000;

export interface ChildServer {
  readonly url: string;
  readonly port: number;
  readonly admin: string;
  readonly pid: number;
  /** Set once the process exited: the code or signal, and the end of its stderr (the crash). */
  readonly exited: { code: number | null; signal: string | null; stderr: string } | undefined;
  /** The end of what the server wrote to stderr (its log lines) so far. */
  stderr(): string;
  /** Resident memory of the server process, bytes (Linux /proc). */
  rssBytes(): number;
  stop(): Promise<void>;
}

/**
 * The child server of one test file: started before all its tests and handed to `started`,
 * stopped after them.
 *
 * @example
 * let server: ChildServer;
 * childServerForFile((s) => (server = s));
 */
export function childServerForFile(started: (server: ChildServer) => void): void {
  let server: ChildServer | undefined;
  beforeAll(async () => {
    server = await startChildServer();
    started(server);
  });
  afterAll(async () => {
    await server?.stop();
  });
}

/**
 * Starts `breakwater server` (the built dist/) on a free loopback port with a fresh data directory.
 * Plain HTTP (`--no-tls`, as behind a TLS-terminating proxy): these tests write raw bytes at the
 * HTTP and WebSocket parsers, which are the same behind TLS; TLS itself is tested in tls.test.ts.
 */
export async function startChildServer(): Promise<ChildServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bw-hostile-'));
  const child: ChildProcess = spawn(process.execPath, [BIN, 'server', '--no-tls', '--port', '0', '--data', dataDir, '--log-level', 'warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  let exited: ChildServer['exited'];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    // Only the tail is kept: a hostile test may make the server log a lot.
    stderr = (stderr + d).slice(-20_000);
  });
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal, stderr };
      resolve();
    }),
  );
  const deadline = Date.now() + HANG_MS;
  while (!/BREAKWATER_SERVER=(\S+)/.test(stdout) || !/BREAKWATER_TOKEN=(\S+)/.test(stderr)) {
    if (exited || Date.now() > deadline) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = (/BREAKWATER_SERVER=(\S+)/.exec(stdout) as RegExpExecArray)[1] as string;
  const admin = (/BREAKWATER_TOKEN=(\S+)/.exec(stderr) as RegExpExecArray)[1] as string;
  return {
    url,
    port: Number(new URL(url).port),
    admin,
    pid: child.pid as number,
    get exited() {
      return exited;
    },
    stderr: () => stderr,
    rssBytes: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `GET /healthz` answers 200: the server is alive and serving HTTP. */
export async function healthy(server: ChildServer): Promise<boolean> {
  try {
    const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(HANG_MS) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Creates a join token and enrolls an agent by name; returns its credential. */
export async function enrollAgent(server: ChildServer, name: string): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${server.admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'agent', name: `join-${name}` }) });
  const join = ((await res.json()) as { token: string }).token;
  const enrolled = await fetch(`${server.url}/api/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: join, name, hostId: `id-${name}` }) });
  if (enrolled.status !== 200) throw new Error(`enroll ${name}: HTTP ${enrolled.status}`);
  return ((await enrolled.json()) as { credential: string }).credential;
}

/** A raw TCP connection to the server; errors (a reset by the server) are expected and ignored. */
export function rawSocket(server: ChildServer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
    socket.on('error', () => undefined);
  });
}

/** Resolves when the socket closes (either side), or after `ms` at the latest. */
export function closed(socket: Socket, ms = HANG_MS): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Opens the agent WebSocket by hand (a raw socket, the upgrade request written byte by byte as we
 * choose), with or without a credential; resolves with the socket once the 101 answer arrived.
 */
export async function upgradedSocket(server: ChildServer, credential: string | undefined): Promise<Socket> {
  const socket = await rawSocket(server);
  const key = randomBytes(16).toString('base64');
  socket.write(`GET /api/v1/agents/connect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${credential ? `Authorization: Bearer ${credential}\r\n` : ''}\r\n`);
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed during the upgrade')));
  });
  return socket;
}

export interface FrameSpec {
  readonly fin?: boolean;
  /** RSV1..3 as a 3-bit number. */
  readonly rsv?: number;
  readonly opcode: number;
  /** Client frames must be masked; false sends an unmasked frame. */
  readonly masked?: boolean;
  readonly payload?: Buffer;
  /** Announce this length instead of the payload's (a lie, or a huge length). */
  readonly length?: number;
}

/** Encodes one WebSocket frame as a client would (RFC 6455 §5.2), including malformed ones. */
export function frame(spec: FrameSpec): Buffer {
  const payload = spec.payload ?? Buffer.alloc(0);
  const length = spec.length ?? payload.length;
  const masked = spec.masked ?? true;
  const first = ((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0x0f);
  let head: Buffer;
  if (length < 126) head = Buffer.from([first, (masked ? 0x80 : 0) | length]);
  else if (length < 65536) {
    head = Buffer.alloc(4);
    head[0] = first;
    head[1] = (masked ? 0x80 : 0) | 126;
    head.writeUInt16BE(length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = (masked ? 0x80 : 0) | 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!masked) return Buffer.concat([head, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([head, mask, body]);
}

/** A close frame's payload: the code, then the reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same inputs, so a failure can be replayed. */
export function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    /** An integer in [0, n). */
    int,
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}

export type Random = ReturnType<typeof seeded>;

/** Flips, inserts, deletes or overwrites a few bytes of `input`, or cuts it short. */
export function mutate(random: Random, input: Buffer): Buffer {
  const out = [...input];
  for (let n = 1 + random.int(4); n > 0; n--) {
    const at = random.int(out.length + 1);
    switch (random.int(5)) {
      case 0:
        if (out.length) out[at % out.length] = (out[at % out.length] as number) ^ (1 << random.int(8));
        break;
      case 1:
        out.splice(at, 0, ...random.bytes(1 + random.int(8)));
        break;
      case 2:
        out.splice(at, 1 + random.int(8));
        break;
      case 3:
        if (out.length) out[at % out.length] = random.int(256);
        break;
      default:
        out.length = Math.min(out.length, at);
    }
  }
  return Buffer.from(out);
}

/**
 * Runs `count` hostile exchanges, `parallel` at a time; after every `checkEvery` the server must
 * still answer GET /healthz and be running. Each exchange bounds its own time.
 */
export async function hammer(server: ChildServer, count: number, parallel: number, checkEvery: number, exchange: (i: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < count; start += checkEvery) {
    let next = start;
    const end = Math.min(count, start + checkEvery);
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < end) await exchange(next++);
      }),
    );
    if (server.exited || !(await healthy(server))) throw new Error(`after input ${end} of ${count} the server is down: ${JSON.stringify(server.exited)}`);
  }
}

/** Ends a socket the way a hostile client might: politely, abruptly (RST), or by leaving it half-open until `closed` gives up. */
export async function hangUp(random: Random, socket: Socket, waitMs: number): Promise<void> {
  const how = random.int(3);
  if (how === 0) socket.resetAndDestroy();
  else if (how === 1) socket.end();
  if (!(await closed(socket, waitMs))) socket.destroy();
}
