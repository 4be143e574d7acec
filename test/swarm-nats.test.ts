import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KV } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect, it } from 'vitest';
import type { Swarm } from '../src/lab/index.js';
import { startSwarm } from '../src/lab/index.js';
import type { AgentMessage, PresenceMessage } from '../src/protocol/index.js';
import { agentToken, natsSubjects } from '../src/protocol/index.js';
import type { RunningServer } from '../src/server/index.js';
import { startServer } from '../src/server/index.js';
import { waitUntil } from './helpers.js';
import { NATS_URL, describeWithNatsConnections, testPrefix } from './nats-services.js';

/*
 * The swarm over NATS: simulated agents enroll with a join token at a real control plane (over
 * HTTP, as real agents do), then share one NATS connection; a test replica welcomes their hellos on
 * the queue group and the presence KV bucket shows each agent under its own key.
 */

const AGENTS = 40;

await describeWithNatsConnections('the swarm over NATS', 'test/swarm-nats.test.ts', 1, (connections) => {
  it('starts agents that enroll over HTTP, say hello over one shared NATS connection and each put their own presence', async () => {
    const plane = connections()[0] as NatsConnection;
    const prefix = testPrefix();
    const subjects = natsSubjects(prefix);
    const dataDir = mkdtempSync(join(tmpdir(), 'bw-swarm-nats-'));
    let server: RunningServer | undefined;
    let swarm: Swarm | undefined;
    let kv: KV | undefined;
    try {
      server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
      const res = await fetch(`${server.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${server.initialAdminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'agent', name: 'swarm-join' }) });
      const { token } = (await res.json()) as { token: string };
      kv = await new Kvm(plane).create(subjects.presenceBucket, { history: 1 });
      const hellos = new Set<string>();
      plane.subscribe(subjects.allAgentRequests, {
        queue: subjects.replicaQueue,
        callback: (_err, msg) => {
          const body = msg.json<AgentMessage>();
          if (body.type !== 'hello') return;
          hellos.add(body.name);
          msg.respond(JSON.stringify({ type: 'welcome', v: 1, agentId: `a-${body.name}`, heartbeatMs: 60_000 }));
        },
      });
      await plane.flush();

      swarm = await startSwarm({ server: server.url, joinToken: token, agents: AGENTS, prefix: 'nsim', concurrency: 10, logLevel: 'silent', bus: { servers: NATS_URL, prefix } });

      expect(swarm.connected).toBe(AGENTS);
      expect(hellos.size).toBe(AGENTS);
      // A key listing reads the bucket's stream: an agent putting its presence again while it is
      // read is listed again (seen once in CI), so the keys are compared as a set.
      const listed = new Set<string>();
      for await (const k of await kv.keys()) listed.add(k);
      expect([...listed].sort()).toEqual(Array.from({ length: AGENTS }, (_, i) => agentToken(`nsim-${i + 1}`)).sort());
      const seven = (await kv.get(agentToken('nsim-7')))?.json<PresenceMessage>();
      expect(seven).toMatchObject({ name: 'nsim-7', tags: { swarm: 'nsim', env: 'swarm' }, heartbeatMs: 60_000 });
      // The control plane saw every agent enroll.
      await waitUntil('every agent enrolled', async () => {
        const hosts = await fetch(`${server?.url}/api/v1/agents`, { headers: { authorization: `Bearer ${server?.initialAdminToken}` } });
        return ((await hosts.json()) as unknown[]).length === AGENTS;
      });
    } finally {
      await swarm?.stop();
      await kv?.destroy();
      await server?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
