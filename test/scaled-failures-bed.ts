/*
 * Shared by the failure tests of the scaled mode (test/scaled-failures-*.test.ts): a `lab
 * --scaled` (real replicas `breakwater server --store … --bus …`, real agents on NATS, a
 * database and a prefix of its own), SIGKILL of one replica, the API of one replica, and SQL on
 * the lab's database: what an operator would look at after a failure.
 */
import type { ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Lab, LabOptions, LabReplica } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { runCli } from './helpers.js';
import { outbox, waitFor as waitUntil } from './scenarios/scenario-helpers.js';

export type { Lab, LabReplica };

/** Starts a scaled lab of `hosts` agents and `replicas` control planes; `nats`/`postgres` override the machine's. */
/**
 * A scaled lab for the tests of one describe block: started before them, stopped after. The
 * getter it returns throws when the lab did not start.
 */
export function scaledLabForTests(options: Parameters<typeof startScaledLab>[0]): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await startScaledLab(options);
  }, 120_000);
  afterAll(async () => {
    await lab?.stop();
  }, 60_000);
  return () => {
    if (!lab) throw new Error('the lab did not start');
    return lab;
  };
}

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

/** scenario-helpers' waitFor with a longer default: replicas of a scaled lab take longer to settle. */
export function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  return waitUntil(what, probe, timeoutMs, 250);
}

/**
 * An alarm that fires while `$HOST_ROOT/flag` exists on a host, and a bot that runs an action at
 * each firing: events the test causes at will, on every host, with or without a control plane.
 */
export const FLAG_DEFINITIONS = {
  'flag.yaml': `kind: action
name: note_flag
command: echo "flag seen on $BW_HOST"
resources: [host]
---
kind: alarm
name: flag-up
query: host
fire: ok(\`test -f "$HOST_ROOT/flag"\`)
interval: 1s
---
kind: bot
name: answer-flag
trigger: { alarm: flag-up, on: fired }
action: note_flag
cooldown: 0s
circuit_breaker: { max: 1000, window: 1h }
`,
};
/** What ends a bot's turn at a firing: it ran, or was held back (e.g. no circuit-breaker answer while the store is down). */
const BOT_OUTCOMES = ['bot_ran', 'bot_skipped', 'permit_refused'];
/** The event types FLAG_DEFINITIONS makes. */
export const FLAG_EVENTS = ['alarm_fired', 'alarm_cleared', ...BOT_OUTCOMES];

/** Applies FLAG_DEFINITIONS through `replica` and waits until every agent runs them. */
export async function applyFlags(lab: Lab, replica: LabReplica): Promise<void> {
  const { version } = await applyThrough(lab, replica, FLAG_DEFINITIONS);
  await waitFor('every agent to run the flag definitions', async () => {
    const drift = await replicaApi<{ name: string; version: number | null }[]>(lab, replica, '/api/v1/drift');
    return drift.length === lab.hosts.length && drift.every((d) => d.version === version);
  });
}

/**
 * Raises (or lowers) the flag on every host and waits until each host's agent has recorded the
 * `round`th firing (clearing) in its outbox: recorded, whether or not anything stored it yet.
 */
export async function flags(lab: Lab, up: boolean, round: number): Promise<void> {
  const want = up ? 'alarm_fired' : 'alarm_cleared';
  for (const host of lab.hosts) {
    if (up) await writeFile(join(host.dir, 'flag'), 'up\n');
    else await rm(join(host.dir, 'flag'), { force: true });
  }
  for (const host of lab.hosts) {
    await waitFor(`${want} #${round} in ${host.name}'s outbox`, async () => (await outbox(host)).appended.filter((e) => e.type === want).length >= round);
  }
}

/**
 * Every flag event the agents recorded (id to "type host"), once each host has recorded `bots`
 * bot outcomes: what must end up stored, once.
 */
export async function recordedFlagEvents(lab: Lab, bots: number): Promise<Map<string, string>> {
  const recorded = new Map<string, string>();
  for (const host of lab.hosts) {
    await waitFor(`${host.name}'s bots to run or be held back`, async () => (await outbox(host)).appended.filter((e) => BOT_OUTCOMES.includes(e.type)).length >= bots, 60_000);
    for (const e of (await outbox(host)).appended) if (FLAG_EVENTS.includes(e.type)) recorded.set(e.id, `${e.type} ${host.name}`);
  }
  return recorded;
}

/** Waits until the store holds at least as many flag events as `recorded`, then returns them (id to "type host"). */
export async function storedFlagEvents(lab: Lab, recorded: ReadonlyMap<string, string>, timeoutMs = 90_000): Promise<{ byId: Map<string, string>; rows: number }> {
  const rows = await waitFor('the replicas to store every recorded event', async () => {
    const r = await sql<{ id: string; type: string; host: string }>(lab, 'select id, type, host from events where type = any($1)', [FLAG_EVENTS]);
    return r.length >= recorded.size && r;
  }, timeoutMs);
  return { byId: new Map(rows.map((r) => [r.id, `${r.type} ${r.host}`])), rows: rows.length };
}

/** What an operator sees come back after an outage: when every event was stored, when every replica answered. */
export interface Recovery {
  readonly storedAfterMs: number;
  readonly answeredAfterMs: number;
}

/**
 * A service of the scaled mode (NATS, PostgreSQL) stops while alarms fire and bots run on two
 * hosts, then starts again. Asserts what an operator checks: every event the agents recorded is
 * stored exactly once, and every replica lists both agents and answers a command on both.
 */
export async function outageWhileAlarmsFire(lab: Lab, service: { stop(): Promise<void>; start(): Promise<void> }): Promise<Recovery> {
  await applyFlags(lab, lab.replicas[0]!);
  await flags(lab, true, 1);
  await service.stop();
  // Recorded during the outage: kept in the agents' outboxes (NATS down) or in the stream (store down).
  await flags(lab, false, 1);
  await flags(lab, true, 2);
  await flags(lab, false, 2);
  const restartedAt = Date.now();
  await service.start();

  const recorded = await recordedFlagEvents(lab, 2);
  expect(recorded.size).toBe(2 * 3 * 2);
  const stored = await storedFlagEvents(lab, recorded);
  const storedAfterMs = Date.now() - restartedAt;
  expect(stored.byId).toEqual(recorded);
  expect(stored.rows).toBe(recorded.size);

  for (const replica of lab.replicas) {
    await waitFor(`${replica.server} to list both agents connected`, async () => {
      const agents = await replicaApi<{ name: string; status: string }[]>(lab, replica, '/api/v1/agents');
      return agents.filter((a) => a.status === 'connected').length === 2;
    });
    const answer = await runCli(['run', '--json', 'host | `echo back`'], { env: { BREAKWATER_SERVER: replica.server, BREAKWATER_CA: lab.ca, BREAKWATER_TOKEN: lab.token }, timeoutMs: 60_000 });
    expect(answer.code, answer.stderr).toBe(0);
    expect(answer.stdout.split('\n').filter((line) => line.includes('"type":"row"') && line.includes('"status":"ok"'))).toHaveLength(2);
  }
  return { storedAfterMs, answeredAfterMs: Date.now() - restartedAt };
}
