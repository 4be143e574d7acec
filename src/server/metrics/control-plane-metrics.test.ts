import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { BotDefinition } from '../../definitions/index.js';
import type { FleetEvent } from '../../protocol/index.js';
import { CircuitBreaker } from '../circuit-breaker.js';
import type { Store } from '../store/index.js';
import { openSqliteStore } from '../store/index.js';
import { ControlPlaneMetrics } from './control-plane-metrics.js';
import { sampleValue } from '../../../test/exposition.js';
import { timedStore } from './store-timing.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function sqlite(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-metrics-'));
  dirs.push(dir);
  const store = openSqliteStore(join(dir, 'breakwater.db'));
  await store.migrate();
  return store;
}

const event = (type: FleetEvent['type'], details: Record<string, unknown> = {}): FleetEvent => ({ id: crypto.randomUUID(), time: Date.now(), type, host: 'web-1', resource: 'web-1', alarm: null, bot: 'clean', action: 'x', severity: null, runId: null, principal: null, message: type, value: null, details });

describe('ControlPlaneMetrics', () => {
  it('counts executions, stored events by type and bots runs by result, in the exposition format', async () => {
    const m = new ControlPlaneMetrics(silent);
    m.statementFinished('succeeded', 0.2, 3);
    m.statementFinished('failed', 4, 120);
    m.statementFinished('interrupted', 0.01, 0);
    m.eventsStored([event('alarm_fired'), event('bot_ran', { ok: true }), event('bot_ran', { ok: false }), event('bot_ran', { ok: false, timedOut: true }), event('alarm_fired')]);
    const text = await m.exposition();
    expect(m.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toContain('# TYPE breakwater_queries_total counter');
    expect(sampleValue(text, 'breakwater_queries_total{outcome="succeeded"}')).toBe(1);
    expect(sampleValue(text, 'breakwater_queries_total{outcome="failed"}')).toBe(1);
    expect(sampleValue(text, 'breakwater_queries_total{outcome="interrupted"}')).toBe(1);
    expect(sampleValue(text, 'breakwater_query_duration_seconds_count')).toBe(3);
    expect(sampleValue(text, 'breakwater_query_duration_seconds_bucket{le="0.25"}')).toBe(2);
    expect(sampleValue(text, 'breakwater_query_fanout_agents_sum')).toBe(123);
    expect(sampleValue(text, 'breakwater_query_fanout_agents_bucket{le="100"}')).toBe(2);
    expect(sampleValue(text, 'breakwater_events_ingested_total{type="alarm_fired"}')).toBe(2);
    expect(sampleValue(text, 'breakwater_events_ingested_total{type="bot_ran"}')).toBe(3);
    expect(sampleValue(text, 'breakwater_bot_runs_total{result="succeeded"}')).toBe(1);
    expect(sampleValue(text, 'breakwater_bot_runs_total{result="failed"}')).toBe(1);
    expect(sampleValue(text, 'breakwater_bot_runs_total{result="timed_out"}')).toBe(1);
    // The process's own (prom-client's defaults), in this registry too.
    expect(sampleValue(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('reads the gauges from their sources at each scrape; a store that fails keeps the last value and the scrape answers', async () => {
    const m = new ControlPlaneMetrics(silent);
    const before = await m.exposition();
    expect(sampleValue(before, 'breakwater_approvals_pending')).toBe(0);
    expect(sampleValue(before, 'breakwater_agents{state="connected"}')).toBeUndefined();
    let failing = false;
    let outboxes = [{ pending: 3, oldestAgeMs: 12_000 }, { pending: 5, oldestAgeMs: 40_500 }];
    m.watch({
      fleet: { connectedCount: 2, inventory: () => [{}, {}, {}, {}, {}] as never },
      store: { listApprovals: async () => (failing ? Promise.reject(new Error('database gone')) : [{}, {}, {}] as never) },
      streams: { openCount: (kind) => (kind === 'live' ? 4 : 1) },
      outboxes: () => outboxes,
    });
    const text = await m.exposition();
    expect(sampleValue(text, 'breakwater_agents{state="connected"}')).toBe(2);
    expect(sampleValue(text, 'breakwater_agents{state="disconnected"}')).toBe(3);
    expect(sampleValue(text, 'breakwater_approvals_pending')).toBe(3);
    expect(sampleValue(text, 'breakwater_live_streams{kind="live"}')).toBe(4);
    expect(sampleValue(text, 'breakwater_live_streams{kind="events"}')).toBe(1);
    expect(sampleValue(text, 'breakwater_agent_outbox_events')).toBe(8);
    expect(sampleValue(text, 'breakwater_agent_outbox_oldest_seconds')).toBe(40.5);
    failing = true;
    outboxes = [];
    const after = await m.exposition();
    expect(sampleValue(after, 'breakwater_approvals_pending')).toBe(3);
    expect(sampleValue(after, 'breakwater_agent_outbox_events')).toBe(0);
    expect(sampleValue(after, 'breakwater_agent_outbox_oldest_seconds')).toBe(0);
  });

  it('each instance has a registry of its own: two servers in one process do not share counts', async () => {
    const a = new ControlPlaneMetrics(silent);
    const b = new ControlPlaneMetrics(silent);
    a.breakerRefused('tripped');
    expect(sampleValue(await a.exposition(), 'breakwater_circuit_breaker_trips_total{reason="tripped"}')).toBe(1);
    expect(sampleValue(await b.exposition(), 'breakwater_circuit_breaker_trips_total{reason="tripped"}')).toBeUndefined();
  });

  it("counts the real circuit breaker's refusals by reason", async () => {
    const m = new ControlPlaneMetrics(silent);
    const store = await sqlite();
    const bot = { kind: 'bot', name: 'clean', circuitBreaker: { max: 2, windowSeconds: 600 } } as BotDefinition;
    const breaker = new CircuitBreaker(store, silent, async () => undefined, undefined, (reason) => m.breakerRefused(reason));
    expect((await breaker.permit('web-1', bot, 3)).allowed).toBe(true);
    expect((await breaker.permit('web-1', bot, 3)).allowed).toBe(false); // web-1's share (1 of 2) is used
    expect((await breaker.permit('web-2', bot, 3)).allowed).toBe(true);
    expect((await breaker.permit('web-3', bot, 3)).allowed).toBe(false); // the fleet's 2 are used
    const text = await m.exposition();
    expect(sampleValue(text, 'breakwater_circuit_breaker_trips_total{reason="host_share"}')).toBe(1);
    expect(sampleValue(text, 'breakwater_circuit_breaker_trips_total{reason="tripped"}')).toBe(1);
    await store.close();
  });
});

describe('timedStore', () => {
  it("times each call of a real store by its method's name, passes results and failures through, and counts failures", async () => {
    const m = new ControlPlaneMetrics(silent);
    const seen: [string, boolean][] = [];
    const store = timedStore(await sqlite(), (op, seconds, failed) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      seen.push([op, failed]);
      m.storeCall(op, seconds, failed);
    });
    expect(await store.listAgents()).toEqual([]);
    await expect(store.getDefinitionVersion(Number.NaN)).resolves.toBeUndefined();
    await store.close();
    // A closed database refuses: the failure reaches the caller, and is counted.
    await expect(store.listAgents()).rejects.toThrow();
    await Promise.resolve();
    expect(seen).toEqual([['listAgents', false], ['getDefinitionVersion', false], ['close', false], ['listAgents', true]]);
    const text = await m.exposition();
    expect(sampleValue(text, 'breakwater_store_operation_duration_seconds_count{operation="listAgents"}')).toBe(2);
    expect(sampleValue(text, 'breakwater_store_operation_errors_total{operation="listAgents"}')).toBe(1);
    expect(sampleValue(text, 'breakwater_store_operation_errors_total{operation="close"}')).toBeUndefined();
  });
});
