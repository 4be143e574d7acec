import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The machine's nats-server (BREAKWATER_TEST_NATS_SERVER overrides it). */
export const NATS_SERVER_BIN = process.env.BREAKWATER_TEST_NATS_SERVER ?? '/usr/sbin/nats-server';

/** A nats-server process of a test's own: loopback, a port of its own, JetStream in a temporary directory. */
export interface NatsServerProcess {
  readonly url: string;
  /** The directory holding its configuration and JetStream store (removed by stop). */
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * Starts a nats-server with `config` (the body of its configuration: accounts, includes…) plus a
 * loopback listener on a free port and a JetStream store in a temporary directory; files are
 * written beside the configuration first, so `include` can name them. Never the shared server.
 *
 * @example
 * const nats = await startNatsServer('include nats-accounts.conf', { 'nats-accounts.conf': text });
 */
export async function startNatsServer(config: string, files: Readonly<Record<string, string>> = {}): Promise<NatsServerProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'bw-nats-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text, { mode: 0o600 });
  // The JetStream block after the config: it sets the store directory even where an include enabled JetStream.
  const main = `listen: "127.0.0.1:-1"\n${config}\njetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }\n`;
  await writeFile(join(dir, 'server.conf'), main);
  const child = spawn(NATS_SERVER_BIN, ['-c', join(dir, 'server.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = await listeningPort(child);
    return { url: `nats://127.0.0.1:${port}`, dir, stop: () => stop(child, dir) };
  } catch (err) {
    await stop(child, dir);
    throw err;
  }
}

/** The port from the server's "Listening for client connections on 127.0.0.1:N" line; its log if it exits first. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    // Configuration errors go to stdout, the log to stderr.
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        log = (log + chunk).slice(-20_000);
        const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
        if (m) resolve(Number(m[1]));
      });
    }
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`nats-server exited (${code}) before listening:\n${log}`)));
  });
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
}
