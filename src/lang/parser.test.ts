import { describe, expect, it } from 'vitest';
import type { Stage } from './ast.js';
import { DiagnosticBag } from './diagnostics.js';
import { formatExpr } from './format.js';
import { parse } from './parser.js';

function parsed(source: string) {
  const bag = new DiagnosticBag(source);
  const ast = parse(source, bag);
  return { ast, kinds: ast.stages.map((s) => s.kind), diagnostics: bag.toArray() };
}

const exprOf = (s: Stage | undefined) => (s?.kind === 'FilterStage' ? s.condition : s?.kind === 'ColumnStage' ? s.value : undefined);

describe('parse', () => {
  it('classifies every kind of stage by its shape', () => {
    const { kinds, diagnostics } = parsed(
      'host | env = "prod" | cpu_usage | `uptime` | restart_service(name = "api") | count | sum(x) | avg(cpu_usage[5m]) | rolling(batch = 1) | process | events',
    );
    expect(diagnostics).toEqual([]);
    expect(kinds).toEqual([
      'ResourceStage',
      'FilterStage',
      'ColumnStage',
      'CommandStage',
      'ActionStage',
      'ReductionStage',
      'ReductionStage',
      'ColumnStage',
      'RolloutStage',
      'ResourceStage',
      'EventsStage',
    ]);
  });

  it('binds `and` tighter than `or`, and comparison tighter than both', () => {
    const { ast } = parsed('host | a = "1" or b = "2" and not c > 3');
    expect(formatExpr(exprOf(ast.stages[1])!)).toBe('a = "1" or b = "2" and not c > 3');
    const top = exprOf(ast.stages[1]);
    expect(top).toMatchObject({ kind: 'Binary', op: 'or', right: { kind: 'Binary', op: 'and', right: { kind: 'Unary', op: 'not' } } });
  });

  it('parses selectors, ranges, named arguments and not in', () => {
    const { ast, diagnostics } = parsed('host | quantile(0.99, disk_usage{mount="/", device=~"sd.*"}[10m]) > 5 and region not in ["a", "b"]');
    expect(diagnostics).toEqual([]);
    expect(formatExpr(exprOf(ast.stages[1])!)).toBe('quantile(0.99, disk_usage{mount="/", device=~"sd.*"}[10m]) > 5 and region not in ["a", "b"]');
  });

  it('treats `name = value` inside a call as a named argument and `==` as equality', () => {
    const { ast } = parsed('host | f(a = 1, b == 2)');
    const stage = ast.stages[1];
    expect(stage?.kind).toBe('ActionStage');
    if (stage?.kind !== 'ActionStage') return;
    expect(stage.args.map((a) => a.name)).toEqual(['a', undefined]);
    expect(stage.args[1]?.value).toMatchObject({ kind: 'Binary', op: '=' });
  });

  it('recovers at the next pipe and reports one error per broken stage', () => {
    const { kinds, diagnostics } = parsed('host | cpu_usage > | mem_usage ) | count(');
    expect(kinds).toEqual(['ResourceStage', 'FilterStage', 'ErrorStage', 'ReductionStage']);
    expect(diagnostics.map((d) => [d.code, d.location.column])).toEqual([
      ['BW_UNEXPECTED_TOKEN', 20],
      ['BW_UNEXPECTED_TOKEN', 32],
      ['BW_UNCLOSED', 42],
    ]);
  });

  it('reports empty stages before, between and after pipes', () => {
    expect(parsed('| host').diagnostics.map((d) => d.code)).toEqual(['BW_EMPTY_STAGE']);
    expect(parsed('host || count').diagnostics.map((d) => d.code)).toEqual(['BW_EMPTY_STAGE']);
    expect(parsed('host |').diagnostics.map((d) => d.message)).toEqual(['empty stage: expected a stage after `|`, found the end of the statement']);
    expect(parsed('  # nothing').diagnostics.map((d) => d.code)).toEqual(['BW_EMPTY_STATEMENT']);
  });

  it('stops at a nesting depth no person writes instead of overflowing the stack', () => {
    const { diagnostics } = parsed(`host | ${'('.repeat(50_000)}1`);
    expect(diagnostics.map((d) => [d.code, d.location.column])).toEqual([['BW_TOO_DEEP', 8 + 65]]);
    expect(diagnostics[0]?.message).toMatch(/nested more than 64 levels/);
  });

  it('keeps spans on the source text', () => {
    const src = 'host | disk_usage{mount="/"}[5m]';
    const { ast } = parsed(src);
    const e = exprOf(ast.stages[1])!;
    expect(src.slice(e.span.start, e.span.end)).toBe('disk_usage{mount="/"}[5m]');
  });
});
