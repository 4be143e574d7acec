import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import type { PackManifest, PackValue } from './index.js';
import { checkPackValue, formatDefinitionDiagnostic, parseDefinitions, readPackManifest, renderPack, resolvePackValues, toYaml } from './index.js';

const MANIFEST = `kind: pack
name: demo
version: 1.2.0
description: Cleans a directory.
replaces: the nightly cron job
parameters:
  - name: dir
    type: string
    default: data/logs
    description: The directory.
  - name: threshold
    type: percent
    default: 90
    description: Fire above this.
  - name: cooldown
    type: duration
    default: 5m
    description: Between runs.
  - name: max_runs
    type: integer
    default: 3
    description: Circuit breaker.
  - name: enabled
    type: boolean
    default: true
    description: Whether the bot runs.
`;

const DEFS = `kind: alarm
name: demo-full
query: host
fire: 'disk_usage{mount="/data"} > {{ params.threshold }}'
---
kind: action
name: demo_clean
command: find "$dir" -xdev -type f -name '*.log' -delete
params:
  dir: string
---
kind: bot
name: demo-clean
trigger: { alarm: demo-full, on: fired }
action: demo_clean
args:
  dir: '{{ params.dir }}'
cooldown: '{{ params.cooldown }}'
circuit_breaker: { max: '{{ params.max_runs }}', window: 1h }
enabled: '{{params.enabled}}'
`;

const RUNBOOK = `kind: runbook
name: demo-runbook
description: 'Look at {{ params.dir }}'
params: [host]
cells:
  - pipeline: host | name = $host | disk_usage
`;

function manifest(text = MANIFEST): PackManifest {
  const r = readPackManifest({ path: 'demo/pack.yaml', text }, 'demo');
  expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
  return r.manifest as PackManifest;
}

function values(m: PackManifest, sets: string[] = [], valuesText?: string): Record<string, PackValue> {
  const r = resolvePackValues(m, { sets, ...(valuesText === undefined ? {} : { valuesFile: { path: 'values.yaml', text: valuesText } }) });
  expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
  return r.values as Record<string, PackValue>;
}

describe('pack manifests', () => {
  it('reads name, version, description, replaces and typed parameters with checked defaults', () => {
    const m = manifest();
    expect(m).toMatchObject({ name: 'demo', version: '1.2.0', description: 'Cleans a directory.', replaces: 'the nightly cron job' });
    expect(m.parameters.map((p) => [p.name, p.type, p.default?.typed])).toEqual([
      ['dir', 'string', 'data/logs'],
      ['threshold', 'percent', '90'],
      ['cooldown', 'duration', '5m'],
      ['max_runs', 'integer', 3],
      ['enabled', 'boolean', true],
    ]);
  });

  it('bounds a number or integer parameter with min and max: its default, --set and values files are held to them', () => {
    const text = `${MANIFEST}  - name: port\n    type: integer\n    min: 1\n    max: 65535\n    default: 8080\n    description: The port.\n`;
    const m = manifest(text);
    expect(m.parameters.find((p) => p.name === 'port')).toMatchObject({ min: 1, max: 65535 });
    const r = resolvePackValues(m, { sets: ['port=-1'] });
    expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual(['--set:1:1 port: parameter `port` (integer): expected a number from 1 to 65535, found "-1" [BWD_PACK_BAD_VALUE]']);
    expect(values(m, ['port=65535']).port?.typed).toBe(65535);
    const wrong = readPackManifest({ path: 'demo/pack.yaml', text: `${MANIFEST}  - name: name\n    type: string\n    min: 1\n    description: d\n  - name: n\n    type: integer\n    min: 5\n    max: 2\n    description: d\n  - name: m\n    type: number\n    min: 10\n    default: 3\n    description: d\n` }, 'demo');
    expect(wrong.diagnostics.map((d) => `${d.field} ${d.code}`)).toEqual(['parameters.5.min BWD_CONFLICT', 'parameters.6.max BWD_BAD_VALUE', 'parameters.7.default BWD_BAD_DEFAULT']);
  });

  it('reports each problem with file, line, field, code, expected and found', () => {
    const text = `kind: pak
name: Demo
version: "1.0"
description: x
parameters:
  - name: dir
    type: strng
    description: d
  - name: port
    type: integer
    default: eighty
    description: p
  - name: path
    type: string
    pattern: '[a-z]+'
    description: p
`;
    const r = readPackManifest({ path: 'demo/pack.yaml', text }, 'demo');
    expect(r.manifest).toBeUndefined();
    expect(r.diagnostics.map(formatDefinitionDiagnostic).sort()).toEqual([
      'demo/pack.yaml:1:7 kind: expected `kind: pack` in demo/pack.yaml, found "pak" [BWD_PACK_MANIFEST]',
      'demo/pack.yaml:2:7 name: expected a pack name: a lowercase letter, then up to 62 lowercase letters, digits or `-`; found "Demo" [BWD_BAD_NAME]',
      'demo/pack.yaml:3:10 version: expected a semantic version such as 1.0.0, found the string "1.0" [BWD_BAD_VALUE]',
      'demo/pack.yaml:1:1 replaces: missing field `replaces`: expected one line: the band-aid it replaces (the cron job, the hand-run loop) [BWD_MISSING_FIELD]',
      'demo/pack.yaml:7:11 parameters.0.type: expected one of `string`, `number`, `integer`, `percent`, `duration`, `size`, `boolean`, found the string "strng"; did you mean `string`? [BWD_BAD_VALUE]',
      'demo/pack.yaml:11:14 parameters.1.default: the default of `port`: expected a whole number such as 5, found "eighty" [BWD_BAD_DEFAULT]',
      'demo/pack.yaml:15:14 parameters.2.pattern: expected an anchored pattern (`^...$`), so that it constrains the whole value; found "[a-z]+" [BWD_BAD_VALUE]',
    ].sort());
  });

  it('requires the name of the folder', () => {
    const r = readPackManifest({ path: 'other/pack.yaml', text: MANIFEST }, 'other');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['BWD_PACK_MANIFEST']);
    expect(r.diagnostics[0]?.message).toContain('"other"');
  });
});

describe('pack values', () => {
  it('layers defaults < values file < --set, each checked against its type', () => {
    const m = manifest();
    const v = values(m, ['threshold=95%', 'dir=srv/logs'], 'dir: var/log\ncooldown: 10m\nmax_runs: 5\n');
    expect(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x.typed]))).toEqual({ dir: 'srv/logs', threshold: '95%', cooldown: '10m', max_runs: 5, enabled: true });
  });

  it('names the known parameters for an unknown key, and suggests the closest', () => {
    const r = resolvePackValues(manifest(), { sets: ['treshold=80'] });
    expect(r.values).toBeUndefined();
    expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([
      '--set:1:1 treshold: unknown parameter `treshold` of pack demo: expected one of `dir`, `threshold`, `cooldown`, `max_runs`, `enabled`; did you mean `threshold`? [BWD_PACK_UNKNOWN_PARAM]',
    ]);
  });

  it('refuses values of the wrong type, with expected vs found', () => {
    const r = resolvePackValues(manifest(), { sets: ['threshold=120', 'cooldown=5', 'max_runs=2.5', 'enabled=yes', 'dir'] });
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      'parameter `threshold` (percent): expected a percentage from 0 to 100 such as 90 or 90%, found "120"',
      'parameter `cooldown` (duration): expected a duration such as 30s, 5m or 1h, found "5"',
      'parameter `max_runs` (integer): expected a whole number such as 5, found "2.5"',
      'parameter `enabled` (boolean): expected true or false, found "yes"',
      'expected --set key=value, found "dir"',
    ]);
  });

  it('refuses shell metacharacters, quotes, spaces and line breaks by the default pattern', () => {
    const dir = { type: 'string' as const };
    for (const hostile of ['$(rm -rf /)', '`id`', 'a b', "it's", 'a"b', 'a;b', 'a|b', 'a\nb', 'a\u0000b', '../x && y']) {
      expect(checkPackValue(dir, hostile).problem, hostile).toBeDefined();
    }
    expect(checkPackValue(dir, 'data/logs-2026.01').value?.text).toBe('data/logs-2026.01');
    // A pattern of the pack's own may allow more, but never a control character.
    expect(checkPackValue({ type: 'string', pattern: '^.*$' }, 'a b').value?.text).toBe('a b');
    expect(checkPackValue({ type: 'string', pattern: '^[\\s\\S]*$' }, 'a\nb').problem).toContain('control character');
  });

  it('matches the whole value even when a pattern is anchored on one side of an alternative only, and refuses a leading dash by default', () => {
    // `^[a-z]+|[0-9]+$` starts with ^ and ends with $, yet each alternative is anchored on one side only.
    expect(checkPackValue({ type: 'string', pattern: '^[a-z]+|[0-9]+$' }, 'abc; rm -rf /').problem).toContain('expected a string matching');
    // A value that would read as an option of the command it reaches (systemctl restart -Hroot@box).
    expect(checkPackValue({ type: 'string' }, '-Hroot@box').problem).toContain('expected a string matching');
    expect(checkPackValue({ type: 'string' }, '').value?.text).toBe('');
  });

  it('needs a value for a parameter without a default', () => {
    const m = manifest(`${MANIFEST}  - name: host_role\n    type: string\n    description: Which hosts.\n`);
    const r = resolvePackValues(m, {});
    expect(r.diagnostics.map((d) => d.code)).toEqual(['BWD_PACK_MISSING_VALUE']);
    expect(values(m, ['host_role=web']).host_role?.text).toBe('web');
  });

  it('places values-file problems at their line', () => {
    const r = resolvePackValues(manifest(), { valuesFile: { path: 'v.yaml', text: 'dir: ok\nmax_runs: [1]\nnope: 1\n' } });
    expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([
      'v.yaml:2:11 max_runs: parameter `max_runs` (integer): expected a whole number such as 5, found a list [BWD_PACK_BAD_VALUE]',
      'v.yaml:3:7 nope: unknown parameter `nope` of pack demo: expected one of `dir`, `threshold`, `cooldown`, `max_runs`, `enabled` [BWD_PACK_UNKNOWN_PARAM]',
    ]);
  });
});

describe('rendering a pack', () => {
  const files = [
    { path: 'demo/defs.yaml', text: DEFS },
    { path: 'demo/runbook.yaml', text: RUNBOOK },
  ];

  it('substitutes into parsed string scalars, typed where a scalar is one placeholder, and tags each definition', () => {
    const m = manifest();
    const r = renderPack(m, files, values(m, ['threshold=75', 'max_runs=4', 'enabled=false']));
    expect(r.diagnostics).toEqual([]);
    const parsed = parseDefinitions(r.rendered?.files ?? [], BUILTIN_CATALOGUE);
    expect(parsed.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
    const byName = Object.fromEntries(parsed.definitions.map((d) => [d.name, d]));
    expect(byName['demo-full']).toMatchObject({ fire: 'disk_usage{mount="/data"} > 75', pack: 'demo@1.2.0' });
    expect(byName['demo-clean']).toMatchObject({ args: { dir: 'data/logs' }, cooldownSeconds: 300, circuitBreaker: { max: 4, windowSeconds: 3600 }, enabled: false, pack: 'demo@1.2.0' });
    expect(parsed.definitions.every((d) => d.pack === 'demo@1.2.0')).toBe(true);
    // Runbooks are kept apart (the control plane stores them on their own), substituted too, untagged.
    expect(r.rendered?.runbooks.map((f) => parse(f.text) as Record<string, unknown>)).toEqual([
      { kind: 'runbook', name: 'demo-runbook', description: 'Look at data/logs', params: ['host'], cells: [{ pipeline: 'host | name = $host | disk_usage' }] },
    ]);
  });

  it('keeps provenance through an export and a re-parse', () => {
    const m = manifest();
    const r = renderPack(m, files, values(m));
    const first = parseDefinitions(r.rendered?.files ?? [], BUILTIN_CATALOGUE).definitions;
    const again = parseDefinitions(toYaml(first), BUILTIN_CATALOGUE).definitions;
    expect(again.map((d) => `${d.kind}/${d.name} ${d.pack ?? '-'}`)).toEqual(first.map((d) => `${d.kind}/${d.name} demo@1.2.0`));
  });

  it('reports unknown, malformed, unquoted and misplaced placeholders at their place', () => {
    const m = manifest();
    const text = `kind: bot
name: b
description: '{{ params.dri }} and {{ params.dir'
trigger: { alarm: a, on: fired }
action: {{ params.dir }}
args:
  '{{ params.dir }}': x
  dir: 'x{{ params.nope }}'
`;
    const r = renderPack(m, [{ path: 'demo/bad.yaml', text }], values(m));
    expect(r.rendered).toBeUndefined();
    expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([
      'demo/bad.yaml:3:14: expected placeholders written `{{ params.NAME }}` (NAME a parameter of the pack), found "{{ params.dri }} and {{ params.dir" [BWD_PACK_PLACEHOLDER]',
      "demo/bad.yaml:5:9: `{{ params.dir }}` unquoted is a YAML mapping, not a placeholder: put it in quotes, '{{ params.dir }}' [BWD_PACK_PLACEHOLDER]",
      'demo/bad.yaml:7:3: placeholders go in values, not in keys: found "{{ params.dir }}" [BWD_PACK_PLACEHOLDER]',
      'demo/bad.yaml:8:10: `{{ params.nope }}` names no parameter of pack demo: expected one of `dir`, `threshold`, `cooldown`, `max_runs`, `enabled` [BWD_PACK_UNKNOWN_PARAM]',
    ]);
  });

  it('refuses a definition that sets its own provenance, and a second manifest', () => {
    const m = manifest();
    const r = renderPack(m, [{ path: 'demo/x.yaml', text: 'kind: action\nname: a\ncommand: x\npack: other@1.0.0\n---\nkind: pack\nname: demo\n' }], values(m));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['BWD_PACK_MANIFEST', 'BWD_PACK_MANIFEST']);
  });

  it('a hostile value stays inside its one scalar: no second document, no other field', () => {
    const m = manifest(MANIFEST.replace('    default: data/logs\n', () => "    default: data/logs\n    pattern: '^.*$'\n"));
    const hostile = "x'\n---\nkind: action\" : # {{ params.dir }} ]}";
    expect(checkPackValue(m.parameters[0] as never, hostile).problem).toContain('control character');
    const oneLine = "x' ---  kind: action\" : # {{ params.threshold }} ]} &a *b !tag %YAML";
    const r = renderPack(m, files, values(m, [`dir=${oneLine}`]));
    expect(r.diagnostics).toEqual([]);
    const docs = parseAllDocuments(r.rendered?.files[0]?.text ?? '');
    expect(docs.map((d) => d.errors.length)).toEqual([0, 0, 0]);
    expect((docs[2]?.toJS() as { args: unknown }).args).toEqual({ dir: oneLine });
  });
});
