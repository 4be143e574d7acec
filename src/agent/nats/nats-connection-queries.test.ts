import type { NatsConnection } from '@nats-io/transport-node';
import { createInbox } from '@nats-io/transport-node';
import { afterEach, beforeEach, expect, it } from 'vitest';

import { describeWithNatsConnections, testSubjects } from '../../../test/nats-services.js';
import type { AgentPhase } from '../../lang/index.js';
import { BUILTIN_CATALOGUE, analyze } from '../../lang/index.js';
import type { AgentMessage, NatsSubjects, ResultRow } from '../../protocol/index.js';
import type { PhaseRunner, QueryAnswerer } from '../../../test/nats-agent-answers.js';
import { answerQueries } from '../../../test/nats-agent-answers.js';
import { QueryDeadline } from '../query/executor.js';

/*
 * Queries over the agent's NATS connection (nats-connection.ts) on a real NATS server, answered
 * by a scripted phase runner (test/nats-agent-answers.ts: the daemon's query handling in
 * miniature); the test plays the control plane on a second connection: it publishes query
 * messages (good, broken, hostile) with a reply inbox and reads what comes back there.
 */

const PHASE = (() => {
  const plan = analyze('host | process | name = "nginx"', BUILTIN_CATALOGUE).plan;
  const phase = plan?.phases.find((p) => p.where === 'agent');
  if (!phase) throw new Error('no agent phase');
  return phase;
})();
const row = (pid: number): ResultRow => ({ resource: { type: 'process', id: `web-1/${pid}`, name: 'nginx', host: 'web-1' }, status: 'ok', values: { pid } });
const queryMessage = (id: string, extra: object = {}) => JSON.stringify({ type: 'query', id, principal: 'ops', phase: PHASE, timeoutMs: 5000, ...extra });

await describeWithNatsConnections('agent NATS connection: queries', 'src/agent/nats/nats-connection-queries.test.ts', 2, (connections) => {
  let subjects: NatsSubjects;
  let responder: QueryAnswerer;
  const calls: { phase: AgentPhase; targets: readonly string[] | undefined; signal: AbortSignal }[] = [];
  let runner: PhaseRunner;
  const agentConn = () => connections()[0] as NatsConnection;
  const plane = () => connections()[1] as NatsConnection;

  const start = async (maxRunning?: number) => {
    responder = answerQueries({ nc: agentConn(), subjects, name: 'web-1', ...(maxRunning ? { maxQueries: maxRunning } : {}) }, () => runner);
    await agentConn().flush();
  };

  /** Publishes `frame` as a query to web-1; resolves with every answer up to and including `done`. */
  const ask = (frame: string | Uint8Array): Promise<AgentMessage[]> => {
    const inbox = createInbox();
    const heard: AgentMessage[] = [];
    return new Promise((resolve) => {
      const sub = plane().subscribe(inbox, {
        callback: (_err, msg) => {
          if (msg.headers?.code === 503) return resolve([{ type: 'done', query: 'no responders' }]);
          const m = msg.json<AgentMessage>();
          heard.push(m);
          if (m.type === 'done') {
            sub.unsubscribe();
            resolve(heard);
          }
        },
      });
      plane().publish(subjects.agentQuery('web-1'), frame, { reply: inbox });
    });
  };
  const control = async (frame: string) => {
    plane().publish(subjects.agentControl('web-1'), frame);
    await plane().flush();
    await agentConn().flush();
  };

  beforeEach(async () => {
    subjects = testSubjects();
    calls.length = 0;
    runner = async (phase, targets, signal) => {
      calls.push({ phase, targets, signal });
      return [row(1), row(2)];
    };
    await start();
  });
  afterEach(async () => {
    await responder.stop();
  });

  it('runs the phase with its targets and answers rows, then done', async () => {
    expect(await ask(queryMessage('q1', { targets: ['web-1/1', 'web-1/2'] }))).toEqual([
      { type: 'rows', query: 'q1', rows: [row(1), row(2)] },
      { type: 'done', query: 'q1' },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.phase).toEqual(PHASE);
    expect(calls[0]?.targets).toEqual(['web-1/1', 'web-1/2']);
    expect(responder.running).toBe(0);
  });

  it('answers a malformed query with a done error naming its id when it has one, and runs nothing', async () => {
    const noType = await ask(JSON.stringify({ id: 'q2', phase: PHASE }));
    expect(noType).toHaveLength(1);
    expect(noType[0]).toMatchObject({ type: 'done', query: 'q2', error: expect.stringMatching(/^agent could not read the query: type: /) });
    expect(await ask('{ not json')).toEqual([{ type: 'done', query: 'unknown', error: expect.stringMatching(/^agent could not read the query: frame is not JSON/) }]);
    expect(await ask(new Uint8Array([0xff, 0x00, 0xfe]))).toMatchObject([{ type: 'done', query: 'unknown' }]);
    expect(await ask(queryMessage('q3', { phase: { where: 'agent', steps: [{ op: 'rm -rf /' }] } }))).toMatchObject([{ type: 'done', query: 'q3', error: expect.stringMatching(/^agent cannot run this plan phase: /) }]);
    expect(responder.conn.ignored).toEqual({ noReply: 0, malformed: 3, badReply: 0 });
    expect(calls).toEqual([]);
  });

  it('ignores a query with no reply subject, counting it', async () => {
    plane().publish(subjects.agentQuery('web-1'), queryMessage('q4'));
    await plane().flush();
    await agentConn().flush();
    expect(responder.conn.ignored.noReply).toBe(1);
    expect(calls).toEqual([]);
  });

  it('a cancel on the control subject aborts the query; what it has still comes back, then done', async () => {
    runner = (_phase, _targets, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve([{ ...row(9), status: 'cancelled' }])));
    const answer = ask(queryMessage('q5'));
    await plane().flush();
    await agentConn().flush();
    expect(responder.running).toBe(1);
    await control(JSON.stringify({ type: 'definitions', version: 3, definitions: [] }));
    await control('{"type":"cancel"}');
    expect(responder.running).toBe(1);
    await control(JSON.stringify({ type: 'cancel', query: 'q5' }));
    expect(await answer).toEqual([
      { type: 'rows', query: 'q5', rows: [{ ...row(9), status: 'cancelled' }] },
      { type: 'done', query: 'q5' },
    ]);
    expect(responder.conn.ignored.malformed).toBe(1);
  });

  it('aborts a query at its time budget with QueryDeadline, so its rows say timeout', async () => {
    let reason: unknown;
    runner = (_phase, _targets, signal) =>
      new Promise((resolve) =>
        signal.addEventListener('abort', () => {
          reason = signal.reason;
          resolve([]);
        }),
      );
    expect(await ask(queryMessage('q6', { timeoutMs: 30 }))).toEqual([{ type: 'done', query: 'q6' }]);
    expect(reason).toBeInstanceOf(QueryDeadline);
  });

  it('says why when the runner fails, and refuses queries over its limit of running ones or under a running one`s id', async () => {
    runner = () => Promise.reject(new Error('disk on fire'));
    expect(await ask(queryMessage('q7'))).toEqual([{ type: 'done', query: 'q7', error: 'agent failed: disk on fire' }]);

    await responder.stop();
    await start(1);
    let release!: () => void;
    runner = () => new Promise((resolve) => (release = () => resolve([])));
    const first = ask(queryMessage('q8'));
    await plane().flush();
    await agentConn().flush();
    expect(await ask(queryMessage('q9'))).toEqual([{ type: 'done', query: 'q9', error: 'agent is busy: 1 queries already running' }]);
    expect(await ask(queryMessage('q8'))).toEqual([{ type: 'done', query: 'q8', error: 'agent is already running a query with this id' }]);
    release();
    expect(await first).toEqual([{ type: 'done', query: 'q8' }]);
  });

  it('fails its answer with a done error when NATS refuses a rows message, rather than answer short', async () => {
    await responder.stop();
    // The agent's connection, except that every rows message is refused as a closed connection would.
    const refusing = new Proxy(agentConn(), {
      get(target, prop) {
        if (prop === 'publish')
          return (subject: string, data: string) => {
            if (data.startsWith('{"type":"rows"')) throw new Error('connection closed');
            target.publish(subject, data);
          };
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    responder = answerQueries({ nc: refusing, subjects, name: 'web-1' }, () => runner);
    await agentConn().flush();
    expect(await ask(queryMessage('q12'))).toEqual([{ type: 'done', query: 'q12', error: 'agent could not send 1 of 1 rows messages over NATS' }]);
  });

  it('stop aborts running queries, answers them, and leaves nobody subscribed', async () => {
    runner = (_phase, _targets, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve([row(3)])));
    const answer = ask(queryMessage('q10'));
    await plane().flush();
    await agentConn().flush();
    await responder.stop();
    expect(await answer).toEqual([
      { type: 'rows', query: 'q10', rows: [row(3)] },
      { type: 'done', query: 'q10' },
    ]);
    await agentConn().flush();
    expect(await ask(queryMessage('q11'))).toEqual([{ type: 'done', query: 'no responders' }]);
  });
});
