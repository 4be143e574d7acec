/**
 * The Definitions editor's model (pure: unit-tested beside). An edit changes one definition's
 * YAML inside the whole applied set: plan and apply take every file (a set is applied whole), so
 * the set is written back as files (toYaml, which round-trips) with the edited file in place.
 * Diagnostics come from the same parser and checker the control plane runs, here in the browser.
 */
import type { Definition, DefinitionDiagnostic, DefinitionDiff, DefinitionFile, DefinitionKind } from '../definitions/index.js';
import { parseDefinitions, toYaml } from '../definitions/index.js';
import { BUILTIN_CATALOGUE, LineMap } from '../lang/index.js';
import type { Role } from './api.js';
import { ApiError, roleAtLeast } from './api.js';
import type { EditorDiagnostic } from './Editor.js';

/** The kinds the page edits and creates (metrics, files and secrets stay with `breakwater apply`). */
export const EDITABLE_KINDS = ['alarm', 'bot', 'action', 'schedule'] as const satisfies readonly DefinitionKind[];
export type EditableKind = (typeof EDITABLE_KINDS)[number];

/** A starting point for a new definition of each kind, in the file format of docs/definitions.md. */
const TEMPLATES: Record<EditableKind, string> = {
  alarm: 'kind: alarm\nname: new-alarm\ndescription: What is wrong when this fires.\nquery: host\nfire: cpu_usage > 90\nclear: cpu_usage < 80\nfire_for: 1m\nseverity: warning\n',
  bot: 'kind: bot\nname: new-bot\ndescription: What it repairs.\ntrigger:\n  alarm: ALARM\n  on: fired\naction: ACTION\ncooldown: 5m\n',
  action: 'kind: action\nname: new_action\ndescription: What it does.\ncommand: uptime\ntimeout: 30s\nresources: [host]\n',
  schedule: 'kind: schedule\nname: new-schedule\ndescription: Why it runs.\nevery: 1h\nrun: host | count\n',
};

/** The set the page loaded: its version is the one an apply is checked against. */
export interface LoadedSet {
  readonly version: number;
  readonly definitions: readonly Definition[];
}

/** One definition being edited (or created): where its file sits in the set, its text as loaded and as edited. */
export interface Edit {
  readonly kind: DefinitionKind;
  readonly path: string;
  readonly original: string;
  readonly text: string;
  readonly isNew: boolean;
}

/** The loaded set as files, written once per set: every keystroke's check needs them. */
const filesOfSet = new WeakMap<readonly Definition[], readonly DefinitionFile[]>();
function setFiles(set: LoadedSet): readonly DefinitionFile[] {
  let files = filesOfSet.get(set.definitions);
  if (!files) filesOfSet.set(set.definitions, (files = toYaml(set.definitions)));
  return files;
}

/** Opens an existing definition for editing: its file as toYaml writes it. */
export function editOf(set: LoadedSet, def: Pick<Definition, 'kind' | 'name'>): Edit {
  const path = `${def.kind}s/${def.name}.yaml`;
  const text = setFiles(set).find((f) => f.path === path)?.text ?? '';
  return { kind: def.kind, path, original: text, text, isNew: false };
}

/** A new definition of `kind`, from its template; its file is a draft until applied. */
export function newEdit(kind: EditableKind): Edit {
  return { kind, path: `drafts/new-${kind}.yaml`, original: TEMPLATES[kind], text: TEMPLATES[kind], isNew: true };
}

/** Whether leaving would lose something: a new definition always, an existing one when its text changed. */
export function isDirty(edit: Edit | undefined): boolean {
  return edit !== undefined && (edit.isNew || edit.text !== edit.original);
}

/** The whole set as files, the edited one in place of the definition it was (or added, when new). */
export function filesWithEdit(set: LoadedSet, edit: Edit): DefinitionFile[] {
  const files = setFiles(set).filter((f) => f.path !== edit.path);
  return [...files, { path: edit.path, text: edit.text }];
}

/**
 * The edit moved onto `fresh` (the set after someone else applied): lines the user did not
 * touch take their new text, so the edit does not undo the other change. Line by line, when the
 * three texts have as many lines (a changed value, the usual case); otherwise, or where both
 * changed the same line, the user's text is kept as is and `conflict` says so (the plan then
 * shows what it would undo).
 */
export function rebaseEdit(edit: Edit, fresh: LoadedSet): { edit: Edit; conflict: boolean } {
  const theirs = edit.isNew ? undefined : setFiles(fresh).find((f) => f.path === edit.path)?.text;
  if (theirs === undefined || theirs === edit.original) return { edit, conflict: false };
  const base = edit.original.split('\n');
  const mine = edit.text.split('\n');
  const other = theirs.split('\n');
  if (base.length !== mine.length || base.length !== other.length) return { edit: { ...edit, original: theirs }, conflict: true };
  let conflict = false;
  const merged = base.map((line, i) => {
    const [m, o] = [mine[i] ?? '', other[i] ?? ''];
    if (m === line) return o;
    if (o !== line && o !== m) conflict = true;
    return m;
  });
  return { edit: { ...edit, original: theirs, text: merged.join('\n') }, conflict };
}

/** What a back-test of an edited alarm sends: its file, with the set's custom metrics it may use (and no other alarm, as the API back-tests the first). */
export function backtestFiles(set: LoadedSet, edit: Edit): DefinitionFile[] {
  return [...toYaml(set.definitions.filter((d) => d.kind === 'metric')), { path: edit.path, text: edit.text }];
}

/**
 * Where a diagnostic at `line:column` points: from there to the end of the word, value or
 * name it starts (a definition diagnostic gives a position, not a length), at least one character.
 */
export function spanAt(text: string, line: number, column: number): { start: number; end: number } {
  let start = 0;
  for (let l = 1; l < line && start <= text.length; l++) {
    const next = text.indexOf('\n', start);
    if (next < 0) return { start: text.length, end: text.length + 1 };
    start = next + 1;
  }
  start = Math.min(text.length, start + Math.max(0, column - 1));
  const word = /^[^\s{}()[\],|"'<>=!:]+/.exec(text.slice(start));
  return { start, end: start + Math.max(1, word?.[0].length ?? 0) };
}

/** The edit checked with the rest of the set: diagnostics in the edited text (with spans to underline), and any it causes in other files. */
export function checkEdit(set: LoadedSet, edit: Edit): { here: EditorDiagnostic[]; elsewhere: DefinitionDiagnostic[] } {
  const { diagnostics } = parseDefinitions(filesWithEdit(set, edit), BUILTIN_CATALOGUE);
  const lines = new LineMap(edit.text);
  const here = diagnostics
    .filter((d) => d.file === edit.path)
    .map(
      (d): EditorDiagnostic => ({
        code: d.code,
        severity: d.severity,
        message: d.field ? `${d.field}: ${d.message}` : d.message,
        location: lines.locate(spanAt(edit.text, d.line, d.column)),
        ...(d.suggestion !== undefined ? { suggestion: d.suggestion } : {}),
      }),
    );
  return { here, elsewhere: diagnostics.filter((d) => d.file !== edit.path) };
}

const aRole = (role: Role) => `${role === 'viewer' ? 'a' : 'an'} ${role}`;

/** Why this user may not back-test (the API's rule: operator), or undefined when they may. */
export function backtestRefusal(role: Role): string | undefined {
  return roleAtLeast(role, 'operator') ? undefined : `Back-testing needs the operator role; you are ${aRole(role)}.`;
}

/** Why this user may not plan an edit, or undefined when they may (planning needs operator; hidden file content would read as a change). */
export function planRefusal(role: Role, set: LoadedSet): string | undefined {
  if (!roleAtLeast(role, 'operator')) return `Planning needs the operator role; you are ${aRole(role)}.`;
  const hidden = set.definitions.filter((d) => (d as { contentHidden?: boolean }).contentHidden === true).map((d) => d.name);
  if (hidden.length) return `The content of file ${hidden.join(', ')} is shown to admins only, so the set cannot be planned whole: plan with an admin token.`;
  return undefined;
}

/** Why this user may not apply, or undefined when they may (the API's rule: admin). */
export function applyRefusal(role: Role): string | undefined {
  return roleAtLeast(role, 'admin') ? undefined : `Applying definitions needs the admin role; you are ${aRole(role)}.`;
}

/**
 * The concurrency refusal in words, when `err` (or a plan's base version) says someone applied
 * a newer version since the set was loaded; undefined for anything else.
 */
export function staleMessage(loaded: number, err: unknown, planBase?: number): string | undefined {
  const conflict = err instanceof ApiError && err.code === 'BW_ERR_CONFLICT';
  const moved = planBase !== undefined && planBase !== loaded;
  if (!conflict && !moved) return undefined;
  const now = moved ? `version ${planBase}` : 'a newer version';
  return `Someone applied ${now} since you opened version ${loaded}: nothing was applied. Reload to plan your edit again on top of it.`;
}

/** The answer of POST /api/v1/definitions/plan. */
export interface PlanAnswer {
  readonly ok: boolean;
  readonly baseVersion: number;
  readonly diagnostics: DefinitionDiagnostic[];
  readonly diff?: DefinitionDiff;
}

