import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { agentToken, natsSubjects } from '../src/protocol/index.js';
import { PG_URL, describeWithService, probePostgres, runCli } from './helpers.js';
import { NATS_URL, connectNats, probeNats } from './nats-services.js';

/*
 * `breakwater lab --scaled`, end to end: two real replicas (`breakwater server --store … --bus …`)
 * on a database and a NATS prefix of the lab's own, and real agent processes on NATS. What an
 * operator checks: every replica lists every agent connected, a query through either replica
 * answers for every host, and stopping the lab leaves no database, stream or bucket behind.
 * Needs `npm run build`.
 */

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };

describeWithService(needed, 'breakwater lab --scaled', 'test/lab-scaled.test.ts', () => {
  let lab: Lab | undefined;
  const started = () => {
    if (!lab) throw new Error('the lab did not start');
    return lab;
  };

  beforeAll(async () => {
    lab = await startLab({ hosts: 2, scaled: { replicas: 2, postgres: PG_URL, nats: NATS_URL } });
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it('runs two replicas, each listing both agents connected', async () => {
    const { replicas, token } = started();
    expect(replicas).toHaveLength(2);
    expect(new Set(replicas.map((r) => r.server)).size).toBe(2);
    for (const replica of replicas) {
      const res = await started().fetch(`${replica.server}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } });
      const agents = (await res.json()) as { name: string; status: string }[];
      expect(agents.map((a) => `${a.name} ${a.status}`).sort(), replica.server).toEqual(['web-1 connected', 'web-2 connected']);
    }
  });

  it('has each replica ready: its store and its NATS connection answer (/readyz)', async () => {
    for (const replica of started().replicas) {
      const res = await started().fetch(`${replica.server}/readyz`, {});
      expect(res.status, replica.server).toBe(200);
      expect(await res.json()).toEqual({ ready: true, checks: { store: 'ok', nats: 'ok' } });
    }
  });

  it('has the agents on NATS: each put its presence under the lab\'s prefix', async () => {
    const nc = await connectNats('lab-scaled-test');
    try {
      const kv = await new Kvm(nc).open(natsSubjects(started().scaled!.prefix).presenceBucket);
      for (const name of ['web-1', 'web-2']) {
        const entry = await kv.get(agentToken(name));
        expect((entry?.json() as { name?: string } | undefined)?.name, name).toBe(name);
      }
    } finally {
      await nc.close();
    }
  });

  it('answers a query through either replica with a row from every host', async () => {
    for (const replica of started().replicas) {
      const run = await runCli(['run', '--json', 'host | cpu_usage'], { env: { BREAKWATER_SERVER: replica.server, BREAKWATER_CA: started().ca, BREAKWATER_TOKEN: started().token }, timeoutMs: 60_000 });
      expect(run.code, run.stderr).toBe(0);
      const rows = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; row?: { status: string; resource: { host: string } } }).filter((l) => l.type === 'row');
      expect(rows.map((r) => `${r.row!.resource.host} ${r.row!.status}`).sort(), replica.server).toEqual(['web-1 ok', 'web-2 ok']);
    }
  }, 120_000);

  it('leaves no database, events stream or presence bucket once stopped', async () => {
    const { database, prefix } = started().scaled!;
    await started().stop();
    lab = undefined;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const left = (await client.query('select 1 from pg_database where datname = $1', [database])).rowCount;
    await client.end();
    expect(left).toBe(0);
    const nc = await connectNats('lab-scaled-test');
    try {
      const subjects = natsSubjects(prefix);
      const names: string[] = [];
      const jsm = await jetstreamManager(nc);
      for await (const s of jsm.streams.list()) names.push(s.config.name);
      expect(names).not.toContain(subjects.eventsStream);
      expect(names).not.toContain(`KV_${subjects.presenceBucket}`);
    } finally {
      await nc.close();
    }
  }, 60_000);
});
