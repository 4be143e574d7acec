import { parseDuration, parseSize } from '../lang/index.js';

/*
 * A pack parameter's values: the types a parameter may have, how a value written as text (a
 * `--set`, a values file, the manifest's default) is checked against its type and pattern, and
 * what it becomes once checked (its text, and the typed value a whole-scalar placeholder takes).
 * Pure, so the CLI and the tests share it; pack-manifest.ts reads the declarations.
 */

export const PACK_PARAM_TYPES = ['string', 'number', 'integer', 'percent', 'duration', 'size', 'boolean'] as const;
export type PackParamType = (typeof PACK_PARAM_TYPES)[number];

/** A string parameter's pattern when the manifest gives none: no shell metacharacters, quotes, spaces or line breaks, and no leading `-` (a value must not read as a command's option). */
export const DEFAULT_PACK_PATTERN = '^(?:[A-Za-z0-9_./:@%+=,][A-Za-z0-9_./:@%+=,-]*)?$';

/** The bounds of a pack: files read, parameters declared, values given. Hostile packs stay small. */
export const PACK_LIMITS = {
  /** Bytes of one pack file (manifest, definitions, runbook, values file). */
  fileBytes: 256 * 1024,
  /** Files of one pack (definition and runbook files, the manifest aside). */
  files: 64,
  parameters: 64,
  /** Characters of one value. */
  valueChars: 1024,
  /** Characters of a parameter's pattern. */
  patternChars: 256,
  /** `--set` flags of one install. */
  sets: 256,
} as const;

/** One declared parameter of a pack (pack.yaml `parameters`). */
export interface PackParameter {
  readonly name: string;
  readonly type: PackParamType;
  readonly description: string;
  /** The checked default; absent: the parameter must be given a value at install. */
  readonly default?: PackValue;
  /** Strings only: an anchored regular expression (`^...$`) every value must match; default DEFAULT_PACK_PATTERN. */
  readonly pattern?: string;
  /** Numbers and integers only: the smallest and largest value accepted (a port is 1–65535, a count at least 1). */
  readonly min?: number;
  readonly max?: number;
}

/**
 * A checked value: `text` as it is substituted inside a longer string, `typed` as a scalar that is
 * exactly one placeholder becomes (numbers and booleans stay typed; duration, size and percent
 * stay their text, `5m`, `2GiB`, `90%`).
 */
export interface PackValue {
  readonly text: string;
  readonly typed: string | number | boolean;
}

const NUMBER = /^-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?$/;
const INTEGER = /^-?(?:0|[1-9]\d{0,14})$/;
const PERCENT = /^(?:0|[1-9]\d{0,2})(?:\.\d{1,6})?%?$/;

/** What each type expects, as "expected ..." messages say it. */
export const PACK_TYPE_EXPECTED: Readonly<Record<PackParamType, string>> = {
  string: 'a string',
  number: 'a number such as 5 or 2.5',
  integer: 'a whole number such as 5',
  percent: 'a percentage from 0 to 100 such as 90 or 90%',
  duration: 'a duration such as 30s, 5m or 1h',
  size: 'a size such as 100MiB or 2GB',
  boolean: 'true or false',
};

/**
 * Checks `raw` (text from `--set`, or a YAML scalar from a values file or the manifest) against
 * the parameter's type and, for strings, its pattern. Control characters (line breaks, NUL, ...)
 * are refused for every parameter whatever its pattern: a value is one line of text.
 *
 * @example
 * checkPackValue({ name: 'mount', type: 'string', description: '' }, '/data') // { value: { text: '/data', typed: '/data' } }
 * checkPackValue({ name: 'mount', type: 'string', description: '' }, '$(rm -rf /)').problem // 'expected a string matching ...'
 */
export function checkPackValue(param: Pick<PackParameter, 'type' | 'pattern' | 'min' | 'max'>, raw: unknown): { value: PackValue; problem?: undefined } | { value?: undefined; problem: string } {
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') return { problem: `expected ${PACK_TYPE_EXPECTED[param.type]}, found ${raw === null || raw === undefined ? 'nothing' : Array.isArray(raw) ? 'a list' : 'a mapping'}` };
  const text = String(raw);
  const found = `found ${JSON.stringify(text.length > 60 ? `${text.slice(0, 59)}…` : text)}`;
  if (text.length > PACK_LIMITS.valueChars) return { problem: `expected at most ${PACK_LIMITS.valueChars} characters, found ${text.length}` };
  if (/[\u0000-\u001f\u007f]/.test(text)) return { problem: `expected one line of printable text, found a control character (a line break, tab or NUL) in ${JSON.stringify(text.slice(0, 60))}` };
  switch (param.type) {
    case 'string': {
      const pattern = param.pattern ?? DEFAULT_PACK_PATTERN;
      // The whole value must match, whatever the pattern's alternatives (`^a|b$` anchors only one side of each).
      if (!new RegExp(`^(?:${pattern})$`, 'u').test(text)) return { problem: `expected a string matching ${pattern}${param.pattern === undefined ? ' (the default pattern: no spaces, quotes or shell metacharacters)' : ''}, ${found}` };
      return { value: { text, typed: text } };
    }
    case 'number':
    case 'integer':
      if (!(param.type === 'number' ? NUMBER : INTEGER).test(text)) return { problem: `expected ${PACK_TYPE_EXPECTED[param.type]}, ${found}` };
      if ((param.min !== undefined && Number(text) < param.min) || (param.max !== undefined && Number(text) > param.max)) return { problem: `expected ${boundsText(param.min, param.max)}, ${found}` };
      return { value: { text, typed: Number(text) } };
    case 'percent':
      if (!PERCENT.test(text) || Number(text.replace('%', '')) > 100) return { problem: `expected ${PACK_TYPE_EXPECTED.percent}, ${found}` };
      return { value: { text, typed: text } };
    case 'duration':
      if (typeof raw !== 'string' || parseDuration(text) === undefined) return { problem: `expected ${PACK_TYPE_EXPECTED.duration}, ${found}${typeof raw === 'number' ? ` with no unit; write e.g. ${text}s` : ''}` };
      return { value: { text, typed: text } };
    case 'size': {
      const bytes = typeof raw === 'string' ? parseSize(text) : undefined;
      if (bytes === undefined || bytes <= 0) return { problem: `expected ${PACK_TYPE_EXPECTED.size}, ${found}${typeof raw === 'number' ? `; add a unit, e.g. ${text}MiB` : ''}` };
      return { value: { text, typed: text } };
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') return { problem: `expected ${PACK_TYPE_EXPECTED.boolean}, ${found}` };
      return { value: { text, typed: text === 'true' } };
  }
}

/** Why a parameter's pattern cannot be used, or undefined: it must compile and be anchored, so that it constrains the whole value. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length > PACK_LIMITS.patternChars) return `expected a pattern of at most ${PACK_LIMITS.patternChars} characters, found ${pattern.length}`;
  if (!pattern.startsWith('^') || !pattern.endsWith('$') || pattern.endsWith('\\$')) return `expected an anchored pattern (\`^...$\`), so that it constrains the whole value; found ${JSON.stringify(pattern)}`;
  try {
    new RegExp(pattern, 'u');
  } catch (err) {
    return `expected a regular expression: ${(err as Error).message}`;
  }
  return undefined;
}

/** "a number from 1 to 65535", "a number of at least 1", "a number of at most 100". */
function boundsText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `a number from ${min} to ${max}`;
  return min !== undefined ? `a number of at least ${min}` : `a number of at most ${String(max)}`;
}
