import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE, extendCatalogue } from './catalogue.js';
import { analyze } from './index.js';
import type { Plan } from './plan.js';

const catalogue = extendCatalogue(BUILTIN_CATALOGUE, {
  actions: [{ name: 'restart_service', description: '', resources: ['host'], params: [{ name: 'name', type: 'string', required: true }, { name: 'grace', type: 'duration', required: false, default: '10s' }] }],
});

function planOf(src: string): Plan {
  const result = analyze(src, catalogue);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.plan as Plan;
}

const where = (p: Plan) => p.phases.map((ph) => ph.where);

describe('plan', () => {
  it('answers host tag filters from inventory, without asking agents', () => {
    const p = planOf('host | env = "prod" | group_by(region) | count');
    expect(where(p)).toEqual(['inventory', 'control']);
    expect(p.requires).toBe('viewer');
  });

  it('hoists tag conjuncts over metric filters but never over commands', () => {
    const p = planOf('host | cpu_usage > 50 and env = "prod" | `uptime` | zone = "a"');
    expect(p.phases[0]).toEqual({ where: 'inventory', resource: 'host', filter: { k: 'bin', op: '=', l: { k: 'tag', name: 'env' }, r: { k: 'str', v: 'prod' } } });
    const agent = p.phases[1];
    expect(agent?.where === 'agent' && agent.steps.map((s) => s.op)).toEqual(['filter', 'command', 'filter']);
  });

  it('asks agents for metric columns that a reduction needs', () => {
    const p = planOf('host | sort(-cpu_usage) | limit(2)');
    expect(p.phases[1]).toEqual({
      where: 'agent',
      resource: 'host',
      steps: [{ op: 'column', name: 'cpu_usage', expr: { k: 'metric', name: 'cpu_usage', labels: [], collapse: 'max' } }],
    });
    expect(p.phases[2]).toEqual({ where: 'control', steps: [{ op: 'sort', keys: [{ column: 'cpu_usage', desc: true }] }, { op: 'limit', n: 2 }] });
  });

  it('runs what follows a selection on the selected resources only', () => {
    const p = planOf('host | app = "api" | sample(1) | restart_service(name = "api")');
    expect(where(p)).toEqual(['inventory', 'control', 'agent']);
    const last = p.phases[2];
    expect(last?.where === 'agent' && last.steps[0]).toEqual({ op: 'action', name: 'restart_service', args: { name: { k: 'str', v: 'api' }, grace: { k: 'num', v: 10 } } });
    expect(p.requires).toBe('operator');
    expect(p.effects.actions).toEqual(['restart_service']);
  });

  it('puts a rollout before the agent phase it batches', () => {
    const p = planOf('host | rolling(batch = 25%, pause = 30s, until = http_ok("http://localhost:8080/health")) | `systemctl restart api`');
    expect(p.phases[1]).toMatchObject({ where: 'rollout', batch: { percent: 25 }, pauseSeconds: 30, timeoutSeconds: 300 });
    expect(p.requires).toBe('admin');
    expect(p.effects.checks).toEqual(['http_ok("http://localhost:8080/health")']);
  });

  it('records the metrics and the history window agents need', () => {
    const p = planOf('host | count_true(cpu_usage > 40, 2m) > 30 and avg(load1[10m]) > 2');
    expect(p.metrics).toEqual(['cpu_usage', 'load1']);
    expect(p.windowSeconds).toBe(600);
  });

  it('treats check commands as shell for permissions', () => {
    expect(planOf('host | not ok(`test -w /`)').requires).toBe('admin');
  });

  it('filters events in the store and reduces on the control plane', () => {
    const p = planOf('events | type = "alarm_fired" | alarm = "disk_full" | count');
    expect(where(p)).toEqual(['events', 'control']);
  });

  it('tells answers how to show times and ids: an event time as a timestamp, age as a duration, a pid as an identifier', () => {
    expect(planOf('events | type = "bot_ran" | top(5, time)').columns).toEqual([{ name: 'time', type: 'number', unit: 'timestamp' }]);
    expect(planOf('events | age').columns).toEqual([{ name: 'age', type: 'number', unit: 'seconds' }]);
    expect(planOf('host | process | pid').columns).toEqual([{ name: 'pid', type: 'number', unit: 'identifier' }]);
    expect(planOf('host | process | start_time').columns).toEqual([{ name: 'start_time', type: 'number', unit: 'timestamp' }]);
  });

  it('lists every event field with its unit when a statement on events picks no column', () => {
    const columns = planOf('events | type = "bot_ran" | limit(5)').columns;
    expect(columns.map((c) => c.name)).toEqual(BUILTIN_CATALOGUE.eventFields.map((f) => f.name));
    expect(columns.find((c) => c.name === 'time')?.unit).toBe('timestamp');
    expect(columns.find((c) => c.name === 'age')?.unit).toBe('seconds');
    expect(columns.find((c) => c.name === 'message')?.type).toBe('string');
    expect(planOf('events | group_by(type) | count').columns.map((c) => c.name)).toEqual(['type', 'count']);
  });

  it('is plain JSON', () => {
    const p = planOf('host | process | name = "java" | mem_rss_bytes > 2GB | `jcmd $BW_PID GC.heap_info`');
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  // Agents answer in no particular order: only a sort or top orders rows, until a sample or another agent phase.
  it.each([
    ['host | sort(-cpu_usage)', true],
    ['host | top(3, mem_usage)', true],
    ['host | sort(-cpu_usage) | limit(2)', true],
    ['host | cpu_usage > 10 | sort(-cpu_usage) | limit(3)', true],
    ['process | sort(-mem_rss_bytes) | limit(5)', true],
    ['host | cpu_usage | mem_usage', false],
    ['host | limit(3)', false],
    ['host | sample(2)', false],
    ['host | sort(-cpu_usage) | sample(2)', false],
    ['host | sort(-cpu_usage) | limit(2) | `uptime`', false],
    ['host | env = "prod" | group_by(region) | count', false],
    ['events | type = "alarm_fired" | limit(5)', false],
  ])('says whether the rows of %s are ordered (%s)', (src, ordered) => {
    expect(planOf(src).ordered).toBe(ordered);
  });
});
