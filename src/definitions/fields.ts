import type { Document, LineCounter, ParsedNode, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import { closest, parseDuration, parseSize } from '../lang/index.js';
import type { DefinitionDiagnosticCode } from './diagnostics.js';
import type { DefinitionDiagnostic } from './types.js';

/*
 * Reading one YAML document: positions of nodes, typed field readers that
 * report every problem with the offending node's place, and the mapping from
 * an offset inside a string value back to the YAML source (for statements).
 */

export type YNode = Scalar.Parsed | YAMLMap.Parsed | YAMLSeq.Parsed;

/** A diagnostic before sorting: the file's index and the offset order the output. */
export interface Pending {
  readonly fileIndex: number;
  readonly offset: number;
  readonly diagnostic: DefinitionDiagnostic;
}

export interface ReportOptions {
  readonly suggestion?: string | undefined;
  readonly severity?: 'error' | 'warning';
}

/** One YAML document of one file, and where its diagnostics go. */
export class Doc {
  /** Errors reported for this document. */
  errors = 0;

  constructor(
    readonly file: string,
    readonly fileIndex: number,
    readonly text: string,
    private readonly lines: LineCounter,
    private readonly doc: Document.Parsed,
    private readonly out: Pending[],
  ) {}

  /** The node itself, or what an alias (`*name`) points at. */
  resolve(node: ParsedNode | null | undefined): YNode | undefined {
    let n: unknown = node ?? undefined;
    for (let i = 0; i < 64 && n !== undefined && isAlias(n); i++) n = n.resolve(this.doc) ?? undefined;
    return n === undefined || isAlias(n) ? undefined : (n as YNode);
  }

  line(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  report(offset: number, field: string, code: DefinitionDiagnosticCode, message: string, options: ReportOptions = {}): void {
    const severity = options.severity ?? 'error';
    if (severity === 'error') this.errors++;
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    const diagnostic: DefinitionDiagnostic = { file: this.file, line, column: col, field, code, severity, message, ...(options.suggestion !== undefined ? { suggestion: options.suggestion } : {}) };
    this.out.push({ fileIndex: this.fileIndex, offset, diagnostic });
  }

  /**
   * The source offset of `offset` within a string scalar's value. Exact for plain and quoted
   * scalars written on one line without escapes, and for literal block scalars (`|`); otherwise
   * (folded text, escapes) the start of the scalar.
   */
  offsetIn(node: Scalar.Parsed, offset: number): number {
    const value = typeof node.value === 'string' ? node.value : String(node.value);
    const [start, end] = node.range;
    const fits = (pos: number) => offset >= value.length || this.text[pos] === value[offset];
    if (node.type === 'PLAIN' && this.text.slice(start, start + value.length) === value) return start + offset;
    if ((node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE') && this.text.slice(start + 1, end - 1) === value) return start + 1 + offset;
    if (node.type === 'BLOCK_LITERAL') {
      const valueLines = value.slice(0, offset).split('\n');
      const lineIndex = valueLines.length - 1;
      const column = (valueLines[lineIndex] ?? '').length;
      let pos = this.text.indexOf('\n', start) + 1;
      if (pos === 0) return start;
      const indent = blockIndent(this.text, pos);
      for (let i = 0; i < lineIndex; i++) {
        const next = this.text.indexOf('\n', pos);
        if (next < 0) return start;
        pos = next + 1;
      }
      const at = pos + indent + column;
      return fits(at) ? at : start;
    }
    return start + (node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE' ? 1 : 0);
  }
}

/** Indentation of a block scalar's content: that of its first line that is not blank. */
function blockIndent(text: string, from: number): number {
  let pos = from;
  while (pos < text.length) {
    let spaces = 0;
    while (text[pos + spaces] === ' ') spaces++;
    const c = text[pos + spaces];
    if (c !== '\n' && c !== '\r') return spaces;
    const next = text.indexOf('\n', pos);
    if (next < 0) return spaces;
    pos = next + 1;
  }
  return 0;
}

const clip = (s: string, n = 40) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** How a YAML value reads in "found ..." messages. */
export function describe(node: YNode | undefined): string {
  if (node === undefined || (isScalar(node) && node.value === null)) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  const v = node.value;
  if (typeof v === 'string') return v === '' ? 'an empty string' : `the string ${JSON.stringify(clip(v))}`;
  if (typeof v === 'number') return `the number ${node.source || String(v)}`;
  if (typeof v === 'boolean') return String(v);
  return `a value of type ${typeof v}`;
}

const isNull = (node: YNode | undefined) => node === undefined || (isScalar(node) && node.value === null);
const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toLowerCase();

interface Entry {
  readonly key: Scalar.Parsed;
  readonly value: YNode | undefined;
}

/** Examples used in messages, so every "expected" reads the same. */
export const EXPECT = {
  duration: 'a duration such as 30s, 5m or 1h (units ms, s, m, h, d, w)',
  size: 'a size such as 512KB or 1MiB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)',
  bool: 'true or false',
} as const;

/**
 * The fields of one YAML mapping, read by name. Every reader reports what is
 * wrong (at the value, or at the key, or at `anchor` when the field is missing)
 * and returns undefined for a value it could not use.
 */
export class Fields {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly doc: Doc,
    readonly mapping: YAMLMap.Parsed,
    /** Dotted path of this mapping (`circuit_breaker`), empty for the document. */
    readonly path: string,
    /** Where a missing field is reported: the mapping's own key, or its start. */
    readonly anchor: number,
  ) {
    for (const pair of mapping.items) {
      const key = doc.resolve(pair.key);
      if (key === undefined || !isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number')) {
        const at = key?.range[0] ?? mapping.range[0];
        doc.report(at, path, 'BWD_BAD_TYPE', `expected a field name (a plain word), found ${describe(key)}`);
        continue;
      }
      this.entries.set(String(key.value), { key, value: doc.resolve(pair.value) });
    }
  }

  field(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  keyNode(key: string): Scalar.Parsed | undefined {
    return this.entries.get(key)?.key;
  }

  /** Reports each field not in `known`, with the closest known one as a suggestion. */
  allow(known: readonly string[], what: string, elsewhere?: (key: string) => string | undefined): void {
    for (const [name, { key }] of this.entries) {
      if (known.includes(name)) continue;
      const snaked = snake(name);
      const suggestion = known.includes(snaked) ? snaked : closest(name, known);
      const other = suggestion === undefined ? elsewhere?.(name) : undefined;
      const message =
        `unknown field \`${name}\` in ${what}` +
        (suggestion !== undefined ? `; did you mean \`${suggestion}\`?` : other !== undefined ? `: \`${name}\` is a field of ${other}` : `; expected one of ${known.map((k) => `\`${k}\``).join(', ')}`);
      this.doc.report(key.range[0], this.field(name), 'BWD_UNKNOWN_FIELD', message, { suggestion });
    }
  }

  /** The value, or undefined when the field is absent or empty (`key:` with nothing after it). */
  node(key: string): YNode | undefined {
    const v = this.entries.get(key)?.value;
    return isNull(v) ? undefined : v;
  }

  has(key: string): boolean {
    return this.node(key) !== undefined;
  }

  /** Where the field's value is, else its key, else the mapping's anchor. */
  where(key: string): number {
    const e = this.entries.get(key);
    return e?.value !== undefined && !isNull(e.value) ? e.value.range[0] : e ? e.key.range[0] : this.anchor;
  }

  /** Where the field's key is, else the mapping's anchor. */
  keyAt(key: string): number {
    return this.entries.get(key)?.key.range[0] ?? this.anchor;
  }

  missing(key: string, expected: string): void {
    const present = this.entries.has(key);
    const message = present ? `\`${key}\` has no value: expected ${expected}` : `missing field \`${key}\`: expected ${expected}`;
    this.doc.report(this.keyAt(key), this.field(key), 'BWD_MISSING_FIELD', message);
  }

  bad(key: string, code: DefinitionDiagnosticCode, message: string, options?: ReportOptions): void {
    this.doc.report(this.where(key), this.field(key), code, message, options);
  }

  /** Reports at the field's key: for a field that should not be there, whatever its value. */
  badKey(key: string, code: DefinitionDiagnosticCode, message: string, options?: ReportOptions): void {
    this.doc.report(this.keyAt(key), this.field(key), code, message, options);
  }

  /** A string value, with its scalar node (for positions inside it). */
  scalar(key: string, expected: string, required: boolean, options: { nonEmpty?: boolean } = {}): { value: string; node: Scalar.Parsed } | undefined {
    const n = this.node(key);
    if (n === undefined) {
      if (required) this.missing(key, expected);
      return undefined;
    }
    if (!isScalar(n) || typeof n.value !== 'string') {
      const hint = isScalar(n) && (typeof n.value === 'number' || typeof n.value === 'boolean') ? '; put it in quotes to make it a string' : '';
      this.bad(key, 'BWD_BAD_TYPE', `expected ${expected}, found ${describe(n)}${hint}`);
      return undefined;
    }
    if (options.nonEmpty && n.value.trim() === '') {
      this.bad(key, 'BWD_BAD_VALUE', `expected ${expected}, found ${describe(n)}`);
      return undefined;
    }
    return { value: n.value, node: n };
  }

  string(key: string, expected: string, required: boolean, options: { nonEmpty?: boolean } = {}): string | undefined {
    return this.scalar(key, expected, required, options)?.value;
  }

  /** A duration in seconds. `min: 'zero'` allows 0s; `'positive'` does not. */
  duration(key: string, fallback: number | undefined, min: 'zero' | 'positive'): number | undefined {
    const n = this.node(key);
    if (n === undefined) {
      if (fallback === undefined) this.missing(key, EXPECT.duration);
      return fallback;
    }
    const seconds = readDuration(n, min, (message) => this.bad(key, 'BWD_BAD_DURATION', message));
    return seconds ?? fallback;
  }

  /** A size in bytes, above 0. */
  size(key: string, fallback: number): number {
    const n = this.node(key);
    if (n === undefined) return fallback;
    if (isScalar(n) && typeof n.value === 'string') {
      const bytes = parseSize(n.value);
      if (bytes !== undefined && bytes > 0) return bytes;
      const why = n.value.trim().startsWith('-') ? 'expected a size above 0 (sizes cannot be negative)' : bytes === 0 ? 'expected a size above 0' : `expected ${EXPECT.size}`;
      this.bad(key, 'BWD_BAD_SIZE', `${why}, found ${describe(n)}`);
      return fallback;
    }
    const hint = isScalar(n) && typeof n.value === 'number' ? `; add a unit, e.g. ${n.source}B or ${n.source}KiB` : '';
    this.bad(key, 'BWD_BAD_SIZE', `expected ${EXPECT.size}, found ${describe(n)}${hint}`);
    return fallback;
  }

  bool(key: string, fallback: boolean): boolean {
    const n = this.node(key);
    if (n === undefined) return fallback;
    if (isScalar(n) && typeof n.value === 'boolean') return n.value;
    const hint = isScalar(n) && typeof n.value === 'string' && /^(yes|no|on|off|y|n|true|false)$/i.test(n.value) ? ' (YAML 1.2 reads only true and false as booleans)' : '';
    this.bad(key, 'BWD_BAD_TYPE', `expected ${EXPECT.bool}, found ${describe(n)}${hint}`);
    return fallback;
  }

  integer(key: string, fallback: number, min: number): number {
    const n = this.node(key);
    if (n === undefined) return fallback;
    if (isScalar(n) && typeof n.value === 'number' && Number.isInteger(n.value)) {
      if (n.value >= min) return n.value;
      this.bad(key, 'BWD_BAD_VALUE', `expected a whole number of at least ${min}, found ${describe(n)}`);
      return fallback;
    }
    this.bad(key, 'BWD_BAD_TYPE', `expected a whole number of at least ${min}, found ${describe(n)}`);
    return fallback;
  }

  /** One of a fixed set of words, with the closest as a suggestion. */
  oneOf<T extends string>(key: string, options: readonly T[], fallback: T | undefined): T | undefined {
    const n = this.node(key);
    const list = options.map((o) => `\`${o}\``).join(', ');
    if (n === undefined) {
      if (fallback === undefined) this.missing(key, `one of ${list}`);
      return fallback;
    }
    if (isScalar(n) && typeof n.value === 'string' && (options as readonly string[]).includes(n.value)) return n.value as T;
    const suggestion = isScalar(n) && typeof n.value === 'string' ? closest(n.value, options) : undefined;
    this.bad(key, isScalar(n) && typeof n.value === 'string' ? 'BWD_BAD_VALUE' : 'BWD_BAD_TYPE', `expected one of ${list}, found ${describe(n)}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''), { suggestion });
    return fallback;
  }

  /** A nested mapping; reports anything else. */
  map(key: string, what: string, required: boolean): Fields | undefined {
    const n = this.node(key);
    if (n === undefined) {
      if (required) this.missing(key, what);
      return undefined;
    }
    if (!isMap(n)) {
      this.bad(key, 'BWD_NOT_A_MAPPING', `expected ${what}, found ${describe(n)}`);
      return undefined;
    }
    return new Fields(this.doc, n, this.field(key), this.keyAt(key));
  }

  /** A list of strings, each with its node. */
  strings(key: string, expected: string): { value: string; node: Scalar.Parsed }[] | undefined {
    const n = this.node(key);
    if (n === undefined) return undefined;
    if (!isSeq(n)) {
      this.bad(key, 'BWD_BAD_TYPE', `expected a list of ${expected}, found ${describe(n)}`);
      return undefined;
    }
    const out: { value: string; node: Scalar.Parsed }[] = [];
    n.items.forEach((raw, i) => {
      const item = this.doc.resolve(raw);
      if (item !== undefined && isScalar(item) && typeof item.value === 'string') out.push({ value: item.value, node: item });
      else this.doc.report(item?.range[0] ?? n.range[0], `${this.field(key)}.${i}`, 'BWD_BAD_TYPE', `expected ${expected}, found ${describe(item)}`);
    });
    return out;
  }
}

/** Reads a duration node into seconds, or says why it is not one. */
/**
 * The longest duration a definition may give: agents and the control plane wait with timers, and a
 * Node.js timer longer than 2^31-1 ms (~24.8 days) fires at once instead.
 */
export const MAX_DURATION_SECONDS = 24 * 86_400;

export function readDuration(n: YNode, min: 'zero' | 'positive', fail: (message: string) => void): number | undefined {
  if (isScalar(n) && typeof n.value === 'string') {
    const text = n.value.trim();
    const seconds = parseDuration(text);
    if (seconds === undefined) {
      fail(text.startsWith('-') ? `expected a duration of 0s or more (durations cannot be negative), found ${describe(n)}` : `expected ${EXPECT.duration}, found ${describe(n)}`);
      return undefined;
    }
    if (min === 'positive' && seconds <= 0) {
      fail(`expected a duration longer than 0s, found ${describe(n)}`);
      return undefined;
    }
    if (seconds > MAX_DURATION_SECONDS) {
      fail(`expected a duration of at most 24d, found ${describe(n)}`);
      return undefined;
    }
    return seconds;
  }
  if (isScalar(n) && typeof n.value === 'number') {
    fail(n.value < 0 ? `expected a duration of 0s or more (durations cannot be negative), found ${describe(n)}` : `expected ${EXPECT.duration}, found ${describe(n)} with no unit; write e.g. ${n.source}s`);
    return undefined;
  }
  fail(`expected ${EXPECT.duration}, found ${describe(n)}`);
  return undefined;
}
