import { describe, expect, it } from 'vitest';

import { FakeClock } from '../fleet/fake-clock.test-support.js';
import type { FakeAnswer, FakeHost, SentQuery } from '../fleet/fake-fleet.test-support.js';
import { FakeFleet, hostRow } from '../fleet/fake-fleet.test-support.js';
import { executePlan } from './execute.js';
import { consume, planOf } from './query-lines.test-support.js';

/*
 * Rollouts (`rolling(...)`) through executePlan, against a fake Fleet on a fake clock: batch sizes,
 * one batch at a time, pauses, health waits, and halting, as the operator sees them in the
 * progress lines and the result. Pauses and polls are clock time: no test sleeps.
 */

const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5'];
const isHealthCheck = (q: SentQuery) => q.phase.steps[0]?.op === 'filter';

/** Agents that run the rolled-out command (`exit` picks each host's exit code) and answer health checks with `healthy`. */
function fleetOf(options: { exit?: (host: string) => number; commandMs?: number; healthy?: (host: string, poll: number) => boolean; hosts?: readonly string[] }) {
  const clock = new FakeClock();
  const polls = new Map<string, number>();
  const answer = (q: SentQuery): FakeAnswer => {
    if (isHealthCheck(q)) {
      const poll = (polls.get(q.host) ?? 0) + 1;
      polls.set(q.host, poll);
      return { rows: options.healthy?.(q.host, poll) === false ? [] : [hostRow(q.host)] };
    }
    const rows = [hostRow(q.host, { exit_code: options.exit?.(q.host) ?? 0 })];
    return options.commandMs === undefined ? { rows } : { rows, afterMs: options.commandMs };
  };
  const hosts: FakeHost[] = (options.hosts ?? HOSTS).map((name) => ({ name, answer }));
  const fleet = new FakeFleet(clock, hosts);
  const run = (statement: string) => consume(executePlan(planOf(statement), fleet, { principal: 'ops', timeoutMs: 30_000, clock }));
  const commands = () => fleet.sent.filter((q) => !isHealthCheck(q)).map((q) => q.host);
  const checks = () => fleet.sent.filter(isHealthCheck).map((q) => `${q.host}@${q.id}`);
  return { clock, fleet, run, commands, checks };
}

describe('rollouts', () => {
  it('runs in batches of the given size, one batch at a time, saying so as it goes', async () => {
    const { clock, run, commands } = fleetOf({ commandMs: 1000 });
    const q = run('host | rolling(batch = 2) | `restart`');
    await clock.advance(999);
    expect(commands()).toEqual(['h1', 'h2']);
    await clock.advance(1);
    expect(commands()).toEqual(['h1', 'h2', 'h3', 'h4']);
    await clock.advance(1000);
    expect(commands()).toEqual(HOSTS);
    expect(q.finished).toBe(false);
    await clock.advance(1000);
    await q.done;
    expect(q.progress().map((p) => `${p.stage} ${p.batch}/${p.batches} ${p.resources.join(',')}`)).toEqual([
      'batch_started 1/3 h1,h2',
      'batch_done 1/3 h1,h2',
      'batch_started 2/3 h3,h4',
      'batch_done 2/3 h3,h4',
      'batch_started 3/3 h5',
      'batch_done 3/3 h5',
    ]);
    expect(q.result()).toMatchObject({ targets: 5, agentsAsked: 5, agentsAnswered: 5, failures: [] });
    // Progress comes as it happens, and each batch's rows as soon as the batch is done: a client
    // shows hosts of batch 1 while batch 2 runs, counting 5 hosts in all from the first line.
    expect(q.seen.map((l) => (l.type === 'progress' ? l.progress.stage : l.type))).toEqual(['targets', 'batch_started', 'rows', 'batch_done', 'batch_started', 'rows', 'batch_done', 'batch_started', 'rows', 'batch_done', 'result']);
    expect(q.seen[0]).toEqual({ type: 'targets', hosts: 5 });
    expect(q.rows().map((r) => r.resource?.name)).toEqual(HOSTS);
  });

  it('sizes percentage batches from the targets, at least one host', async () => {
    const { run } = fleetOf({});
    const q = run('host | rolling(batch = 40%) | `restart`');
    await q.done;
    expect(q.progress().filter((p) => p.stage === 'batch_started').map((p) => p.resources.length)).toEqual([2, 2, 1]);

    const one = fleetOf({ hosts: ['h1', 'h2'] });
    const small = one.run('host | rolling(batch = 10%) | `restart`');
    await small.done;
    expect(small.progress().filter((p) => p.stage === 'batch_started').map((p) => p.resources.length)).toEqual([1, 1]);
  });

  it('halts on the first failed batch: later resources are reported as not run, and why', async () => {
    const { run, commands } = fleetOf({ exit: (h) => (h === 'h2' ? 1 : 0) });
    const q = run('host | rolling(batch = 2) | `restart`');
    await q.done;
    expect(commands()).toEqual(['h1', 'h2']);
    const why = 'batch 1 failed on h2';
    expect(q.progress().at(-1)).toMatchObject({ stage: 'halted', batch: 1, message: why });
    const r = q.result();
    expect(r?.rows.map((row) => [row.resource?.name, row.values.exit_code])).toEqual([
      ['h1', 0],
      ['h2', 1],
    ]);
    expect(r?.failures.map((f) => [f.resource?.name, f.status, f.error])).toEqual(['h3', 'h4', 'h5'].map((h) => [h, 'cancelled', `not run: the rollout halted (${why})`]));
    expect(r?.targets).toBe(5);
  });

  it('pauses between batches (not after the last) on the clock', async () => {
    const { clock, run, commands } = fleetOf({});
    const q = run('host | rolling(batch = 3, pause = 5s) | `restart`');
    await clock.advance(4999);
    expect(commands()).toEqual(['h1', 'h2', 'h3']);
    await clock.advance(1);
    expect(commands()).toEqual(HOSTS);
    await q.done;
    expect(clock.now() - new FakeClock().now()).toBe(5000);
  });

  it('waits for the health check, polling only the hosts not healthy yet, once a second', async () => {
    const { clock, run, commands, checks } = fleetOf({ hosts: ['h1', 'h2', 'h3'], healthy: (h, poll) => (h === 'h1' ? poll >= 2 : poll >= 3) });
    const q = run('host | rolling(batch = 2, until = ok(`curl -fsS localhost/health`), timeout = 10s) | `restart`');
    await clock.advance(0);
    expect(checks().map((c) => c.split('@')[0])).toEqual(['h1', 'h2']);
    await clock.advance(1000);
    expect(checks().map((c) => c.split('@')[0])).toEqual(['h1', 'h2', 'h1', 'h2']);
    expect(commands()).toEqual(['h1', 'h2']);
    await clock.advance(1000);
    // h2 holds at its third poll: the next batch starts at once, and is checked in turn.
    expect(checks().map((c) => c.split('@')[0])).toEqual(['h1', 'h2', 'h1', 'h2', 'h2', 'h3']);
    expect(commands()).toEqual(['h1', 'h2', 'h3']);
    await clock.advance(2000);
    await q.done;
    expect(q.progress().map((p) => `${p.stage} ${p.batch}`)).toEqual(['batch_started 1', 'waiting_for_health 1', 'healthy 1', 'batch_done 1', 'batch_started 2', 'waiting_for_health 2', 'healthy 2', 'batch_done 2']);
    expect(q.progress()[1]?.message).toBe('waiting up to 10s for the health check on batch 1');
    expect(q.result()?.failures).toEqual([]);
  });

  it('halts when a batch does not become healthy in time: its hosts fail, later ones do not run', async () => {
    const { clock, run, commands, checks } = fleetOf({ hosts: ['h1', 'h2', 'h3'], healthy: (h) => h !== 'h2' });
    const q = run('host | rolling(batch = 2, until = ok(`curl -fsS localhost/health`), timeout = 10s) | `restart`');
    await clock.advance(9000);
    expect(q.finished).toBe(false);
    await clock.advance(2000);
    await q.done;
    expect(commands()).toEqual(['h1', 'h2']);
    // h1 passed at once and is not asked again; h2 is asked until the deadline.
    expect(checks().filter((c) => c.startsWith('h1@'))).toHaveLength(1);
    expect(checks().filter((c) => c.startsWith('h2@')).length).toBeGreaterThanOrEqual(10);
    const why = 'batch 1 did not become healthy within 10s: h2';
    expect(q.progress().at(-1)).toMatchObject({ stage: 'halted', message: why });
    const r = q.result();
    expect(r?.rows.map((row) => row.resource?.name)).toEqual(['h1']);
    expect(r?.failures.map((f) => [f.resource?.name, f.status, f.error])).toEqual([
      ['h2', 'error', 'ran, but did not become healthy within 10s'],
      ['h3', 'cancelled', `not run: the rollout halted (${why})`],
    ]);
    // Shown as the batch ended: h2 already as failed (not first ok, then failed), h3 once halted.
    expect(q.rows().map((row) => `${row.resource?.name ?? '?'}:${row.status}`)).toEqual(['h1:ok', 'h2:error', 'h3:cancelled']);
  });

  it('tolerates failures up to max_errors across batches, then aborts: what ran, failed and never started', async () => {
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
    const { run, commands } = fleetOf({ hosts, exit: (h) => (['h2', 'h3', 'h4'].includes(h) ? 1 : 0) });
    const q = run('host | rolling(batch = 2, max_errors = 2) | `restart`');
    await q.done;
    // Batch 1 (h1, h2) has one failure, within the budget; batch 2 (h3, h4) makes it three.
    expect(commands()).toEqual(['h1', 'h2', 'h3', 'h4']);
    const why = '3 failures > max_errors 2: batch 2 failed on h3, h4';
    expect(q.progress().map((p) => `${p.stage} ${p.batch} ${p.errors}/${p.maxErrors}`)).toEqual(['batch_started 1 0/2', 'batch_done 1 1/2', 'batch_started 2 1/2', 'halted 2 3/2']);
    expect(q.progress()[1]?.message).toBe('batch 1/3 done: batch 1 failed on h2 (errors 1/2)');
    expect(q.progress().at(-1)?.message).toBe(why);
    const r = q.result();
    expect(r?.failures.filter((f) => f.status === 'cancelled').map((f) => [f.resource?.name, f.error])).toEqual(['h5', 'h6'].map((h) => [h, `not run: the rollout halted (${why})`]));
    expect(r?.rollout).toEqual({ batches: 3, started: 2, maxErrors: 2, ok: ['h1'], failed: ['h2', 'h3', 'h4'], notStarted: ['h5', 'h6'], aborted: why });
  });

  it('runs to the end when the failures stay within a share of the targets', async () => {
    const { run, commands } = fleetOf({ exit: (h) => (h === 'h3' ? 1 : 0) });
    const q = run('host | rolling(batch = 1, max_errors = 20%) | `restart`');
    await q.done;
    expect(commands()).toEqual(HOSTS);
    expect(q.result()?.rollout).toMatchObject({ started: 5, maxErrors: 1, failed: ['h3'], notStarted: [], aborted: null });
  });

  it('ramps up exponentially: batches of 1, 2, then the batch size', async () => {
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8', 'h9', 'h10'];
    const { run } = fleetOf({ hosts });
    const q = run('host | rolling(batch = 3, ramp = exponential) | `restart`');
    await q.done;
    expect(q.progress().filter((p) => p.stage === 'batch_started').map((p) => p.resources.join(','))).toEqual(['h1', 'h2,h3', 'h4,h5,h6', 'h7,h8,h9', 'h10']);
  });

  it('counts hosts that do not become healthy as failures against the budget, and checks only the hosts that ran', async () => {
    const { clock, run, commands, checks } = fleetOf({ hosts: ['h1', 'h2', 'h3', 'h4'], exit: (h) => (h === 'h1' ? 1 : 0), healthy: (h) => h !== 'h2' });
    const q = run('host | rolling(batch = 2, max_errors = 1, until = ok(`true`), timeout = 2s) | `restart`');
    await clock.advance(5000);
    await q.done;
    expect(commands()).toEqual(['h1', 'h2']);
    expect(checks().some((c) => c.startsWith('h1@'))).toBe(false);
    expect(q.result()?.rollout).toMatchObject({ failed: ['h1', 'h2'], notStarted: ['h3', 'h4'], aborted: '2 failures > max_errors 1: batch 1 failed on h1; batch 1 did not become healthy within 2s: h2' });
  });
});
