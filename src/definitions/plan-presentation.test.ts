import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import type { Definition } from './index.js';
import { diffDefinitions, parseDefinitions, planLines, planSummary, renderPlan } from './index.js';

function defs(text: string): Definition[] {
  const r = parseDefinitions([{ path: 'defs.yaml', text }], BUILTIN_CATALOGUE);
  expect(r.diagnostics).toEqual([]);
  return r.definitions;
}

const ALARM = (threshold: number) => `kind: alarm\nname: disk_full\nquery: host\nfire: disk_usage > ${threshold}\n`;
const ACTION = (name: string) => `kind: action\nname: ${name}\ncommand: "true"\n`;

describe('planLines', () => {
  it('gives one line per created or deleted definition and per changed field, values as a plan reads them', () => {
    const diff = diffDefinitions(defs([ALARM(90), ACTION('old')].join('---\n')), defs([ALARM(80), ACTION('fresh')].join('---\n')));
    expect(planLines(diff)).toEqual([
      { op: 'create', kind: 'action', name: 'fresh' },
      { op: 'update', kind: 'alarm', name: 'disk_full', change: { field: 'fire', before: '"disk_usage > 90"', after: '"disk_usage > 80"' } },
      { op: 'delete', kind: 'action', name: 'old' },
    ]);
    expect(planSummary(diff)).toBe('Plan: 1 to create, 1 to change, 1 to delete.');
  });

  it('is empty when nothing changes', () => {
    const set = defs(ALARM(90));
    expect(planLines(diffDefinitions(set, set))).toEqual([]);
  });
});

describe('renderPlan with a style', () => {
  it('colours a change’s old value red and its new value green, and the marker by what happens', () => {
    const style = { green: (s: string) => `<g>${s}</g>`, yellow: (s: string) => `<y>${s}</y>`, red: (s: string) => `<r>${s}</r>`, bold: (s: string) => `<b>${s}</b>` };
    const text = renderPlan(diffDefinitions(defs(ALARM(90)), defs(ALARM(80))), style);
    expect(text).toBe('<y>~</y> alarm <b>disk_full</b>: fire <r>"disk_usage > 90"</r> -> <g>"disk_usage > 80"</g>\n\nPlan: 0 to create, 1 to change, 0 to delete.\n');
  });
});
