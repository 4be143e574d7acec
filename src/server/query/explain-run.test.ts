import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ActionDefinition, BotDefinition } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE, EXAMPLE_ACTIONS, extendCatalogue } from '../../lang/index.js';
import type { RunExplanation } from '../../protocol/index.js';
import { CircuitBreaker } from '../circuit-breaker.js';
import type { FakeHost } from '../fleet/fake-fleet.test-support.js';
import { hostRow } from '../fleet/fake-fleet.test-support.js';
import { outcomeOf, runStatement } from './run-statement.js';
import { ADMIN, fakeStatementContext, memoryStorePerTest } from './statements.test-support.js';

/*
 * A dry run's explanation (explainRun through runStatement), against a fake Fleet, a real in-memory
 * store and a real circuit breaker: what it says, and that saying it runs and consumes nothing.
 */

const store = memoryStorePerTest();
const HOSTS: FakeHost[] = ['h1', 'h2', 'h3', 'h4', 'h5'].map((name) => ({ name, answer: () => ({ rows: [hostRow(name, { exit_code: 0 })] }) }));
const BOT = { kind: 'bot', name: 'restarter', action: 'restart_service', enabled: true, approval: { expiresSeconds: 600 }, circuitBreaker: { max: 4, windowSeconds: 600 } } as BotDefinition;
const ACTION = { kind: 'action', name: 'restart_service', runBy: { roles: ['admin'], principals: ['dba-oncall', 'bot:restarter'] } } as unknown as ActionDefinition;
const ROLLOUT = 'host | rolling(batch = 2, max_errors = 1, ramp = exponential) | restart_service(name = "api")';

function setup(maxTargets = 3) {
  const { ctx: base, fleet } = fakeStatementContext(store(), HOSTS, maxTargets);
  const breaker = new CircuitBreaker(store(), pino({ level: 'silent' }), () => Promise.resolve());
  const ctx = {
    ...base,
    catalogue: () => extendCatalogue(BUILTIN_CATALOGUE, { actions: EXAMPLE_ACTIONS }),
    policy: { ...base.policy, action: (name: string) => (name === ACTION.name ? ACTION : undefined) },
    bots: async () => [{ name: BOT.name, action: BOT.action, enabled: true, approval: true, breaker: await breaker.state(BOT, HOSTS.length) }],
  };
  const explain = async (statement: string) => (await outcomeOf(runStatement(ctx, { statement, principal: ADMIN, dryRun: true }))).explanation as RunExplanation;
  return { ctx, fleet, breaker, explain };
}

describe('a dry run explains the run', () => {
  it('lists the targets, the batches in order, the breakers, who approves, and the blast-radius verdict', async () => {
    const { breaker, explain } = setup();
    await breaker.permit('h1', BOT, HOSTS.length);
    const e = await explain(ROLLOUT);
    expect(e.targets).toEqual({ count: 5, names: ['h1', 'h2', 'h3', 'h4', 'h5'], unreachable: 0 });
    expect(e.rollout).toEqual({
      batchCount: 3,
      size: 2,
      ramp: 'exponential',
      maxErrors: 1,
      batches: [
        { count: 1, names: ['h1'] },
        { count: 2, names: ['h2', 'h3'] },
        { count: 2, names: ['h4', 'h5'] },
      ],
    });
    expect(e.breakers).toEqual([{ bot: 'restarter', action: 'restart_service', max: 4, windowSeconds: 600, used: 1, left: 3, tripped: false, consumes: 0 }]);
    expect(e.approval).toMatchObject({ required: false, bots: [{ bot: 'restarter', action: 'restart_service', roles: ['admin'], principals: ['dba-oncall'] }] });
    expect(e.approval.reason).toContain('more than 3 resources: it runs only when confirmed (--yes)');
    expect(e.blastRadius).toEqual({ verdict: 'over', targets: 5, limit: 3 });
  });

  it('runs nothing and consumes nothing: no agent asked to act, the breaker\'s window unchanged, the run recorded and audited as a dry run', async () => {
    const { breaker, explain, fleet } = setup();
    await breaker.permit('h2', BOT, HOSTS.length);
    const before = await breaker.state(BOT, HOSTS.length);
    await explain(ROLLOUT);
    await explain('host | restart_service(name = "api")');
    expect(await breaker.state(BOT, HOSTS.length)).toEqual(before);
    expect(fleet.sent.filter((q) => q.phase.steps.some((s) => s.op === 'action' || s.op === 'command'))).toEqual([]);
    const runs = await store().listRuns({});
    expect(runs.map((r) => r.status)).toEqual(['dry_run', 'dry_run']);
    const audit = await store().listAudit({});
    expect(audit.map((a) => a.action).sort()).toEqual(['run.dry', 'run.dry', 'run.start', 'run.start']);
  });

  it('explains the batches the executor then runs: one plan for both', async () => {
    const { ctx, explain } = setup(10);
    const planned = (await explain(ROLLOUT)).rollout?.batches.map((b) => b.names);
    const lines = [];
    for await (const line of runStatement(ctx, { statement: ROLLOUT, principal: ADMIN, yes: true })) lines.push(line);
    const ran = lines.flatMap((l) => (l.type === 'progress' && l.progress.stage === 'batch_started' ? [l.progress.resources] : []));
    expect(ran).toEqual(planned);
  });

  it('says when a statement only reads, and when a run stays within the limit', async () => {
    const { explain } = setup();
    expect(await explain('host | name = "h1" | cpu_usage')).toMatchObject({ rollout: null, breakers: [], approval: { required: false, reason: 'it only reads: nothing to approve', bots: [] }, blastRadius: { verdict: 'reads only' } });
    const within = await setup(5).explain('host | restart_service(name = "api")');
    expect(within.blastRadius).toEqual({ verdict: 'within', targets: 5, limit: 5 });
    expect(within.approval.reason).toBe('a run started by a person is not held for approval: approvals hold bot runs');
  });
});
