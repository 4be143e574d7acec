import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Definition } from '../definitions/index.js';
import { diffDefinitions, parseDefinitions } from '../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import { ApiError } from './api.js';
import type { LoadedSet } from './definition-edit.js';
import { EDITABLE_KINDS, applyRefusal, backtestRefusal, checkEdit, editOf, filesWithEdit, isDirty, newEdit, planRefusal, rebaseEdit, spanAt, staleMessage } from './definition-edit.js';

const PACK = [
  'kind: action\nname: clean_logs\ncommand: find "$dir" -delete\nparams: { dir: string }\n',
  'kind: alarm\nname: disk-full\nquery: host | role = "web"\nfire: disk_usage > 90\nclear: disk_usage < 80\n',
  'kind: bot\nname: clean\ntrigger: { alarm: disk-full }\naction: clean_logs\nargs: { dir: /var/log }\ncooldown: 1m\n',
].join('---\n');

function loaded(): LoadedSet {
  const r = parseDefinitions([{ path: 'pack.yaml', text: PACK }], BUILTIN_CATALOGUE);
  expect(r.diagnostics).toEqual([]);
  return { version: 3, definitions: r.definitions };
}

const planOf = (set: LoadedSet, files: ReturnType<typeof filesWithEdit>) => diffDefinitions(set.definitions, parseDefinitions(files, BUILTIN_CATALOGUE).definitions);

describe('the edit model', () => {
  it('opens a definition as its own file; unchanged, the set plans to nothing', () => {
    const set = loaded();
    const edit = editOf(set, { kind: 'alarm', name: 'disk-full' });
    expect(edit.path).toBe('alarms/disk-full.yaml');
    expect(edit.text).toContain('fire: disk_usage > 90');
    expect(isDirty(edit)).toBe(false);
    const diff = planOf(set, filesWithEdit(set, edit));
    expect([diff.create.length, diff.update.length, diff.delete.length, diff.unchanged]).toEqual([0, 0, 0, 3]);
  });

  it('puts the edited text in place of the definition: a changed threshold is one update of that field', () => {
    const set = loaded();
    const opened = editOf(set, { kind: 'alarm', name: 'disk-full' });
    const edit = { ...opened, text: opened.text.replace('> 90', '> 80') };
    expect(isDirty(edit)).toBe(true);
    const diff = planOf(set, filesWithEdit(set, edit));
    expect(diff.update.map((u) => u.changes.map((c) => c.field))).toEqual([['fire']]);
    expect(diff.create.length + diff.delete.length).toBe(0);
  });

  it('adds a new definition from a template that checks clean (a bot names an alarm and action to fill in)', () => {
    const set = loaded();
    for (const kind of EDITABLE_KINDS) {
      const edit = newEdit(kind);
      expect(isDirty(edit)).toBe(true);
      const { here } = checkEdit(set, edit);
      if (kind === 'bot') expect(here.map((d) => d.code)).toEqual(expect.arrayContaining(['BWD_UNKNOWN_ALARM', 'BWD_UNKNOWN_ACTION']));
      else expect(here).toEqual([]);
    }
    const alarm = newEdit('alarm');
    expect(planOf(set, filesWithEdit(set, alarm)).create.map((d) => d.name)).toEqual(['new-alarm']);
  });

  it('underlines a diagnostic at the word it points at, and lists what the edit breaks elsewhere', () => {
    const set = loaded();
    const opened = editOf(set, { kind: 'alarm', name: 'disk-full' });
    const typo = { ...opened, text: opened.text.replace('fire: disk_usage', 'fire: disk_usge') };
    const { here } = checkEdit(set, typo);
    expect(here).toHaveLength(1);
    const [d] = here;
    expect(d?.code).toBe('BWD_BAD_QUERY');
    expect(d?.suggestion).toBe('disk_usage');
    expect(typo.text.slice(d?.location.start, d?.location.end)).toBe('disk_usge');

    const renamed = { ...opened, text: opened.text.replace('name: disk-full', 'name: disk-full-2') };
    const broken = checkEdit(set, renamed);
    expect(broken.here).toEqual([]);
    expect(broken.elsewhere.map((e) => [e.file, e.code])).toEqual([['bots/clean.yaml', 'BWD_UNKNOWN_ALARM']]);
  });

  it('checks any text typed into the editor without throwing, every span inside it', () => {
    const set = loaded();
    const opened = editOf(set, { kind: 'alarm', name: 'disk-full' });
    const yamlish = fc.stringMatching(/^[a-z_:{}[\]"'|>< \n\t-9.#&*!%@`$-]{0,200}$/);
    fc.assert(
      fc.property(fc.oneof(yamlish, fc.string({ maxLength: 200 }), fc.constant(opened.text).chain((t) => fc.integer({ min: 0, max: t.length }).map((cut) => t.slice(0, cut)))), (text) => {
        const { here, elsewhere } = checkEdit(set, { ...opened, text });
        for (const d of here) {
          expect(d.location.start).toBeGreaterThanOrEqual(0);
          expect(d.location.end).toBeLessThanOrEqual(text.length + 1);
          expect(d.code).toMatch(/^BWD_/);
        }
        expect(Array.isArray(elsewhere)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('spanAt stays inside the text for any position', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.integer({ min: -3, max: 30 }), fc.integer({ min: -3, max: 90 }), (text, line, column) => {
        const s = spanAt(text, line, column);
        expect(s.start).toBeGreaterThanOrEqual(0);
        expect(s.start).toBeLessThanOrEqual(text.length);
        expect(s.end).toBeGreaterThan(s.start);
        expect(s.end).toBeLessThanOrEqual(text.length + 1);
      }),
      { numRuns: 300 },
    );
    expect(spanAt('a: 1\nfire_fr: 30s\n', 2, 1)).toEqual({ start: 5, end: 12 });
  });
});

describe('who may plan and apply', () => {
  it('plans from operator up, applies as admin only, each refusal saying why', () => {
    const set = loaded();
    expect(planRefusal('viewer', set)).toBe('Planning needs the operator role; you are a viewer.');
    expect(planRefusal('operator', set)).toBeUndefined();
    expect(applyRefusal('operator')).toBe('Applying definitions needs the admin role; you are an operator.');
    expect(applyRefusal('viewer')).toBe('Applying definitions needs the admin role; you are a viewer.');
    expect(applyRefusal('admin')).toBeUndefined();
    expect(backtestRefusal('viewer')).toBe('Back-testing needs the operator role; you are a viewer.');
    expect(backtestRefusal('operator')).toBeUndefined();
  });

  it('does not plan a set whose file content is hidden from this user', () => {
    const set = loaded();
    const hidden = { ...set, definitions: [...set.definitions, { kind: 'file', name: 'motd', contentHidden: true } as unknown as Definition] };
    expect(planRefusal('operator', hidden)).toContain('file motd is shown to admins only');
  });
});

describe('optimistic concurrency', () => {
  it('reads a conflict answer, or a plan on another version, as someone applying meanwhile', () => {
    expect(staleMessage(4, new ApiError('BW_ERR_CONFLICT', 'someone applied a newer version', 409))).toBe('Someone applied a newer version since you opened version 4: nothing was applied. Reload to plan your edit again on top of it.');
    expect(staleMessage(4, undefined, 5)).toContain('Someone applied version 5 since you opened version 4');
    expect(staleMessage(4, undefined, 4)).toBeUndefined();
    expect(staleMessage(4, new ApiError('BW_ERR_FORBIDDEN', 'no', 403))).toBeUndefined();
  });
});

describe('rebaseEdit', () => {
  const withAlarm = (set: LoadedSet, from: string, to: string): LoadedSet => {
    const files = filesWithEdit(set, { ...editOf(set, { kind: 'alarm', name: 'disk-full' }), text: editOf(set, { kind: 'alarm', name: 'disk-full' }).text.replace(from, to) });
    return { version: set.version + 1, definitions: parseDefinitions(files, BUILTIN_CATALOGUE).definitions };
  };

  it('keeps the other change to lines the user did not touch, so the edit does not undo it', () => {
    const set = loaded();
    const opened = editOf(set, { kind: 'alarm', name: 'disk-full' });
    const mine = { ...opened, text: opened.text.replace('< 80', '< 70') };
    const fresh = withAlarm(set, '> 90', '> 95');
    const { edit, conflict } = rebaseEdit(mine, fresh);
    expect(conflict).toBe(false);
    expect(edit.text).toContain('fire: disk_usage > 95');
    expect(edit.text).toContain('clear: disk_usage < 70');
    expect(edit.original).toBe(editOf(fresh, { kind: 'alarm', name: 'disk-full' }).text);
    const diff = planOf(fresh, filesWithEdit(fresh, edit));
    expect(diff.update.map((u) => u.changes.map((c) => c.field))).toEqual([['clear']]);
  });

  it('keeps the user’s text and says so when both changed the same line, and changes nothing when the definition did not move', () => {
    const set = loaded();
    const opened = editOf(set, { kind: 'alarm', name: 'disk-full' });
    const mine = { ...opened, text: opened.text.replace('> 90', '> 80') };
    const both = rebaseEdit(mine, withAlarm(set, '> 90', '> 95'));
    expect(both.conflict).toBe(true);
    expect(both.edit.text).toBe(mine.text);
    const elsewhere = { version: 4, definitions: set.definitions };
    expect(rebaseEdit(mine, elsewhere)).toEqual({ edit: mine, conflict: false });
    expect(rebaseEdit(newEdit('alarm'), elsewhere).conflict).toBe(false);
  });
});

