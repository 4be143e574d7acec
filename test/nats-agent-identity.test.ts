/**
 * Agent identity on NATS from end to end: `nats-setup` files, a nats-server of this test's own
 * that includes them, a control plane with --nats-account-seed, and a real agent that enrolls with
 * a join token: its <data>/nats.creds (0600) connects to NATS as that agent and only that agent.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect, credsAuthenticator, errors } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, resolveAgentConfig } from '../src/agent/index.js';
import { natsSubjects } from '../src/protocol/index.js';
import type { RunningServer } from '../src/server/index.js';
import { SIGNING_KEY_FILE, natsAccountSetup, startServer, writeNatsSetup } from '../src/server/index.js';
import { createToken } from '../src/server/auth.js';
import type { NatsServerProcess } from './nats-server-process.js';
import { startNatsServer } from './nats-server-process.js';

const subjects = natsSubjects('bw');

describe('an enrolled agent\'s NATS credentials', () => {
  let dir: string;
  let nats: NatsServerProcess;
  let server: RunningServer;
  const connections: NatsConnection[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-nats-identity-'));
    await writeNatsSetup(join(dir, 'nats'), await natsAccountSetup('bw'));
    // nats-server reads an include relative to its configuration's directory: the file goes beside it.
    nats = await startNatsServer('include nats-accounts.conf', { 'nats-accounts.conf': await readFile(join(dir, 'nats', 'nats-accounts.conf'), 'utf8') });
    server = await startServer({ port: 0, dataDir: join(dir, 'cp'), logLevel: 'silent', natsAccountSeed: join(dir, 'nats', SIGNING_KEY_FILE) });
  });
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    await server?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('are written at enrollment, mode 0600, and connect as the agent: its own events are taken, another agent\'s subjects refused', async () => {
    const token = (await createToken(server.store, 'agent', 'rack-1', 'admin')).secret;
    const dataDir = join(dir, 'agent');
    const agent = await createAgent(resolveAgentConfig({ server: server.url, token, name: 'web-1.prod', dataDir, logLevel: 'error' }, {}));
    const connected = new Promise<void>((resolve) => agent.on('state', (s) => s === 'connected' && resolve()));
    await agent.start();
    await connected;
    await agent.stop();

    const credsPath = join(dataDir, 'nats.creds');
    expect((await stat(credsPath)).mode & 0o777).toBe(0o600);
    const creds = await readFile(credsPath);
    expect(creds.toString()).toMatch(/-----BEGIN NATS USER JWT-----\n.+\n------END NATS USER JWT------[\s\S]*-----BEGIN USER NKEY SEED-----\nSU[A-Z2-7]+\n/);
    // The seed stays on the host: the control plane's store and audit never saw it.
    const seed = /^SU[A-Z2-7]+$/m.exec(creds.toString())?.[0] ?? '';
    expect(JSON.stringify(await server.store.listAudit({ limit: 100 }))).not.toContain(seed);

    const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(creds), inboxPrefix: subjects.agentInboxPrefix('web-1.prod'), reconnect: false });
    connections.push(nc);
    const replica = await connect({ servers: nats.url, authenticator: credsAuthenticator(await readFile(join(dir, 'nats', 'replica.creds'))), reconnect: false });
    connections.push(replica);
    await (await jetstreamManager(replica)).streams.add({ name: subjects.eventsStream, subjects: [subjects.allEvents] });

    const ack = await jetstream(nc).publish(subjects.agentEvents('web-1.prod'), '{"id":"e-1"}', { msgID: 'e-1' });
    expect(ack.stream).toBe(subjects.eventsStream);
    const refused = await nc.subscribe(subjects.agentQuery('web-2.prod')).closed;
    expect(refused).toBeInstanceOf(errors.PermissionViolationError);
  });
});
