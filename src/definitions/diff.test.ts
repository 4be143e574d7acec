import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import type { Definition } from './index.js';
import { diffDefinitions, formatDefinitionDiagnostic, formatPlanValue, parseDefinitions, renderPlan } from './index.js';

function defs(text: string, path = 'defs.yaml'): Definition[] {
  const r = parseDefinitions([{ path, text }], BUILTIN_CATALOGUE);
  expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
  return r.definitions;
}

const ACTION_CLEAN = 'kind: action\nname: clean_logs\ncommand: find "$dir" -delete\nparams: { dir: string, age: { type: duration, default: 1h } }\n';
const ACTION_OLD = 'kind: action\nname: old\ncommand: "true"\n';
const ALARM = 'kind: alarm\nname: disk_full\nquery: host\nfire: disk_usage > 90\n';
const BOT = (cooldown: string, extra = '') => `kind: bot\nname: clean_disk\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: /var/log }\ncooldown: ${cooldown}\n${extra}`;

const CURRENT = [ACTION_CLEAN, ACTION_OLD, ALARM, BOT('1m')].join('---\n');

describe('diffDefinitions', () => {
  it('finds what to create, change and delete, keyed by kind and name', () => {
    const current = defs([ACTION_CLEAN, ACTION_OLD, BOT('1m').replace('disk_full', 'disk_old'), ALARM.replace('disk_full', 'disk_old')].join('---\n'));
    const next = defs([ACTION_CLEAN, ALARM, BOT('5m')].join('---\n'));
    const diff = diffDefinitions(current, next);
    expect(diff.create.map((d) => `${d.kind}/${d.name}`)).toEqual(['alarm/disk_full']);
    expect(diff.delete.map((d) => `${d.kind}/${d.name}`)).toEqual(['action/old', 'alarm/disk_old']);
    expect(diff.unchanged).toBe(1);
    expect(diff.update).toHaveLength(1);
    expect(diff.update[0]?.changes).toEqual([
      { field: 'trigger.alarm', before: 'disk_old', after: 'disk_full' },
      { field: 'cooldown', before: '1m', after: '5m' },
    ]);
    expect(diff.update[0]?.before.kind === 'bot' && diff.update[0].before.cooldownSeconds).toBe(60);
  });

  it('ignores where a definition was written', () => {
    const a = defs(CURRENT, 'one.yaml');
    const b = defs(`# moved\n\n${CURRENT}`, 'two.yaml');
    expect(a[0]?.origin).not.toEqual(b[0]?.origin);
    expect(diffDefinitions(a, b)).toEqual({ create: [], update: [], delete: [], unchanged: 4 });
  });

  it('sees a kind change as a delete and a create', () => {
    const diff = diffDefinitions(defs(ACTION_OLD), defs('kind: schedule\nname: old\nevery: 1h\nrun: host | count\n'));
    expect(diff.create.map((d) => d.kind)).toEqual(['schedule']);
    expect(diff.delete.map((d) => d.kind)).toEqual(['action']);
  });

  it('reports nested fields, args, lists, added and removed optional fields, in YAML terms', () => {
    const before = defs([ACTION_CLEAN, ALARM, BOT('1m', 'circuit_breaker: { max: 5, window: 10m }\nverify: { within: 2m }\n')].join('---\n'));
    const after = defs(
      [
        ACTION_CLEAN.replace('-delete', '-print -delete') + 'resources: [host, container]\n',
        ALARM + 'clear: disk_usage < 80\n',
        BOT('1m', 'circuit_breaker: { max: 3, window: 10m }\napproval: { expires: 30m }\n').replace('{ dir: /var/log }', '{ dir: /var/log, age: 2h }'),
      ].join('---\n'),
    );
    const diff = diffDefinitions(before, after);
    const changes = Object.fromEntries(diff.update.map((u) => [u.after.name, u.changes]));
    expect(changes.clean_logs).toEqual([
      { field: 'command', before: 'find "$dir" -delete', after: 'find "$dir" -print -delete' },
      { field: 'resources', before: ['host'], after: ['host', 'container'] },
    ]);
    expect(changes.disk_full).toEqual([{ field: 'clear', before: undefined, after: 'disk_usage < 80' }]);
    expect(changes.clean_disk).toEqual([
      { field: 'args.age', before: undefined, after: '2h' },
      { field: 'circuit_breaker.max', before: 5, after: 3 },
      { field: 'verify', before: { within: '2m' }, after: undefined },
      { field: 'approval', before: undefined, after: { expires: '30m' } },
    ]);
  });

  it('sees a change of file content, and nothing else, when only the content changes', () => {
    const file = (content: string) => defs(`kind: file\nname: motd\npath: /etc/motd\ncontent: "${content}"\nquery: host\n`);
    const diff = diffDefinitions(file('hello\\n'), file('hello world\\n'));
    expect(diff.update[0]?.changes).toEqual([{ field: 'content', before: 'hello\n', after: 'hello world\n' }]);
  });
});

describe('renderPlan', () => {
  it('prints a terraform-like plan with a summary', () => {
    const current = defs([ACTION_CLEAN, ACTION_OLD, BOT('1m').replace('disk_full', 'disk_old'), ALARM.replace('disk_full', 'disk_old')].join('---\n'));
    const next = defs([ACTION_CLEAN, ALARM, ALARM.replace('disk_full', 'disk_old'), BOT('5m').replace('disk_full', 'disk_old')].join('---\n'));
    expect(renderPlan(diffDefinitions(current, next))).toBe(
      ['+ alarm disk_full', '~ bot clean_disk: cooldown 1m -> 5m', '- action old', '', 'Plan: 1 to create, 1 to change, 1 to delete.', ''].join('\n'),
    );
  });

  it('shows one line per changed field, quoting values that are not plain words', () => {
    const before = defs([ALARM, 'kind: schedule\nname: nightly\ncron: "0 3 * * *"\nrun: host | count\n'].join('---\n'));
    const after = defs([ALARM.replace('> 90', '> 95') + 'severity: critical\n', 'kind: schedule\nname: nightly\nevery: 1h\nrun: host | count\nenabled: false\n'].join('---\n'));
    expect(renderPlan(diffDefinitions(before, after))).toBe(
      [
        '~ alarm disk_full: fire "disk_usage > 90" -> "disk_usage > 95"',
        '~ alarm disk_full: severity warning -> critical',
        '~ schedule nightly: cron "0 3 * * *" -> (none)',
        '~ schedule nightly: enabled true -> false',
        '~ schedule nightly: every (none) -> 1h',
        '',
        'Plan: 0 to create, 2 to change, 0 to delete.',
        '',
      ].join('\n'),
    );
  });

  it('says when there is nothing to do', () => {
    const set = defs(CURRENT);
    expect(renderPlan(diffDefinitions(set, set))).toBe('No changes: 4 definitions up to date.\nPlan: 0 to create, 0 to change, 0 to delete.\n');
    expect(renderPlan(diffDefinitions([], []))).toBe('No changes: 0 definitions up to date.\nPlan: 0 to create, 0 to change, 0 to delete.\n');
  });

  it('colours the markers with the given style', () => {
    const style = { green: (s: string) => `<g>${s}</g>`, yellow: (s: string) => `<y>${s}</y>`, red: (s: string) => `<r>${s}</r>`, bold: (s: string) => `<b>${s}</b>` };
    const text = renderPlan(diffDefinitions(defs(ACTION_OLD), defs(ALARM)), style);
    expect(text).toContain('<g>+</g> alarm <b>disk_full</b>');
    expect(text).toContain('<r>-</r> action <b>old</b>');
  });

  it('shortens long and multi-line values', () => {
    expect(formatPlanValue('line one\nline two\nline three\n')).toBe('"line one…" (3 lines)');
    expect(formatPlanValue('x'.repeat(100))).toBe(`"${'x'.repeat(79)}…"`);
    expect(formatPlanValue(['host', 'pod'])).toBe('[host, pod]');
    expect(formatPlanValue({ max: 5, window: '10m' })).toBe('{ max: 5, window: 10m }');
    expect(formatPlanValue(undefined)).toBe('(none)');
    expect(formatPlanValue('')).toBe('""');
  });
});
