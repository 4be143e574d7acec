import { describe, expect, it } from 'vitest';

import type { FleetEvent, ResultRow } from '../../protocol/index.js';
import { FakeClock, settle } from '../fleet/fake-clock.test-support.js';
import type { FakeHost } from '../fleet/fake-fleet.test-support.js';
import { FakeFleet, hostRow } from '../fleet/fake-fleet.test-support.js';
import type { ExecuteOptions } from './execute.js';
import { executePlan } from './execute.js';
import { consume, planOf } from './query-lines.test-support.js';

/*
 * executePlan against a fake Fleet whose agents answer as told (with rows, late, never, by
 * failing, by disconnecting) on a fake clock: what an operator sees of a query, line by line,
 * without a real agent or a real sleep.
 */

const T = 30_000;
const OPTIONS: ExecuteOptions = { principal: 'ops', timeoutMs: T };

function setup(hosts: readonly FakeHost[]) {
  const clock = new FakeClock();
  const fleet = new FakeFleet(clock, hosts);
  const run = (statement: string, options: Partial<ExecuteOptions> = {}) => consume(executePlan(planOf(statement), fleet, { ...OPTIONS, clock, ...options }));
  return { clock, fleet, run };
}

const uptime = (host: string, afterMs?: number) => ({ rows: [hostRow(host, { stdout: `${host} up`, exit_code: 0 })], ...(afterMs === undefined ? {} : { afterMs }) });
const processRow = (host: string, pid: number, values: ResultRow['values'] = {}): ResultRow => ({ resource: { type: 'process', id: `${host}/${pid}`, name: 'worker', host }, status: 'ok', values });
const names = (rows: readonly ResultRow[]) => rows.map((r) => `${r.resource?.name}:${r.status}`);

describe('executePlan: the inventory', () => {
  it('answers `host` from the inventory alone, sorted by name, asking no agent', async () => {
    const { fleet, run } = setup([{ name: 'web-10' }, { name: 'web-2' }, { name: 'db-1', offline: true }]);
    const q = run('host | env = "prod"');
    await q.done;
    expect(fleet.sent).toEqual([]);
    expect(q.rows()).toEqual([]);

    const all = run('host');
    await all.done;
    expect(names(all.rows())).toEqual(['db-1:ok', 'web-2:ok', 'web-10:ok']);
    expect(all.result()).toMatchObject({ targets: 3, agentsAsked: 0, agentsAnswered: 0, failures: [] });
    expect(all.seen.at(-1)?.type).toBe('result');
  });
});

describe('executePlan: the fan-out', () => {
  it('asks only the hosts still in the rows, under one query id and one shared frame', async () => {
    const { fleet, run } = setup([
      { name: 'web-1', tags: { env: 'prod' }, answer: () => uptime('web-1') },
      { name: 'web-2', tags: { env: 'prod' }, answer: () => uptime('web-2') },
      { name: 'db-1', tags: { env: 'test' }, answer: () => uptime('db-1') },
    ]);
    const q = run('host | env = "prod" | `uptime`', { runId: 'run-1' });
    await q.done;
    expect(fleet.sent.map((s) => s.host)).toEqual(['web-1', 'web-2']);
    expect(new Set(fleet.sent.map((s) => s.id)).size).toBe(1);
    expect(fleet.sent[0]?.frame).toBe(fleet.sent[1]?.frame);
    expect(fleet.sent[0]).toMatchObject({ runId: 'run-1', phase: { where: 'agent', steps: [{ op: 'command', text: 'uptime' }] } });
    // Whole hosts: no target list, so every agent can get the same bytes.
    expect(fleet.sent[0]?.targets).toBeUndefined();
    expect(names(q.rows())).toEqual(['web-1:ok', 'web-2:ok']);
    expect(q.result()).toMatchObject({ targets: 2, agentsAsked: 2, agentsAnswered: 2 });
  });

  it('counts as targets the resources a command ran on: processes, not the hosts they are on', async () => {
    // Three processes per host: the command ran on two (their exit codes) and failed on the third
    // before it could start (an error row, a failed target all the same).
    const workers = (host: string) => ({
      rows: [processRow(host, 10, { exit_code: 0 }), processRow(host, 11, { exit_code: 1 }), { ...processRow(host, 12), status: 'error' as const, error: 'cannot read its environment' }],
    });
    const { run } = setup([
      { name: 'web-1', answer: () => workers('web-1') },
      { name: 'web-2', answer: () => workers('web-2') },
      { name: 'db-1', offline: true },
    ]);
    const q = run('process | name = "worker" | `kill -HUP $PID`');
    await q.done;
    // 2 × 3 process rows, and the offline host (it may have run it): 7, not the 3 hosts asked.
    expect(q.result()).toMatchObject({ targets: 7, agentsAsked: 2, agentsAnswered: 2 });

    // Without the error row: exactly the process rows.
    const quiet = setup(['web-1', 'web-2', 'web-3', 'web-4'].map((name) => ({ name, answer: () => ({ rows: [10, 11].map((pid) => processRow(name, pid, { exit_code: 0 })) }) })));
    const all = quiet.run('process | name = "worker" | `true`');
    await all.done;
    expect(all.rows()).toHaveLength(8);
    expect(all.result()?.targets).toBe(8);
  });

  it('shows rows as each agent answers, before the slowest has', async () => {
    const { clock, run } = setup([
      { name: 'web-1', answer: () => uptime('web-1', 2000) },
      { name: 'web-2', answer: () => uptime('web-2', 500) },
    ]);
    const q = run('host | `uptime`');
    await clock.advance(1000);
    expect(names(q.rows())).toEqual(['web-2:ok']);
    expect(q.finished).toBe(false);
    await clock.advance(1000);
    await q.done;
    expect(names(q.rows())).toEqual(['web-2:ok', 'web-1:ok']);
    expect(names(q.result()?.rows ?? [])).toEqual(['web-2:ok', 'web-1:ok']);
    // Shown once: the result's rows are not sent again after they streamed.
    expect(q.seen.map((l) => l.type)).toEqual(['targets', 'rows', 'rows', 'result']);
    // Said first: how many hosts the rows to come are from, so a client can count those pending.
    expect(q.seen[0]).toEqual({ type: 'targets', hosts: 2 });
  });

  it('never loses a host: offline, gone before the send, failed or disconnected agents give rows saying so', async () => {
    const seen = Date.parse('2026-01-02T03:04:05Z');
    const { run } = setup([
      { name: 'a-ok', answer: () => uptime('a-ok') },
      { name: 'b-off', offline: true, lastSeenAt: seen },
      { name: 'c-never', offline: true },
      { name: 'd-gone', refuses: true },
      { name: 'e-err', answer: () => ({ error: 'phase failed: no such metric' }) },
      { name: 'f-lost', answer: () => ({ lost: 'agent disconnected during the query', rows: [hostRow('f-lost', { partial: 1 })] }) },
    ]);
    const q = run('host | `uptime`');
    await q.done;
    const r = q.result();
    expect(names(r?.rows ?? [])).toEqual(['a-ok:ok', 'f-lost:ok']);
    expect(r?.failures.map((f) => [f.resource?.name, f.status, f.error])).toEqual([
      ['b-off', 'offline', 'agent offline (last seen 2026-01-02T03:04:05.000Z)'],
      ['c-never', 'offline', 'agent offline (never connected)'],
      ['d-gone', 'offline', 'agent disconnected before the query was sent'],
      ['e-err', 'error', 'phase failed: no such metric'],
      ['f-lost', 'offline', 'agent disconnected during the query'],
    ]);
    expect(r).toMatchObject({ agentsAsked: 4, agentsAnswered: 1, targets: 6 });
    expect(q.rows()).toHaveLength(7);
  });

  it('turns an agent that does not answer in time into a timeout row, cancels it, and ignores what it sends later', async () => {
    const { clock, fleet, run } = setup([
      { name: 'web-1', answer: () => uptime('web-1') },
      { name: 'web-2', answer: () => ({ silent: true }) },
      { name: 'web-3', answer: () => uptime('web-3', T + 5000) },
    ]);
    const q = run('host | `uptime`');
    await clock.advance(T - 1);
    expect(q.finished).toBe(false);
    expect(fleet.cancelled).toEqual([]);
    await clock.advance(1);
    await q.done;
    const id = fleet.sent[0]?.id;
    expect(fleet.cancelled).toEqual([
      { host: 'web-2', id },
      { host: 'web-3', id },
    ]);
    expect(q.result()?.failures.map((f) => [f.resource?.name, f.status, f.error])).toEqual([
      ['web-2', 'timeout', 'agent did not answer within 30s'],
      ['web-3', 'timeout', 'agent did not answer within 30s'],
    ]);
    // The agent is told to stop before the control plane gives up, so its partial answer can arrive.
    expect(fleet.sent[0]?.timeoutMs).toBe(T - 250);
    await clock.advance(10_000);
    expect(names(q.rows())).toEqual(['web-1:ok', 'web-2:timeout', 'web-3:timeout']);
    expect(q.result()).toMatchObject({ agentsAsked: 3, agentsAnswered: 1 });
  });
});

describe('executePlan: control phases and dry runs', () => {
  it('reduces the merged rows on the control plane and shows the answer once, then the failures', async () => {
    const { run } = setup([
      { name: 'web-1', answer: () => ({ rows: [hostRow('web-1', { cpu_usage: 90 })] }) },
      { name: 'web-2', answer: () => ({ rows: [hostRow('web-2', { cpu_usage: 70 })] }) },
      { name: 'web-3', answer: () => ({ rows: [] }) },
      { name: 'db-1', offline: true },
    ]);
    const q = run('host | cpu_usage > 50 | count');
    await q.done;
    expect(q.seen.map((l) => l.type)).toEqual(['rows', 'result']);
    expect(q.rows().map((r) => [r.status, r.values.count ?? r.resource?.name])).toEqual([
      ['ok', 2],
      ['offline', 'db-1'],
    ]);
    expect(q.result()).toMatchObject({ rows: [{ values: { count: 2 } }], agentsAsked: 3, agentsAnswered: 3, targets: 1 });
  });

  it('a dry run asks agents only what comes before the first command, and lists its targets', async () => {
    const { fleet, run } = setup([
      { name: 'web-1', answer: () => ({ rows: [hostRow('web-1', { cpu_usage: 90 })] }) },
      { name: 'web-2', answer: () => ({ rows: [] }) },
      { name: 'db-1', offline: true },
    ]);
    const q = run('host | cpu_usage > 50 | `reboot`', { dryRun: true });
    await q.done;
    expect(fleet.sent.every((s) => s.phase.steps.every((step) => step.op !== 'command'))).toBe(true);
    expect(fleet.sent).toHaveLength(2);
    // Streamed as they come: the offline host at once, the agent's answer after.
    expect(names(q.rows())).toEqual(['db-1:offline', 'web-1:ok']);

    const none = run('host | `reboot`', { dryRun: true });
    await none.done;
    expect(fleet.sent).toHaveLength(2);
    expect(names(none.rows())).toEqual(['db-1:ok', 'web-1:ok', 'web-2:ok']);
  });

  it('stops between phases once cancelled', async () => {
    const { fleet, run } = setup([{ name: 'web-1', answer: () => uptime('web-1') }]);
    const q = run('host | `uptime`', { signal: AbortSignal.abort() });
    await q.done;
    expect(q.error).toMatchObject({ code: 'BW_ERR_CONFLICT', message: 'query cancelled' });
    expect(fleet.sent).toEqual([]);
    expect(q.seen).toEqual([]);
  });

  it('answers `events` from the control plane, with each event\'s age on the clock', async () => {
    const { clock, run } = setup([]);
    const event = (type: FleetEvent['type'], agoMs: number): FleetEvent => ({ id: `${type}-${agoMs}`, time: clock.now() - agoMs, type, host: 'web-1', message: type }) as FleetEvent;
    const events = async () => [event('alarm_fired', 5000), event('bot_ran', 60_000)];
    const q = run('events | type = "alarm_fired"', { events });
    await settle();
    await q.done;
    expect(q.rows().map((r) => [r.values.type, r.values.age])).toEqual([['alarm_fired', 5]]);

    const without = run('events');
    await without.done;
    expect(without.error).toMatchObject({ code: 'BW_ERR_UNAVAILABLE' });
  });
});
