import { describe, expect, it } from 'vitest';

import { parseDefinitions } from '../../definitions/index.js';
import type { AgentPhase } from '../../lang/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { ResourceRef, ResultRow } from '../../protocol/index.js';
import type { AlarmTransition } from './alarms.js';
import { AlarmEngine, step } from './alarms.js';
import type { CompiledAlarm } from './compile.js';
import { compileDefinitions } from './compile.js';

/*
 * The alarm state machine (step) on its own, then AlarmEngine with a fake PhaseRunner: a small
 * "world" says which resources are in scope, which meet the fire and clear conditions, and what
 * value each measures. Alarms are built from YAML with the real parser and compiler, and the fake
 * tells the phases apart by identity, so the tests read as "the disk is 95 % full for 3 s".
 */

type State = Parameters<typeof step>[0];

const T0 = 1_700_000_000_000;
const at = (s: number) => T0 + s * 1000;
const HOST = 'web-1';

describe('step: the alarm state machine', () => {
  const ok: State = { kind: 'ok' };

  it('stays ok while the fire condition does not hold', () => {
    expect(step(ok, false, true, at(0), 3000, 2000)).toEqual({ kind: 'ok' });
  });

  it('fires at once without a fire hold time', () => {
    expect(step(ok, true, false, at(0), 0, 0)).toEqual({ kind: 'firing', since: at(0), value: null });
  });

  it('goes pending with a fire hold time, and fires once the condition has held for it', () => {
    const pending = step(ok, true, false, at(0), 3000, 0);
    expect(pending).toEqual({ kind: 'pending', since: at(0) });
    // Still within fire_for: the pending state (and when it started) is kept.
    expect(step(pending, true, false, at(1), 3000, 0)).toEqual({ kind: 'pending', since: at(0) });
    expect(step(pending, true, false, at(2.999), 3000, 0)).toEqual({ kind: 'pending', since: at(0) });
    expect(step(pending, true, false, at(3), 3000, 0)).toEqual({ kind: 'firing', since: at(3), value: null });
  });

  it('goes back to ok when the condition stops holding while pending (a flap does not fire)', () => {
    const pending: State = { kind: 'pending', since: at(0) };
    expect(step(pending, false, true, at(2), 3000, 0)).toEqual({ kind: 'ok' });
    // A new pending period starts from scratch.
    expect(step({ kind: 'ok' }, true, false, at(3), 3000, 0)).toEqual({ kind: 'pending', since: at(3) });
  });

  it('keeps firing while the clear condition does not hold', () => {
    const firing: State = { kind: 'firing', since: at(0), value: null };
    expect(step(firing, true, false, at(5), 0, 2000)).toBe(firing);
    // With hysteresis, neither condition may hold (between the clear and fire thresholds).
    expect(step(firing, false, false, at(6), 0, 2000)).toBe(firing);
  });

  it('clears at once without a clear hold time', () => {
    expect(step({ kind: 'firing', since: at(0), value: null }, false, true, at(5), 0, 0)).toEqual({ kind: 'ok' });
  });

  it('goes clearing with a clear hold time, and clears once the clear condition has held for it', () => {
    const clearing = step({ kind: 'firing', since: at(0), value: null }, false, true, at(5), 0, 2000);
    expect(clearing).toEqual({ kind: 'clearing', since: at(5), value: null });
    expect(step(clearing, false, true, at(6.5), 0, 2000)).toBe(clearing);
    expect(step(clearing, false, true, at(7), 0, 2000)).toEqual({ kind: 'ok' });
  });

  it('goes back to firing when the clear condition stops holding while clearing, and the clear hold starts over', () => {
    const clearing: State = { kind: 'clearing', since: at(5), value: null };
    const back = step(clearing, true, false, at(6), 0, 2000);
    expect(back.kind).toBe('firing');
    const again = step(back, false, true, at(7), 0, 2000);
    expect(again).toEqual({ kind: 'clearing', since: at(7), value: null });
    // 2 s after the first clearing began, but only 1 s into the second: still clearing.
    expect(step(again, false, true, at(8), 0, 2000).kind).toBe('clearing');
    expect(step(again, false, true, at(9), 0, 2000)).toEqual({ kind: 'ok' });
  });
});

// ---- AlarmEngine ----

const DISK_ALARM = `
kind: alarm
name: data-disk-full
description: The /data filesystem is nearly full.
query: host | role = "web"
fire: disk_usage{mount="/data"} > 90
fire_for: 3s
clear: disk_usage{mount="/data"} < 80
clear_for: 2s
severity: critical
interval: 1s
`;

const WORKER_ALARM = `
kind: alarm
name: worker-cpu
query: process | name = "worker"
fire: cpu_usage > 90
severity: warning
interval: 1s
`;

const SLOW_ALARM = `
kind: alarm
name: slow-check
query: host
fire: load1 > 4
severity: info
interval: 5s
`;

function compile(...yaml: string[]): CompiledAlarm[] {
  const { definitions, diagnostics } = parseDefinitions([{ path: 'test/alarms.yaml', text: yaml.join('\n---\n') }], BUILTIN_CATALOGUE);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => d.message).join('; '));
  const compiled = compileDefinitions(1, definitions, BUILTIN_CATALOGUE);
  if (compiled.problems.length) throw new Error(compiled.problems.join('; '));
  return [...compiled.alarms];
}

const hostRef: ResourceRef = { type: 'host', id: HOST, name: HOST, host: HOST };
const proc = (pid: number): ResourceRef => ({ type: 'process', id: `${HOST}/${pid}`, name: 'worker', host: HOST });

/** What the fake PhaseRunner answers, per alarm: resources in scope, meeting fire / clear, and their values. */
interface World {
  scope: ResourceRef[];
  fire: Set<string>;
  clear: Set<string>;
  values: Map<string, number>;
  /** Resources whose fire evaluation fails, with the error. */
  errors: Map<string, string>;
}

const world = (scope: ResourceRef[]): World => ({ scope, fire: new Set(), clear: new Set(), values: new Map(), errors: new Map() });

interface Call {
  readonly alarm: string;
  readonly phase: 'scope' | 'fire' | 'clear' | 'value';
  readonly targets: readonly string[] | undefined;
}

function setup(alarms: CompiledAlarm[], worlds: Record<string, World>) {
  const calls: Call[] = [];
  const transitions: AlarmTransition[] = [];
  const problems: [string, string][] = [];
  const okRow = (r: ResourceRef, values: ResultRow['values'] = {}): ResultRow => ({ resource: r, status: 'ok', values });
  const run = async (phase: AgentPhase, targets?: readonly string[]): Promise<ResultRow[]> => {
    for (const a of alarms) {
      const w = worlds[a.def.name];
      if (!w) throw new Error(`no world for ${a.def.name}`);
      if (phase === a.scope) {
        calls.push({ alarm: a.def.name, phase: 'scope', targets });
        return w.scope.map((r) => okRow(r));
      }
      if (phase === a.fire) {
        calls.push({ alarm: a.def.name, phase: 'fire', targets });
        const rows = w.scope.filter((r) => w.fire.has(r.id) && !w.errors.has(r.id)).map((r) => okRow(r));
        for (const [id, error] of w.errors) {
          const r = w.scope.find((s) => s.id === id);
          if (r) rows.push({ resource: r, status: 'error', values: {}, error });
        }
        return rows;
      }
      if (phase === a.clear) {
        calls.push({ alarm: a.def.name, phase: 'clear', targets });
        return w.scope.filter((r) => w.clear.has(r.id)).map((r) => okRow(r));
      }
      if (phase === a.value) {
        calls.push({ alarm: a.def.name, phase: 'value', targets });
        // The value phase runs on the resources asked for, in scope or not (a process that exited has no row).
        return w.scope.filter((r) => !targets || targets.includes(r.id)).map((r) => okRow(r, { value: w.values.get(r.id) ?? null }));
      }
    }
    throw new Error('unknown phase');
  };
  const engine = new AlarmEngine(HOST, run, (t) => transitions.push(t), (alarm, message) => problems.push([alarm, message]));
  const events = () => transitions.map((t) => t.event);
  return { engine, calls, transitions, problems, events };
}

describe('AlarmEngine: firing and clearing', () => {
  it('fires after fire_for with an event naming the alarm, host, resource, value and severity', async () => {
    const alarms = compile(DISK_ALARM);
    const w = world([hostRef]);
    const { engine, events, calls } = setup(alarms, { 'data-disk-full': w });
    w.fire.add(HOST);
    w.values.set(HOST, 95.456);

    await engine.tick(alarms, at(0));
    await engine.tick(alarms, at(1));
    await engine.tick(alarms, at(2));
    expect(events()).toEqual([]);
    expect(engine.firing('data-disk-full', HOST)).toBe(false);

    await engine.tick(alarms, at(3));
    expect(events()).toHaveLength(1);
    const e = events()[0];
    expect(e).toMatchObject({
      type: 'alarm_fired',
      time: at(3),
      alarm: 'data-disk-full',
      host: HOST,
      resource: HOST,
      value: 95.456,
      severity: 'critical',
      principal: `agent:${HOST}`,
      bot: null,
    });
    expect(e?.message).toBe('alarm data-disk-full fired on web-1 (value 95.46)');
    expect(e?.details).toEqual({ condition: 'disk_usage{mount="/data"} > 90' });
    expect(engine.firing('data-disk-full', HOST)).toBe(true);
    // The value is measured only for the resource that changed.
    expect(calls.filter((c) => c.phase === 'value')).toEqual([{ alarm: 'data-disk-full', phase: 'value', targets: [HOST] }]);

    // Still over the threshold: no second fired event.
    await engine.tick(alarms, at(4));
    await engine.tick(alarms, at(5));
    expect(events()).toHaveLength(1);
  });

  it('clears after clear_for with a cleared event carrying the value, and stays firing in between the thresholds', async () => {
    const alarms = compile(DISK_ALARM);
    const w = world([hostRef]);
    const { engine, events } = setup(alarms, { 'data-disk-full': w });
    w.fire.add(HOST);
    w.values.set(HOST, 97);
    for (let s = 0; s <= 3; s++) await engine.tick(alarms, at(s));
    expect(events().map((e) => e.type)).toEqual(['alarm_fired']);

    // 85 %: the fire condition no longer holds, the clear condition (< 80) does not yet.
    w.fire.clear();
    w.values.set(HOST, 85);
    for (let s = 4; s <= 10; s++) await engine.tick(alarms, at(s));
    expect(events()).toHaveLength(1);
    expect(engine.firing('data-disk-full', HOST)).toBe(true);

    w.clear.add(HOST);
    w.values.set(HOST, 70);
    await engine.tick(alarms, at(11));
    await engine.tick(alarms, at(12));
    expect(events()).toHaveLength(1);
    expect(engine.firing('data-disk-full', HOST)).toBe(true); // clearing still counts as firing
    await engine.tick(alarms, at(13));
    expect(events()).toHaveLength(2);
    expect(events()[1]).toMatchObject({ type: 'alarm_cleared', time: at(13), alarm: 'data-disk-full', host: HOST, resource: HOST, value: 70, severity: 'critical' });
    expect(events()[1]?.message).toBe('alarm data-disk-full cleared on web-1 (value 70)');
    expect(events()[1]?.details).toEqual({ condition: 'disk_usage{mount="/data"} < 80' });
    expect(engine.firing('data-disk-full', HOST)).toBe(false);
  });

  it('does not fire when the condition flaps off during fire_for, nor clear when it flaps back during clear_for', async () => {
    const alarms = compile(DISK_ALARM);
    const w = world([hostRef]);
    const { engine, events } = setup(alarms, { 'data-disk-full': w });
    w.fire.add(HOST);
    await engine.tick(alarms, at(0));
    await engine.tick(alarms, at(2));
    w.fire.clear(); // back under 90 before the 3 s hold
    await engine.tick(alarms, at(3));
    w.fire.add(HOST);
    await engine.tick(alarms, at(4));
    await engine.tick(alarms, at(6));
    expect(events()).toEqual([]); // pending again since 4 s: 2 s in
    await engine.tick(alarms, at(7));
    expect(events().map((e) => e.type)).toEqual(['alarm_fired']);

    w.fire.clear();
    w.clear.add(HOST);
    await engine.tick(alarms, at(8));
    w.clear.clear(); // back over 80 during the 2 s clear hold
    await engine.tick(alarms, at(9));
    w.clear.add(HOST);
    await engine.tick(alarms, at(10));
    await engine.tick(alarms, at(11));
    expect(events().map((e) => e.type)).toEqual(['alarm_fired']); // no second fired event for the flap back either
    await engine.tick(alarms, at(12));
    expect(events().map((e) => e.type)).toEqual(['alarm_fired', 'alarm_cleared']);
  });

  it('without a clear condition, clears when the fire condition no longer holds; resources are independent', async () => {
    const alarms = compile(WORKER_ALARM);
    const w = world([proc(42), proc(43)]);
    const { engine, events } = setup(alarms, { 'worker-cpu': w });
    w.fire.add(`${HOST}/42`);
    w.values.set(`${HOST}/42`, 99.5);
    await engine.tick(alarms, at(0));
    expect(events()).toHaveLength(1);
    expect(events()[0]).toMatchObject({ type: 'alarm_fired', resource: 'web-1/42', value: 99.5, severity: 'warning' });
    expect(events()[0]?.message).toBe('alarm worker-cpu fired on web-1/42 (value 99.5)');
    expect(events()[0]?.details).toEqual({ condition: 'cpu_usage > 90' });
    expect(engine.firing('worker-cpu', `${HOST}/42`)).toBe(true);
    expect(engine.firing('worker-cpu', `${HOST}/43`)).toBe(false);

    w.fire.clear();
    w.values.set(`${HOST}/42`, 12);
    await engine.tick(alarms, at(1));
    expect(events()[1]).toMatchObject({ type: 'alarm_cleared', resource: 'web-1/42', value: 12 });
    expect(events()[1]?.details).toEqual({ condition: 'not (cpu_usage > 90)' });
  });

  it('reports a null value and no "(value ...)" in the message when the value cannot be measured', async () => {
    const alarms = compile(WORKER_ALARM);
    const w = world([proc(42)]);
    const { engine, events } = setup(alarms, { 'worker-cpu': w });
    w.fire.add(`${HOST}/42`);
    await engine.tick(alarms, at(0));
    expect(events()[0]).toMatchObject({ type: 'alarm_fired', value: null });
    expect(events()[0]?.message).toBe('alarm worker-cpu fired on web-1/42');
  });

  it('clears a resource that left the scope while firing (a process that exited), and forgets one that was pending', async () => {
    const alarms = compile(WORKER_ALARM, DISK_ALARM);
    const procs = world([proc(42), proc(43)]);
    const disk = world([hostRef]);
    const { engine, transitions, events } = setup(alarms, { 'worker-cpu': procs, 'data-disk-full': disk });
    procs.fire.add(`${HOST}/42`);
    disk.fire.add(HOST);
    await engine.tick(alarms, at(0));
    expect(events().map((e) => [e.type, e.resource])).toEqual([['alarm_fired', 'web-1/42']]);

    // The process exits; the host's tag changes while the disk alarm is still pending.
    procs.scope = [proc(43)];
    disk.scope = [];
    await engine.tick(alarms, at(1));
    expect(events().map((e) => [e.type, e.alarm, e.resource])).toEqual([
      ['alarm_fired', 'worker-cpu', 'web-1/42'],
      ['alarm_cleared', 'worker-cpu', 'web-1/42'],
    ]);
    expect(events()[1]).toMatchObject({ host: HOST, value: null, severity: 'warning' });
    expect(transitions[1]?.state).toBe('cleared');
    // Cleared as the resource it fired on (bots triggered on `cleared` run on it).
    expect(transitions[1]?.resource).toEqual(proc(42));
    expect(engine.firing('worker-cpu', `${HOST}/42`)).toBe(false);

    // Back in scope: its pending time starts again from zero.
    disk.scope = [hostRef];
    await engine.tick(alarms, at(2));
    await engine.tick(alarms, at(4));
    expect(events()).toHaveLength(2);
    await engine.tick(alarms, at(5));
    expect(events().map((e) => [e.type, e.alarm])).toContainEqual(['alarm_fired', 'data-disk-full']);

    // The host leaves the disk alarm's scope while it fires: cleared as the host, not as a process.
    disk.scope = [];
    await engine.tick(alarms, at(6));
    const last = transitions.at(-1);
    expect([last?.state, last?.alarm.def.name, last?.resource]).toEqual(['cleared', 'data-disk-full', hostRef]);
    expect(last?.event.message).toBe(`alarm data-disk-full cleared on ${hostRef.name}`);
  });
});

describe('AlarmEngine: scheduling, errors and state', () => {
  it('respects the interval: ticks closer than it do nothing', async () => {
    const alarms = compile(SLOW_ALARM);
    const { engine, calls } = setup(alarms, { 'slow-check': world([hostRef]) });
    const evaluations = () => calls.filter((c) => c.phase === 'scope').length;
    await engine.tick(alarms, at(0));
    expect(evaluations()).toBe(1);
    for (const s of [1, 2, 3, 4, 4.5]) await engine.tick(alarms, at(s));
    expect(evaluations()).toBe(1);
    await engine.tick(alarms, at(5));
    expect(evaluations()).toBe(2);
    await engine.tick(alarms, at(6));
    expect(evaluations()).toBe(2);
  });

  it('evaluates each alarm on its own interval', async () => {
    const alarms = compile(SLOW_ALARM, WORKER_ALARM);
    const { engine, calls } = setup(alarms, { 'slow-check': world([hostRef]), 'worker-cpu': world([proc(42)]) });
    for (let s = 0; s < 10; s++) await engine.tick(alarms, at(s));
    const count = (alarm: string) => calls.filter((c) => c.phase === 'scope' && c.alarm === alarm).length;
    expect(count('worker-cpu')).toBe(10);
    expect(count('slow-check')).toBe(2);
  });

  it('reports errors in fire rows via onProblem and does not fire for them', async () => {
    const alarms = compile(WORKER_ALARM);
    const w = world([proc(42), proc(43)]);
    const { engine, events, problems } = setup(alarms, { 'worker-cpu': w });
    w.errors.set(`${HOST}/42`, 'the process is gone');
    w.fire.add(`${HOST}/43`);
    await engine.tick(alarms, at(0));
    expect(problems).toEqual([['worker-cpu', 'worker: the process is gone']]);
    expect(events().map((e) => e.resource)).toEqual(['web-1/43']);
    expect(engine.firing('worker-cpu', `${HOST}/42`)).toBe(false);
  });

  it('does not clear a firing alarm because its condition could not be evaluated (an error is not "no longer holds")', async () => {
    const alarms = compile(WORKER_ALARM);
    const w = world([proc(42)]);
    const { engine, events, problems } = setup(alarms, { 'worker-cpu': w });
    w.fire.add(`${HOST}/42`);
    await engine.tick(alarms, at(0));
    expect(events().map((e) => e.type)).toEqual(['alarm_fired']);

    w.errors.set(`${HOST}/42`, 'check timed out');
    await engine.tick(alarms, at(1));
    expect(problems).toHaveLength(1);
    expect(events().map((e) => e.type)).toEqual(['alarm_fired']);
    expect(engine.firing('worker-cpu', `${HOST}/42`)).toBe(true);

    // Once it can be evaluated again and no longer holds, it clears as usual.
    w.errors.clear();
    w.fire.clear();
    await engine.tick(alarms, at(2));
    expect(events().map((e) => e.type)).toEqual(['alarm_fired', 'alarm_cleared']);
  });

  it('reports a failing phase runner via onProblem, and still evaluates the other alarms', async () => {
    const alarms = compile(WORKER_ALARM, SLOW_ALARM);
    const problems: [string, string][] = [];
    const events: string[] = [];
    const worker = alarms.find((a) => a.def.name === 'worker-cpu');
    const engine = new AlarmEngine(
      HOST,
      async (phase) => {
        if (phase === worker?.scope || phase === worker?.fire) throw new Error('executor exploded');
        return [{ resource: hostRef, status: 'ok', values: {} }];
      },
      (t) => events.push(`${t.event.type} ${t.event.alarm}`),
      (alarm, message) => problems.push([alarm, message]),
    );
    await engine.tick(alarms, at(0));
    expect(problems).toEqual([['worker-cpu', 'executor exploded']]);
    expect(events).toEqual(['alarm_fired slow-check']);
  });

  it('firing() reflects the state: not while pending, yes while firing and clearing, not after clearing', async () => {
    const alarms = compile(DISK_ALARM);
    const w = world([hostRef]);
    const { engine } = setup(alarms, { 'data-disk-full': w });
    expect(engine.firing('data-disk-full', HOST)).toBe(false);
    w.fire.add(HOST);
    await engine.tick(alarms, at(0));
    expect(engine.firing('data-disk-full', HOST)).toBe(false); // pending
    await engine.tick(alarms, at(3));
    expect(engine.firing('data-disk-full', HOST)).toBe(true);
    w.fire.clear();
    w.clear.add(HOST);
    await engine.tick(alarms, at(4));
    expect(engine.firing('data-disk-full', HOST)).toBe(true); // clearing
    await engine.tick(alarms, at(6));
    expect(engine.firing('data-disk-full', HOST)).toBe(false);
    expect(engine.firing('no-such-alarm', HOST)).toBe(false);
  });

  it('retain() drops the state of alarms that are no longer defined, and keeps the others', async () => {
    const alarms = compile(WORKER_ALARM, SLOW_ALARM);
    const procs = world([proc(42)]);
    const host = world([hostRef]);
    const { engine, events } = setup(alarms, { 'worker-cpu': procs, 'slow-check': host });
    procs.fire.add(`${HOST}/42`);
    host.fire.add(HOST);
    await engine.tick(alarms, at(0));
    expect(engine.firing('worker-cpu', `${HOST}/42`)).toBe(true);
    expect(engine.firing('slow-check', HOST)).toBe(true);

    const kept = alarms.filter((a) => a.def.name === 'slow-check');
    engine.retain(kept);
    expect(engine.firing('worker-cpu', `${HOST}/42`)).toBe(false);
    expect(engine.firing('slow-check', HOST)).toBe(true);

    // Defined again later, it starts from ok: it fires anew rather than resuming.
    await engine.tick(alarms, at(1));
    expect(events().filter((e) => e.alarm === 'worker-cpu').map((e) => e.type)).toEqual(['alarm_fired', 'alarm_fired']);
  });

  it('skips a tick that overlaps one still running, rather than queueing it', async () => {
    const alarms = compile(WORKER_ALARM);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let hold = true;
    let calls = 0;
    const engine = new AlarmEngine(
      HOST,
      async () => {
        calls++;
        if (hold) await gate; // the first evaluation hangs until the gate opens
        return [];
      },
      () => undefined,
      () => undefined,
    );
    const first = engine.tick(alarms, at(0));
    const callsOfFirst = calls;
    expect(callsOfFirst).toBeGreaterThan(0);

    // Ticks while the first is still running return at once and evaluate nothing.
    await engine.tick(alarms, at(1));
    await engine.tick(alarms, at(2));
    expect(calls).toBe(callsOfFirst);

    hold = false;
    open();
    await first;
    // Nothing was queued: the skipped ticks did not run after the first finished.
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(callsOfFirst);

    await engine.tick(alarms, at(3));
    expect(calls).toBe(2 * callsOfFirst);
  });
});
