import { describe, expect, it } from 'vitest';
import { AgentPhaseSchema, BUILTIN_CATALOGUE, PlanSchema, analyze, extendCatalogue } from './index.js';

describe('AgentPhaseSchema', () => {
  it('says what is wrong in English without protocol having been imported', () => {
    const r = AgentPhaseSchema.safeParse({ where: 'agent', resource: 'host', steps: [{ op: 'range' }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/^Invalid discriminator value\. Expected 'traverse' \| 'filter'/);
    const n = AgentPhaseSchema.safeParse({ where: 'agent', resource: 'host', steps: [{ op: 'filter', expr: { k: 'num', v: 'x' } }] });
    expect(n.error?.issues[0]).toMatchObject({ path: ['steps', 0, 'expr', 'v'], message: 'Invalid input: expected number, received string' });
  });
});

describe('PlanSchema', () => {
  const catalogue = extendCatalogue(BUILTIN_CATALOGUE, {
    actions: [{ name: 'restart_service', description: '', resources: ['host'], params: [{ name: 'name', type: 'string', required: true }] }],
  });

  it.each([
    'host | env = "prod" | group_by(region) | count',
    'host | sort(-cpu_usage) | limit(2) | restart_service(name = "api")',
    'host | rolling(batch = 25%, pause = 30s, until = http_ok("http://localhost:8080/health")) | `systemctl restart api`',
    'events | type = "alarm_fired" | distinct(alarm)',
    'host | process | mem_rss_bytes > 1GB | top(3, mem_rss_bytes)',
  ])('accepts every plan the planner makes, unchanged: %s', (src) => {
    const plan = analyze(src, catalogue).plan;
    expect(plan).toBeDefined();
    const wire = JSON.parse(JSON.stringify(plan)) as unknown;
    expect(PlanSchema.parse(wire)).toEqual(plan);
  });

  it('names the part of a plan that is wrong', () => {
    const plan = JSON.parse(JSON.stringify(analyze('host | sort(-cpu_usage)', catalogue).plan)) as Record<string, unknown>;
    const r = PlanSchema.safeParse({ ...plan, ordered: 'yes' });
    expect(r.error?.issues[0]).toMatchObject({ path: ['ordered'], message: 'Invalid input: expected boolean, received string' });
  });
});
