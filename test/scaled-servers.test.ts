import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { natsSubjects } from '../src/protocol/index.js';
import { ConnectRefused, connectWebSocket } from '../src/transport/index.js';
import { BIN, PG_URL, callApi, describeWithService, onSharedDatabase, probePostgres, waitUntil } from './helpers.js';
import { NATS_URL, connectNats, deleteStream, probeNats, testPrefix } from './nats-services.js';
import { rawNatsAgent } from './raw-nats-agent.js';

/*
 * Issue 11, scaled mode: two real `breakwater server --bus` processes on one PostgreSQL database
 * (created and dropped here) and the machine's NATS, under a subject prefix of this test's own,
 * with a raw NATS agent enrolled through the API. Both replicas see it from the presence bucket, one
 * welcomes its hello and sends its definitions, either answers a query with its rows, both see it
 * leave, and its joining is stored once.
 */

const HEARTBEAT_MS = 500;

interface Replica {
  readonly child: ChildProcess;
  readonly url: string;
  readonly token: string | undefined;
  readonly stderr: () => string;
}

/** Starts one replica and reads its URL (and, on the database's first start, the admin token). */
function startReplica(args: readonly string[], dir: string): Promise<Replica> {
  const child = spawn(process.execPath, [BIN, 'server', '--no-tls', '--port', '0', '--data', dir, '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const check = () => {
      const url = /BREAKWATER_SERVER=(\S+)/.exec(stdout)?.[1];
      if (url) resolve({ child, url, token: /BREAKWATER_TOKEN=(\S+)/.exec(stderr)?.[1], stderr: () => stderr });
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), check()));
    child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), check()));
    child.once('exit', (code) => reject(new Error(`the replica exited with code ${code}: ${stderr.slice(-2000)}`)));
  });
}

async function stopReplica(r: Replica | undefined): Promise<void> {
  if (!r || r.child.exitCode !== null) return;
  const exited = new Promise((resolve) => r.child.once('exit', resolve));
  r.child.kill('SIGTERM');
  await exited;
}

const natsDown = await probeNats();
const needed = natsDown ? { service: 'NATS with JetStream', url: NATS_URL, unreachable: natsDown } : { service: 'PostgreSQL', url: PG_URL, unreachable: await probePostgres(PG_URL) };

describeWithService(needed, 'scaled mode: two server processes with --bus on PostgreSQL and NATS', 'test/scaled-servers.test.ts', () => {
  const database = `bw_scaled_${randomBytes(4).toString('hex')}`;
  const prefix = testPrefix();
  const subjects = natsSubjects(prefix);
  const dirs: string[] = [];
  const replicas: Replica[] = [];
  let token: string;

  const onShared = onSharedDatabase;

  beforeAll(async () => {
    await onShared(`create database "${database}"`);
    const store = new URL(PG_URL);
    store.pathname = `/${database}`;
    const args = ['--store', store.toString(), '--bus', NATS_URL, '--nats-prefix', prefix];
    // One after the other: the first creates the schema and the admin token.
    for (let i = 0; i < 2; i++) {
      dirs.push(mkdtempSync(join(tmpdir(), 'bw-scaled-')));
      replicas.push(await startReplica(args, dirs[i] as string));
    }
    token = replicas[0]?.token as string;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map(stopReplica));
    const nc = await connectNats('scaled-servers cleanup');
    const jsm = await jetstreamManager(nc);
    await deleteStream(jsm, subjects.eventsStream);
    await deleteStream(jsm, `KV_${subjects.presenceBucket}`);
    await nc.close();
    await onShared(`drop database if exists "${database}" with (force)`);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const agentsOn = async (r: Replica) => (await callApi(r.url, 'GET', '/api/v1/agents', { token })).json as { name: string; status: string; tags: Record<string, string> }[];
  const statusOn = async (r: Replica, name: string) => (await agentsOn(r)).find((a) => a.name === name)?.status;
  const both = () => replicas as [Replica, Replica];

  it('an agent on NATS is connected on both replicas, is welcomed, answers queries through either, leaves on both, and joined once', async () => {
    const [a, b] = both();
    const join = (await callApi(a.url, 'POST', '/api/v1/tokens', { token, body: { role: 'agent', name: 'join' } })).json as { token: string };
    const enrolled = await callApi(b.url, 'POST', '/api/v1/agents/enroll', { body: { token: join.token, name: 'nats-1', hostId: 'host-nats-1' } });
    expect(enrolled.status).toBe(200);

    const agent = await rawNatsAgent(subjects, 'nats-1', HEARTBEAT_MS);
    await waitUntil('nats-1 connected on both replicas', async () => (await statusOn(a, 'nats-1')) === 'connected' && (await statusOn(b, 'nats-1')) === 'connected');
    expect((await agentsOn(a)).find((x) => x.name === 'nats-1')?.tags).toEqual({ via: 'nats' });
    // A replica answers its hello; definitions applied through a replica reach the connected agent
    // (the applying replica pushes them; the welcoming one sends what it holds after a welcome).
    const applied = await callApi(b.url, 'POST', '/api/v1/definitions/apply', { token, body: { baseVersion: 0, files: [{ path: 'say.yaml', text: 'kind: action\nname: say_hi\ncommand: echo hi\n' }] } });
    expect(applied.status).toBe(200);
    expect(JSON.parse(await agent.hello())).toMatchObject({ type: 'welcome', v: 1, heartbeatMs: expect.any(Number) });
    await waitUntil('definitions received', () => agent.control.some((m) => (JSON.parse(m) as { type: string }).type === 'definitions'));

    for (const r of [a, b]) {
      const answer = await callApi(r.url, 'POST', '/api/v1/query', { token, body: { statement: 'host | `uptime`' } });
      expect(answer.status).toBe(200);
      const rows = answer.text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; row?: { resource?: { host: string }; values: Record<string, unknown> } })
        .filter((l) => l.type === 'row');
      expect(rows.map((l) => [l.row?.resource?.host, l.row?.values.stdout])).toEqual([['nats-1', 'raw nats-1\n']]);
    }
    expect(agent.queries).toBe(2);

    await agent.stop();
    await waitUntil('nats-1 disconnected on both replicas', async () => (await statusOn(a, 'nats-1')) === 'disconnected' && (await statusOn(b, 'nats-1')) === 'disconnected');

    const events = async (type: string) => ((await callApi(a.url, 'GET', `/api/v1/events?type=${type}&host=nats-1`, { token })).json as { type: string }[]).length;
    await waitUntil('agent_left stored', async () => (await events('agent_left')) > 0);
    expect(await events('agent_joined')).toBe(1);
    expect(await events('agent_left')).toBe(1);
  }, 60_000);

  it('a replica that cannot reach NATS says so and exits, instead of hanging', async () => {
    const store = new URL(PG_URL);
    store.pathname = `/${database}`;
    const dir = mkdtempSync(join(tmpdir(), 'bw-scaled-'));
    dirs.push(dir);
    const failed = await startReplica(['--store', store.toString(), '--bus', 'nats://127.0.0.1:1', '--nats-prefix', prefix], dir).then(
      () => undefined,
      (err: unknown) => (err as Error).message,
    );
    expect(failed).toContain('exited with code 1');
    expect(failed).toContain('could not connect to NATS at nats://127.0.0.1:1');
    expect(failed).toContain('BW_ERR_UNAVAILABLE');
  });

  it('refuses an agent`s WebSocket in the scaled mode, saying to use --bus', async () => {
    const [a] = both();
    const refused = await connectWebSocket(`${a.url.replace('http', 'ws')}/api/v1/agents/connect`, { credential: 'bwa_x', timeoutMs: 5_000 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(ConnectRefused);
    expect((refused as ConnectRefused).status).toBe(404);
    expect((refused as ConnectRefused).message).toContain('start the agent with --bus');
  });
});
