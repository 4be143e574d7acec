import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './scaled-failures-services.js';

/*
 * Debian's real Prometheus, started by a test in the foreground on loopback with a data directory
 * of its own, scraping what the test names every second; its HTTP API is how the test reads it.
 */

export const PROMETHEUS = process.env.BREAKWATER_PROMETHEUS ?? '/usr/bin/prometheus';

/** Why Prometheus cannot run here, or undefined when it can. Throws on CI (BREAKWATER_REQUIRE_SERVICES=1). */
export function prometheusUnavailable(suite: string): string | undefined {
  if (existsSync(PROMETHEUS)) return undefined;
  const reason = `${PROMETHEUS} missing (install it: apt-get install -y prometheus)`;
  if (process.env.BREAKWATER_REQUIRE_SERVICES === '1') throw new Error(`${suite}: ${reason}; BREAKWATER_REQUIRE_SERVICES=1 makes this a failure`);
  console.warn(`\n⚠  SKIPPING ${suite}: ${reason}.\n`);
  return reason;
}

/** One scrape job as prometheus.yml says it (written as JSON, which is YAML). */
export interface ScrapeJob {
  readonly job_name: string;
  readonly scheme?: 'http' | 'https';
  readonly authorization?: { readonly type: 'Bearer'; readonly credentials_file: string };
  readonly tls_config?: { readonly ca_file: string };
  readonly static_configs: readonly { readonly targets: readonly string[] }[];
}

export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>`: its web UI and API. */
  readonly url: string;
  readonly dir: string;
  /** Its log (stderr), for a failing test's message. */
  log(): string;
  /** GET /api/v1/<path>: the `data` of a `success` answer, else it throws with the answer. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus scraping `jobs` every second (a prometheus.yml in a fresh directory, its own
 * TSDB there, its web on a free loopback port); resolves once its API answers.
 *
 * @example
 * const prom = await startPrometheus([{ job_name: 'agents', static_configs: [{ targets: ['127.0.0.1:9464'] }] }]);
 * const targets = await prom.api<{ activeTargets: { health: string }[] }>('targets');
 */
export async function startPrometheus(jobs: readonly ScrapeJob[]): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'bw-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, JSON.stringify({ global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' }, scrape_configs: jobs }, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running: RunningPrometheus = {
    url,
    dir,
    log: () => log,
    async api<T>(path: string): Promise<T> {
      const res = await fetch(`${url}/api/v1/${path}`);
      const body = (await res.json()) as { status: string; data: T };
      if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${JSON.stringify(body)}`);
      return body.data;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Prometheus exited (${child.exitCode}): ${log}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) return running;
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(`Prometheus did not become ready: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
