import { parse, stringify } from 'yaml';

/*
 * Runbooks: notebooks of markdown and pipeline cells with parameters (`$host`), kept by the
 * control plane and run from the web UI. Pure, so the server (validation, YAML export/import) and
 * the browser (substitution before running a cell) share it.
 *
 * Parameters: `$name` in a pipeline cell, outside string literals and backtick commands, is
 * replaced by the parameter's value as a double-quoted string literal (`\` and `"` escaped), so a
 * value can never end the string or add pipeline syntax. Values holding a line break (or NUL) are
 * refused: the language's strings end at a line break. `$name` inside a backtick command is left
 * alone (it is the shell's variable, e.g. `$BW_HOST`).
 */

export type RunbookCellKind = 'markdown' | 'pipeline';

export interface RunbookCell {
  readonly kind: RunbookCellKind;
  readonly text: string;
}

/** What a person writes: the runbook without its id and bookkeeping. */
export interface RunbookContent {
  readonly name: string;
  readonly description: string;
  readonly params: readonly string[];
  readonly cells: readonly RunbookCell[];
}

/** A parameter name: `host`, `service`, `max_age`. */
export const RUNBOOK_PARAM = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Why a parameter value cannot be used, or undefined when it can. */
export function paramValueProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return 'a parameter value may not contain a line break';
  if (value.includes('\u0000')) return 'a parameter value may not contain NUL';
  return undefined;
}

/** A value as a string literal of the language: double quotes, `\` and `"` escaped. */
export function quoteString(value: string): string {
  const problem = paramValueProblem(value);
  if (problem) throw new Error(problem);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export type SubstituteResult = { readonly ok: true; readonly statement: string } | { readonly ok: false; readonly error: string };

/** A `$name` written in a pipeline cell: the name and where it is (`start` at the `$`, `end` after the name). */
export interface ParamRef {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Every `$name` of a pipeline cell that is a parameter reference: outside "strings", 'strings'
 * and `commands` (there `$name` is text, or the shell's variable), in source order. Declared or not.
 */
export function paramRefs(text: string): ParamRef[] {
  const refs: ParamRef[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"' || ch === "'" || ch === '`') {
      i++;
      while (i < text.length && text[i] !== ch && !(ch !== '`' && text[i] === '\n')) i += text[i] === '\\' && i + 1 < text.length ? 2 : 1;
      if (i < text.length && text[i] === ch) i++;
      continue;
    }
    const m = ch === '$' ? /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1)) : null;
    if (m) {
      refs.push({ name: m[0], start: i, end: i + 1 + m[0].length });
      i += 1 + m[0].length;
      continue;
    }
    i++;
  }
  return refs;
}

/**
 * Replaces `$name` (a declared parameter) by its value as a string literal. `$name` inside
 * "strings", 'strings' and `commands` is left as written; so is `$name` of an undeclared name.
 */
export function substituteParams(text: string, declared: readonly string[], values: Readonly<Record<string, string>>): SubstituteResult {
  const known = new Set(declared);
  let out = '';
  let at = 0;
  for (const ref of paramRefs(text)) {
    if (!known.has(ref.name)) continue;
    const value = values[ref.name];
    if (value === undefined) return { ok: false, error: `parameter $${ref.name} has no value` };
    const problem = paramValueProblem(value);
    if (problem) return { ok: false, error: `parameter $${ref.name}: ${problem}` };
    out += text.slice(at, ref.start) + quoteString(value);
    at = ref.end;
  }
  return { ok: true, statement: out + text.slice(at) };
}

/** A runbook as a YAML file (`kind: runbook`), as `breakwater` definitions are written. */
export function runbookToYaml(rb: RunbookContent): string {
  return stringify(
    {
      kind: 'runbook',
      name: rb.name,
      description: rb.description,
      params: [...rb.params],
      cells: rb.cells.map((c) => ({ [c.kind]: c.text })),
    },
    { blockQuote: 'literal', lineWidth: 0 },
  );
}

/**
 * A YAML runbook file back to its content, unchecked beyond its shape (the caller validates the
 * fields). Throws an Error saying what is wrong with the file.
 */
export function runbookFromYaml(text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`the file is not YAML: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('expected a YAML mapping with `kind: runbook`');
  const o = doc as Record<string, unknown>;
  if (o.kind !== 'runbook') throw new Error(`expected \`kind: runbook\`, found ${o.kind === undefined ? 'no kind' : `\`kind: ${String(o.kind)}\``}`);
  const cells = Array.isArray(o.cells)
    ? o.cells.map((c: unknown, i) => {
        if (typeof c !== 'object' || c === null) throw new Error(`cells[${i}]: expected \`markdown: …\` or \`pipeline: …\``);
        const entries = Object.entries(c as Record<string, unknown>);
        if (entries.length !== 1) throw new Error(`cells[${i}]: expected exactly one of \`markdown\` or \`pipeline\``);
        const [kind, value] = entries[0] as [string, unknown];
        return { kind, text: typeof value === 'string' ? value : value };
      })
    : o.cells;
  return { name: o.name, description: o.description ?? '', params: o.params ?? [], cells };
}
