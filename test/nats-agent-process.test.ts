import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KV } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect, it } from 'vitest';
import type { AgentMessage, HelloMessage, PresenceMessage } from '../src/protocol/index.js';
import { agentToken, natsSubjects } from '../src/protocol/index.js';
import type { RunningServer } from '../src/server/index.js';
import { startServer } from '../src/server/index.js';
import { AGENT_BIN, waitUntil } from './helpers.js';
import { NATS_URL, describeWithNatsConnections, testPrefix } from './nats-services.js';

/*
 * The real agent binary (bin/breakwater-agent.js, the bundle with its NATS chunk) in the scaled
 * mode: it enrolls with a join token at a real control plane over HTTP, then says hello over NATS
 * (a test replica welcomes it) and puts its presence; SIGTERM stops it cleanly.
 */

await describeWithNatsConnections('breakwater-agent --bus', 'test/nats-agent-process.test.ts', 1, (connections) => {
  it('enrolls over HTTP, then speaks over NATS: hello answered, presence with its tags; exits 0 on SIGTERM', async () => {
    const plane = connections()[0] as NatsConnection;
    const prefix = testPrefix();
    const subjects = natsSubjects(prefix);
    const dir = mkdtempSync(join(tmpdir(), 'bw-agent-bus-'));
    let server: RunningServer | undefined;
    let kv: KV | undefined;
    const agent = { kill: (_s: NodeJS.Signals) => false as boolean };
    try {
      server = await startServer({ port: 0, dataDir: join(dir, 'server'), logLevel: 'silent' });
      const res = await fetch(`${server.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${server.initialAdminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'agent', name: 'bus-join' }) });
      const { token } = (await res.json()) as { token: string };
      kv = await new Kvm(plane).create(subjects.presenceBucket, { history: 1 });
      const hellos: HelloMessage[] = [];
      plane.subscribe(subjects.allAgentRequests, {
        queue: subjects.replicaQueue,
        callback: (_err, msg) => {
          const body = msg.json<AgentMessage>();
          if (body.type !== 'hello') return;
          hellos.push(body);
          msg.respond(JSON.stringify({ type: 'welcome', v: 1, agentId: `a-${body.name}`, heartbeatMs: 500 }));
        },
      });
      await plane.flush();

      const child = spawn(process.execPath, [AGENT_BIN, '--server', server.url, '--bus', NATS_URL, '--nats-prefix', prefix, '--data', join(dir, 'agent'), '--name', 'bus-1', '--tag', 'role=web', '--log-level', 'warn'], {
        env: { ...process.env, BREAKWATER_JOIN_TOKEN: token },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      agent.kill = (s) => child.kill(s);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

      await waitUntil('its hello', () => hellos.length > 0);
      expect(hellos[0]).toMatchObject({ type: 'hello', name: 'bus-1', tags: { role: 'web' } });
      await waitUntil('a heartbeat presence', async () => (await kv?.get(agentToken('bus-1')))?.json<PresenceMessage>().heartbeatMs === 500);
      const presence = (await kv.get(agentToken('bus-1')))?.json<PresenceMessage>();
      expect(presence).toMatchObject({ name: 'bus-1', tags: { role: 'web' } });

      child.kill('SIGTERM');
      expect(await exited, stderr).toEqual({ code: 0, signal: null });
    } finally {
      agent.kill('SIGKILL');
      await kv?.destroy();
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
