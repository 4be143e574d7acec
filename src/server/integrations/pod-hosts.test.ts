import { describe, expect, it } from 'vitest';
import type { Phase } from '../../lang/index.js';
import { BUILTIN_CATALOGUE, analyze } from '../../lang/index.js';
import type { ResultRow } from '../../protocol/index.js';
import type { FakeHost, SentQuery } from '../fleet/fake-fleet.test-support.js';
import { fakeStatementContext, memoryStorePerTest } from '../query/statements.test-support.js';
import type { PodRef } from './pod-hosts.js';
import { POD_LOOKUP_TIMEOUT_MS, podFinder, podStatement } from './pod-hosts.js';

/*
 * podFinder through the real statement path (analyze, plan, fan-out, results) to a fake Fleet
 * whose agents each hold some pods and apply the query's filters as an agent does.
 */

const store = memoryStorePerTest();

/** The `attr = "literal"` filters of a query's agent phase, as { attr: literal }. */
function literalFilters(phase: Extract<Phase, { where: 'agent' }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of phase.steps) {
    const e = (s as { op: string; expr?: { k: string; op: string; l: { k: string; name: string }; r: { k: string; v: unknown } } }).expr;
    if (s.op === 'filter' && e?.k === 'bin' && e.op === '=' && e.l.k === 'attr' && e.r.k === 'str') out[e.l.name] = e.r.v;
  }
  return out;
}

const podRow = (host: string, p: PodRef): ResultRow => ({ resource: { type: 'pod', id: `${host}/${p.namespace}/${p.name}`, name: p.name, host }, status: 'ok', values: { name: p.name, namespace: p.namespace } });

/** An agent running these pods: answers a pod query with those its filters match. */
function agent(name: string, pods: PodRef[], seen: SentQuery[] = []): FakeHost {
  return {
    name,
    answer: (q) => {
      seen.push(q);
      const want = literalFilters(q.phase);
      return { rows: q.phase.resource === 'pod' ? pods.filter((p) => p.name === want.name && p.namespace === want.namespace).map((p) => podRow(name, p)) : [] };
    },
  };
}

describe('podFinder', () => {
  it('asks every connected agent (not the offline one) for the pod by name and namespace, read-only and within its short deadline', async () => {
    const seen: SentQuery[] = [];
    const { ctx } = fakeStatementContext(store(), [
      agent('node-1', [{ name: 'api-0', namespace: 'prod' }], seen),
      agent('node-2', [{ name: 'api-0', namespace: 'staging' }, { name: 'twin', namespace: 'prod' }], seen),
      agent('node-3', [{ name: 'twin', namespace: 'prod' }], seen),
      { name: 'node-4', offline: true },
    ]);
    const find = podFinder(ctx);
    expect(await find({ name: 'api-0', namespace: 'prod' }, 'integration:am')).toEqual({ hosts: ['node-1'], asked: 3, answered: 3 });
    expect(seen.every((q) => q.timeoutMs <= POD_LOOKUP_TIMEOUT_MS)).toBe(true);
    expect(await find({ name: 'twin', namespace: 'prod' }, 'integration:am')).toMatchObject({ hosts: ['node-2', 'node-3'] });
    expect(await find({ name: 'gone', namespace: 'prod' }, 'integration:am')).toMatchObject({ hosts: [] });
    // Reading records no run and no audit entry.
    expect(await store().listRuns({})).toEqual([]);
  });

  it('says why it asked no one for a value no pod can have', async () => {
    const { ctx, fleet } = fakeStatementContext(store(), [agent('node-1', [])]);
    expect(await podFinder(ctx)({ name: 'a\nb', namespace: 'prod' }, 'x')).toEqual({ problem: 'its pod label cannot be a Kubernetes name (it may not contain a line break)' });
    expect(await podFinder(ctx)({ name: 'a', namespace: 'n'.repeat(254) }, 'x')).toEqual({ problem: 'its namespace label is longer than the 253 characters of a Kubernetes name' });
    expect(fleet.sent).toEqual([]);
  });
});

describe('podStatement', () => {
  it('fuzz: 2000 hostile label values never change what the statement means', () => {
    let seed = 15;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const parts = ['"', "'", '\\', '\\"', '`', '|', '` rm -rf / `', '" | `id` | "', ' or name != "', '\\n', '$x', '${event}', '#', '//', ']', '[', 'é', '\u2028', ' ', 'a', 'pod', '\ud83d\ude00', '\t', '\\\\"'];
    for (let i = 0; i < 2000; i++) {
      const value = () => Array.from({ length: Math.floor(rand() * 8) }, () => parts[Math.floor(rand() * parts.length)]).join('');
      const pod = { name: value(), namespace: value() };
      const a = analyze(podStatement(pod), BUILTIN_CATALOGUE);
      expect(a.ok, `case ${i}: ${podStatement(pod)}`).toBe(true);
      const agentPhases = a.plan?.phases.filter((p): p is Extract<Phase, { where: 'agent' }> => p.where === 'agent') ?? [];
      expect(agentPhases).toHaveLength(1);
      const phase = agentPhases[0] as Extract<Phase, { where: 'agent' }>;
      expect(phase.resource).toBe('pod');
      expect(phase.steps).toHaveLength(2);
      expect(literalFilters(phase), `case ${i}`).toEqual({ name: pod.name, namespace: pod.namespace });
      expect(a.plan?.effects).toEqual({ commands: [], actions: [], checks: [] });
      expect(a.plan?.requires).toBe('viewer');
    }
  });
});
