/*
 * Services of a failure test's own that it can stop and start again on the same port with the
 * same data: a nats-server (JetStream store kept across restarts) and a private PostgreSQL
 * cluster (initdb + pg_ctl as the `postgres` OS user). Never the machine's shared ones.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NATS_SERVER_BIN } from './nats-server-process.js';

const run = promisify(execFile);

/** A service a test stops and starts again; `url` stays the same. */
export interface RestartableService {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it (if running) and removes its data. */
  remove(): Promise<void>;
}

/** A free loopback port (the listener is closed before it is used: a tiny race, fine in tests). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const port = (server.address() as { port: number }).port;
  await new Promise((closed) => server.close(closed));
  return port;
}

/** A nats-server with JetStream on a port of its own; stop is SIGTERM, start reuses port and store. */
export async function startRestartableNats(): Promise<RestartableService> {
  const dir = await mkdtemp(join(tmpdir(), 'bw-nats-restart-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    await new Promise<void>((ready, fail) => {
      let log = '';
      for (const stream of [c.stdout, c.stderr]) {
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          log = (log + chunk).slice(-20_000);
          if (/Server is ready/.test(log)) ready();
        });
      }
      c.once('exit', (code) => fail(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)));
    });
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    start,
    stop,
    async remove() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The machine's PostgreSQL binaries (initdb, pg_ctl), the newest version installed. */
function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return join('/usr/lib/postgresql', versions[0]!, 'bin');
}

/**
 * A private PostgreSQL cluster (trust auth, user postgres) in a temporary directory, run as the
 * `postgres` OS user through runuser: this process is root, and PostgreSQL refuses to run as root.
 */
export async function startPrivatePostgres(): Promise<RestartableService> {
  const dir = await mkdtemp(join(tmpdir(), 'bw-pg-restart-'));
  const { stdout } = await run('id', ['-u', 'postgres']);
  const uid = Number(stdout.trim());
  const { stdout: gidOut } = await run('id', ['-g', 'postgres']);
  await chown(dir, uid, Number(gidOut.trim()));
  const port = await freePort();
  const bin = postgresBin();
  const data = join(dir, 'data');
  const asPostgres = (program: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args]);
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const start = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  };
  // Fast: every session is ended at once, as a crash or a failover does to its clients.
  const stop = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']).catch((err: unknown) => {
      if (!/is the server running|No such file|PID file .* does not exist/i.test(String((err as { stderr?: string }).stderr ?? err))) throw err;
    });
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async remove() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
