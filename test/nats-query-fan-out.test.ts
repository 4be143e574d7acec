import type { NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, expect, it } from 'vitest';

import { rowFrames } from '../src/agent/nats/row-batches.js';
import { BuiltinRunner, MemoryTsdb, SyntheticSource } from '../src/agent/index.js';
import { executePhase } from '../src/agent/query/executor.js';
import { hostResource, processResource } from '../src/agent/query/resources.js';
import type { NatsSubjects, ResultRow } from '../src/protocol/index.js';
import { FakeClock } from '../src/server/fleet/fake-clock.test-support.js';
import type { InventoryHost } from '../src/server/fleet/index.js';
import { NO_RESPONDER, NatsFleet, listedInventory } from '../src/server/fleet/index.js';
import { executePlan } from '../src/server/query/execute.js';
import { consume, planOf } from '../src/server/query/query-lines.test-support.js';
import { waitUntil } from './helpers.js';
import type { PhaseRunner, QueryAnswerer } from './nats-agent-answers.js';
import { answerQueries } from './nats-agent-answers.js';
import { describeWithNatsConnections, testSubjects } from './nats-services.js';

/*
 * Issue 11, "Queries": executePlan over a NatsFleet on a real NATS server, with agents answering
 * through their real NATS connections (src/agent/nats/nats-connection.ts) — two of them running the real agent executor over their own
 * processes, one silent, one missing, one noisy, one with rows far larger than a NATS message.
 * The fan-out's timeout runs on a fake clock; everything else is real.
 */

const TIMEOUT = 30_000;
const host = (name: string): InventoryHost => ({ name, agentId: `a-${name}`, connected: true, lastSeenAt: null, tags: {}, attrs: {} });

/** The real executor over a host with nginx and postgres processes, as the daemon binds it. */
function realExecutor(name: string): PhaseRunner {
  const source = new SyntheticSource({ hostname: name, seed: name });
  const facts = { hostname: name, machineId: `m-${name}`, os: 'linux', distro: 'debian 12', arch: 'x64', kernel: '6.1.0', ip: '10.0.0.1' };
  const procs = [
    { pid: 10, ppid: 1, name: 'nginx', cmdline: 'nginx: master', user: 'root', state: 'S', startTime: 1 },
    { pid: 11, ppid: 10, name: 'nginx', cmdline: 'nginx: worker', user: 'www-data', state: 'S', startTime: 2 },
    { pid: 20, ppid: 1, name: 'postgres', cmdline: 'postgres -D /data', user: 'postgres', state: 'S', startTime: 3 },
  ];
  const deps = {
    resources: () => ({ host: hostResource(name, facts, {}, '0.1.0'), processes: procs.map((p) => processResource(name, p, {})) }),
    tsdb: new MemoryTsdb(),
    source,
    runner: new BuiltinRunner(),
    action: () => undefined,
    limits: { commandTimeoutMs: 5000, maxOutputBytes: 65_536 },
    now: () => Date.now(),
  };
  return (phase, targets, signal) => executePhase(phase, targets, deps, signal);
}

const ids = (rows: readonly ResultRow[]) => rows.map((r) => `${r.resource?.id}:${r.status}`).sort();

await describeWithNatsConnections('queries over NATS: executePlan through a NatsFleet', 'test/nats-query-fan-out.test.ts', 3, (connections) => {
  let subjects: NatsSubjects;
  let fleet: NatsFleet;
  let clock: FakeClock;
  const responders: QueryAnswerer[] = [];
  const conn = (i: number) => connections()[i] as NatsConnection;
  const respond = async (name: string, runPhase: PhaseRunner) => {
    const nc = conn(1 + (responders.length % 2));
    responders.push(answerQueries({ nc, subjects, name }, () => runPhase));
    await nc.flush();
  };
  const run = (statement: string, hosts: readonly string[]) => {
    fleet = new NatsFleet({ nc: conn(0), subjects, inventory: listedInventory(hosts.map(host)) });
    return consume(executePlan(planOf(statement), fleet, { principal: 'ops', timeoutMs: TIMEOUT, clock }));
  };

  beforeEach(() => {
    subjects = testSubjects();
    clock = new FakeClock();
  });
  afterEach(async () => {
    await Promise.all(responders.splice(0).map((r) => r.stop()));
    await fleet.close();
  });

  it('returns every host`s rows from two agents running the real executor', async () => {
    await respond('web-1', realExecutor('web-1'));
    await respond('web-2', realExecutor('web-2'));
    const q = run('host | process | name = "nginx"', ['web-1', 'web-2']);
    await q.done;
    expect(q.error).toBeUndefined();
    expect(ids(q.rows())).toEqual(['web-1/10:ok', 'web-1/11:ok', 'web-2/10:ok', 'web-2/11:ok']);
    expect(q.result()).toMatchObject({ agentsAsked: 2, agentsAnswered: 2, failures: [] });
    expect(fleet.waiting).toBe(0);
  });

  it('a host with no responder is an offline row, and one that never answers a timeout row', async () => {
    await respond('web-1', realExecutor('web-1'));
    const silent = conn(2).subscribe(subjects.agentQuery('stuck-1'));
    const cancels: string[] = [];
    const control = conn(2).subscribe(subjects.agentControl('stuck-1'), { callback: (_err, msg) => void cancels.push(msg.string()) });
    await conn(2).flush();
    const q = run('host | process | name = "postgres"', ['web-1', 'gone-1', 'stuck-1']);
    // web-1 answers and gone-1's "no responders" comes back over NATS; stuck-1 stays silent.
    await waitUntil('web-1 and gone-1 to settle', () => fleet?.waiting === 1 && q.rows().length === 2);
    expect(q.finished).toBe(false);
    await clock.advance(TIMEOUT);
    await q.done;
    const result = q.result();
    expect(ids(result?.rows ?? [])).toEqual(['web-1/20:ok']);
    expect(result?.failures.map((r) => `${r.resource?.host}:${r.status}:${r.error}`).sort()).toEqual([`gone-1:offline:${NO_RESPONDER}`, 'stuck-1:timeout:agent did not answer within 30s']);
    expect(result).toMatchObject({ agentsAsked: 3, agentsAnswered: 1 });
    await conn(0).flush();
    await conn(2).flush();
    // The late agent was told to stop; nothing waits any more.
    expect(cancels).toHaveLength(1);
    expect(JSON.parse(cancels[0] ?? '')).toMatchObject({ type: 'cancel' });
    expect(fleet.waiting).toBe(0);
    silent.unsubscribe();
    control.unsubscribe();
  });

  it('counts and ignores a malformed reply, and still takes the agent`s real answer', async () => {
    await respond('web-1', realExecutor('web-1'));
    const noisy = conn(2).subscribe(subjects.agentQuery('noisy-1'), {
      callback: (_err, msg) => {
        const { id } = msg.json<{ id: string }>();
        for (const junk of ['{"type":"rows"', '{"type":"done","query":42}', JSON.stringify({ type: 'rows', query: id, rows: 'lots' })]) msg.respond(junk);
        msg.respond(JSON.stringify({ type: 'rows', query: id, rows: [{ resource: { type: 'host', id: 'noisy-1', name: 'noisy-1', host: 'noisy-1' }, status: 'ok', values: {} }] }));
        msg.respond(JSON.stringify({ type: 'done', query: id }));
      },
    });
    await conn(2).flush();
    const q = run('host | process | name = "nginx"', ['web-1', 'noisy-1']);
    await q.done;
    expect(ids(q.rows())).toEqual(['noisy-1:ok', 'web-1/10:ok', 'web-1/11:ok']);
    expect(fleet.dropped).toEqual({ malformed: 3, foreign: 0, late: 0 });
    noisy.unsubscribe();
  });

  it('rows larger than one NATS message arrive split across several; a row too big for any is cut to fit, saying so', async () => {
    const max = conn(1).info?.max_payload ?? 0;
    const cmdline = 'c'.repeat(1024);
    const many: ResultRow[] = Array.from({ length: 3000 }, (_, i) => ({ resource: { type: 'process', id: `big-1/${i}`, name: 'p', host: 'big-1' }, status: 'ok', values: { cmdline } }));
    const giant: ResultRow = { resource: { type: 'process', id: 'big-1/huge', name: 'p', host: 'big-1' }, status: 'ok', values: { cmdline: 'g'.repeat(max) } };
    const answer = [...many.slice(0, 1500), giant, ...many.slice(1500)];
    await respond('big-1', () => Promise.resolve(answer));
    // ~3.2 MB of rows: more than three messages' worth at the default 1 MiB max_payload.
    expect(rowFrames('x', answer, max).length).toBeGreaterThanOrEqual(4);
    const q = run('host | process | name = "p"', ['big-1']);
    await q.done;
    const result = q.result();
    expect(result?.rows).toHaveLength(3001);
    expect(result?.rows.filter((r) => r.values.cmdline === cmdline)).toHaveLength(3000);
    const cut = result?.rows.find((r) => r.resource?.id === 'big-1/huge');
    expect(cut?.values.cmdline).toMatch(/^g+\n\[breakwater: output cut to \d+ bytes to fit one NATS message; \d+ bytes dropped\]$/);
    expect(result?.failures).toEqual([]);
    expect(fleet.dropped).toEqual({ malformed: 0, foreign: 0, late: 0 });
  });
});
