/*
 * Shared by the failure tests of the scaled mode (test/scaled-failures-*.test.ts): a `lab
 * --scaled` (real replicas `breakwater server --store … --bus …`, real agents on NATS, a
 * database and a prefix of its own), SIGKILL of one replica, the API of one replica, and SQL on
 * the lab's database: what an operator would look at after a failure.
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import type { Lab, LabOptions, LabReplica } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';

export type { Lab, LabReplica };

/** Starts a scaled lab of `hosts` agents and `replicas` control planes; `nats`/`postgres` override the machine's. */
export function startScaledLab(options: { hosts: number; replicas: number; nats?: string; postgres?: string; env?: NodeJS.ProcessEnv }): Promise<Lab> {
  const lab: LabOptions = {
    hosts: options.hosts,
    scaled: { replicas: options.replicas, ...(options.nats ? { nats: options.nats } : {}), ...(options.postgres ? { postgres: options.postgres } : {}) },
    ...(options.env ? { env: options.env } : {}),
  };
  return startLab(lab);
}

/** SIGKILLs a process and resolves once it has exited (no clean shutdown: what a crash or OOM kill does). */
export async function sigkill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Calls one replica's API with the lab's admin token; throws with the status and body unless 2xx. */
export async function replicaApi<T = unknown>(lab: Lab, replica: LabReplica, path: string, body?: unknown): Promise<T> {
  const res = await lab.fetch(`${replica.server}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${lab.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${replica.server}${path} answered HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Rows of a query on the lab's own database (the replicas' store). */
export async function sql<T extends Record<string, unknown>>(lab: Lab, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: lab.scaled!.store, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Applies definition files through one replica (POST /api/v1/definitions/apply on the current version). */
export async function applyThrough(lab: Lab, replica: LabReplica, files: Record<string, string>): Promise<{ version: number }> {
  const current = await replicaApi<{ version: number }>(lab, replica, '/api/v1/definitions');
  return replicaApi<{ version: number }>(lab, replica, '/api/v1/definitions/apply', {
    files: Object.entries(files).map(([path, text]) => ({ path, text })),
    baseVersion: current.version,
  });
}

/**
 * Polls `probe` until it returns something other than undefined/false/null, or fails after
 * `timeoutMs` naming `what` and the last value or error seen. Never a timed assertion: the
 * deadline only keeps a broken system from hanging the test.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
