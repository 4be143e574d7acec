/**
 * Golden-file (baseline) tests for the query language, in the style of TypeScript's baselines.
 *
 * Each `golden/valid/*.bw` and `golden/invalid/*.bw` file holds one statement (several lines when
 * the case is about multi-line input; one trailing newline is not part of the statement). Beside
 * it, `*.baseline.txt` holds the readable result of `analyze` with the built-in catalogue plus the
 * actions `restart_service(name: string)` and `clean_logs(dir: string, days: number = 7)`:
 *   - the verdict and every diagnostic as `severity code line:column-endLine:endColumn message`,
 *     followed by its suggestion if any;
 *   - the source with caret underlines under each diagnostic's span;
 *   - for valid statements, the plan as pretty JSON.
 *
 * A case fails when its output differs from the baseline (vitest prints the diff), when its
 * baseline is missing, when a baseline has no `.bw` beside it, or when the verdict is wrong: a
 * valid case must analyse with no error, an invalid one must have at least one error. The verdict
 * is asserted before anything is compared or written, so a baseline can never enshrine a wrong one.
 *
 * `golden/fleet/*.bw` are valid statements analysed against a fleet, the hosts of `breakwater lab
 * --hosts 12` (EXAMPLE_FLEET): their baselines show the fleet warnings (BW_NO_MATCH, BW_MATCHES_ALL)
 * with the near values and host counts each names.
 *
 * To accept the current output (after an intended change to the language or its messages), run
 *
 *     UPDATE_BASELINES=1 npx vitest run src/lang/golden.test.ts
 *
 * which rewrites every baseline that differs, writes missing ones, deletes orphaned ones, and
 * then passes. Review the resulting `git diff` of the baselines as carefully as code.
 */
import { existsSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Analysis, Catalogue, Diagnostic } from './index.js';
import { BUILTIN_CATALOGUE, EXAMPLE_ACTIONS, EXAMPLE_FLEET, analyze, extendCatalogue } from './index.js';

const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));
const UPDATE = process.env.UPDATE_BASELINES === '1' || process.env.UPDATE_BASELINES === 'true';
const SOURCE_EXT = '.bw';
const BASELINE_EXT = '.baseline.txt';

const CATALOGUE: Catalogue = extendCatalogue(BUILTIN_CATALOGUE, { actions: EXAMPLE_ACTIONS });

/** `fleet`: valid statements, analysed against EXAMPLE_FLEET. */
type Verdict = 'valid' | 'invalid' | 'fleet';

/** Reads a case: the file's text without one trailing newline, CRLF read as LF (checkouts may convert). */
function readStatement(file: string): string {
  return readFileSync(file, 'utf8').replace(/\r\n/g, '\n').replace(/\n$/, '');
}

/** The source, each line numbered, with a caret line under it for every diagnostic that touches it. */
function underline(source: string, diagnostics: readonly Diagnostic[]): string[] {
  const lines = source.split('\n');
  const width = String(lines.length).length;
  const gutter = ' '.repeat(width);
  const out: string[] = [];
  let lineStart = 0;
  lines.forEach((text, index) => {
    const lineEnd = lineStart + text.length;
    out.push(`${String(index + 1).padStart(width)} | ${text}`.trimEnd());
    for (const d of diagnostics) {
      const { start, end } = d.location;
      const from = Math.max(start, lineStart);
      const to = Math.min(end, lineEnd);
      // A span touches the line when it covers part of it, or when it starts on it (an empty span,
      // or one that starts at the line's end, such as the end of the statement or a newline).
      const touches = from < to || (start >= lineStart && start <= lineEnd);
      if (!touches) continue;
      // Keep tabs so carets line up under tabbed text.
      const pad = text.slice(0, from - lineStart).replace(/[^\t]/g, ' ');
      out.push(`${gutter} | ${pad}${'^'.repeat(Math.max(1, to - from))} ${d.code}`);
    }
    lineStart = lineEnd + 1;
  });
  return out;
}

function describeDiagnostic(d: Diagnostic): string[] {
  const l = d.location;
  const head = `${d.severity} ${d.code} ${l.line}:${l.column}-${l.endLine}:${l.endColumn} ${d.message}`;
  const near = d.near === undefined ? [] : [`  found: ${JSON.stringify(d.found)}, near: ${d.near.map((n) => `${JSON.stringify(n.value)} (${n.hosts})`).join(', ')}`];
  return [head, ...(d.suggestion === undefined ? [] : [`  suggestion: ${d.suggestion}`]), ...near];
}

/** The readable result of one statement: what the baseline holds. */
function render(source: string, result: Analysis): string {
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = result.diagnostics.length - errors;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const out = [`verdict: ${result.ok ? 'ok' : 'error'} (${count(errors, 'error')}, ${count(warnings, 'warning')})`, ''];
  for (const d of result.diagnostics) out.push(...describeDiagnostic(d));
  if (result.diagnostics.length) out.push('');
  out.push('source:', ...underline(source, result.diagnostics));
  if (result.plan) out.push('', 'plan:', JSON.stringify(result.plan, null, 2));
  return `${out.join('\n')}\n`;
}

function listCases(verdict: Verdict): { name: string; file: string; baseline: string }[] {
  const dir = path.join(GOLDEN, verdict);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(SOURCE_EXT))
    .sort()
    .map((f) => ({ name: f, file: path.join(dir, f), baseline: path.join(dir, f.slice(0, -SOURCE_EXT.length) + BASELINE_EXT) }));
}

function orphans(verdict: Verdict): string[] {
  const dir = path.join(GOLDEN, verdict);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(BASELINE_EXT) && !existsSync(path.join(dir, f.slice(0, -BASELINE_EXT.length) + SOURCE_EXT)))
    .map((f) => path.join(dir, f));
}

const relative = (file: string) => path.relative(process.cwd(), file);

for (const verdict of ['valid', 'invalid', 'fleet'] as const) {
  describe(`golden/${verdict}`, () => {
    const cases = listCases(verdict);

    it('has cases', () => {
      expect(cases.length, `no ${SOURCE_EXT} files found in ${relative(path.join(GOLDEN, verdict))}`).toBeGreaterThan(0);
    });

    it('has no baseline without a statement', () => {
      const stale = orphans(verdict);
      if (UPDATE) for (const f of stale) unlinkSync(f);
      else expect(stale.map(relative), 'baselines whose .bw file is gone (UPDATE_BASELINES=1 deletes them)').toEqual([]);
    });

    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const source = readStatement(c.file);
      const result = verdict === 'fleet' ? analyze(source, CATALOGUE, () => EXAMPLE_FLEET) : analyze(source, CATALOGUE);
      const actual = render(source, result);
      const errors = result.diagnostics.filter((d) => d.severity === 'error').length;

      // The verdict first: a wrong one must fail even with UPDATE_BASELINES, never become a baseline.
      if (verdict !== 'invalid') {
        expect(result.ok && errors === 0, `${relative(c.file)} is in valid/ but has errors:\n${actual}`).toBe(true);
        expect(result.plan, `${relative(c.file)} analysed ok but produced no plan`).toBeDefined();
      } else {
        expect(errors, `${relative(c.file)} is in invalid/ but has no error:\n${actual}`).toBeGreaterThan(0);
        expect(result.ok, `${relative(c.file)} has errors but ok is true`).toBe(false);
      }

      const expected = existsSync(c.baseline) ? readFileSync(c.baseline, 'utf8').replace(/\r\n/g, '\n') : undefined;
      if (UPDATE) {
        if (expected !== actual) writeFileSync(c.baseline, actual);
        return;
      }
      expect(expected, `missing baseline ${relative(c.baseline)}; run UPDATE_BASELINES=1 npx vitest run src/lang/golden.test.ts to write it, then review it`).toBeDefined();
      expect(actual, `${relative(c.baseline)} differs from the output (- baseline, + actual); if the change is intended, run UPDATE_BASELINES=1 npx vitest run src/lang/golden.test.ts and review the diff`).toBe(expected);
    });
  });
}
