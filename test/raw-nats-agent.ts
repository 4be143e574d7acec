import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsSubjects, PresenceMessage, ResultRow } from '../src/protocol/index.js';
import { connectNats } from './nats-services.js';

/**
 * A test-only agent on NATS, as test/raw-agent.ts is on WebSocket: it puts its presence in the KV
 * bucket every heartbeat, answers every query phase with one row about itself and `done`, keeps
 * what comes on its control subject, and says hello when asked to; it does nothing else.
 *
 * @example
 * const agent = await rawNatsAgent(subjects, 'nats-1', 500);
 * // … GET /api/v1/agents shows nats-1 connected
 * await agent.stop();
 */
export async function rawNatsAgent(subjects: NatsSubjects, name: string, heartbeatMs: number): Promise<{ readonly queries: number; readonly control: readonly string[]; hello(): Promise<string>; stop(): Promise<void> }> {
  const nc: NatsConnection = await connectNats(`raw nats agent ${name}`);
  const control: string[] = [];
  nc.subscribe(subjects.agentControl(name), { callback: (_err, msg) => void control.push(msg.string()) });
  const session = randomUUID();
  let queries = 0;
  const presence = (): PresenceMessage => ({
    type: 'presence',
    v: 1,
    name,
    session,
    facts: { hostname: name, machineId: `m-${name}`, os: 'linux', distro: 'debian 12', arch: 'x64', kernel: '6.1.0', ip: '10.0.0.9', agentVersion: '0.1.0' },
    tags: { via: 'nats' },
    time: Date.now(),
    heartbeatMs,
    active: 0,
    rssBytes: 1,
    definitionsVersion: null,
  });
  // The stream's ack says the entry is stored: the first presence is in the bucket before this returns.
  const beat = () => nc.request(subjects.presenceSubject(name), JSON.stringify(presence()));
  await beat();
  const timer = setInterval(() => void beat().catch(() => undefined), heartbeatMs);
  nc.subscribe(subjects.agentQuery(name), {
    callback: (_err, msg) => {
      queries++;
      const { id } = JSON.parse(msg.string()) as { id: string };
      const row: ResultRow = { resource: { type: 'host', id: name, name, host: name }, status: 'ok', values: { stdout: `raw ${name}\n`, exit_code: 0 } };
      msg.respond(JSON.stringify({ type: 'rows', query: id, rows: [row] }));
      msg.respond(JSON.stringify({ type: 'done', query: id }));
    },
  });
  await nc.flush();
  return {
    get queries() {
      return queries;
    },
    control,
    /** Asks a replica for a session (the answer's text: a `welcome` or an `error`). */
    async hello() {
      const hello = { type: 'hello', v: 1, name, facts: presence().facts, tags: presence().tags };
      return (await nc.request(subjects.agentRequest(name, 'hello'), JSON.stringify(hello), { timeout: 10_000 })).string();
    },
    async stop() {
      clearInterval(timer);
      await nc.close();
    },
  };
}
