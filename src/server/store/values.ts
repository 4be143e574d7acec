/*
 * Checks on what is written, so that both back ends accept and reject the same values and what
 * comes back equals what went in:
 *  - Text: PostgreSQL cannot hold U+0000 in text or JSONB and rejects unpaired UTF-16 surrogates
 *    in JSONB (and both drivers would silently turn them into U+FFFD in text columns). SQLite
 *    would take or mangle them. Both are rejected everywhere, as STORE_INVALID.
 *  - JSON: only values JSON represents exactly: null, booleans, finite numbers, strings, arrays,
 *    plain objects. NaN/Infinity (JSON.stringify makes them null), bigint, functions, Dates,
 *    Maps, class instances (their prototype would be lost), `undefined` inside arrays (becomes
 *    null) and cycles are rejected. `undefined` object properties are left out, as JSON does.
 *    JSONB does not keep object key order; values round-trip as deep-equal, not key-order-equal.
 */
import { StoreError } from './errors.js';

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be stored, or undefined when it can. */
function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains U+0000 (NUL)';
  if (UNPAIRED_SURROGATE.test(value)) return 'contains an unpaired UTF-16 surrogate';
  return undefined;
}

/** Whether a string could have been stored: a lookup by a key that could not never matches (and
 *  PostgreSQL would reject the key outright, where SQLite finds nothing). */
export function isStorableText(value: string): boolean {
  return textProblem(value) === undefined;
}

/** Checks a text column value (null/undefined pass: NOT NULL is the schema's job). */
export function checkText(operation: string, field: string, value: unknown): void {
  if (typeof value !== 'string') return;
  const problem = textProblem(value);
  if (problem !== undefined) throw new StoreError('STORE_INVALID', operation, `${field} ${problem}`);
}

/** Checks every string property of a flat record (the text columns of a row). */
export function checkTexts(operation: string, record: object): void {
  for (const [field, value] of Object.entries(record)) checkText(operation, field, value);
}

function checkJson(operation: string, path: string, value: unknown, open: Set<object>): void {
  const bad = (why: string): never => {
    throw new StoreError('STORE_INVALID', operation, `${path} ${why}`);
  };
  switch (typeof value) {
    case 'string': {
      const problem = textProblem(value);
      if (problem !== undefined) bad(problem);
      return;
    }
    case 'number':
      if (!Number.isFinite(value)) bad(`is ${value}, which JSON cannot represent`);
      return;
    case 'boolean':
      return;
    case 'object': {
      if (value === null) return;
      if (open.has(value)) bad('is a cycle');
      open.add(value);
      if (Array.isArray(value)) {
        value.forEach((item: unknown, i) => {
          if (item === undefined) bad(`[${i}] is undefined (JSON would store null)`);
          checkJson(operation, `${path}[${i}]`, item, open);
        });
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          bad(`is not a plain object (${(value as object).constructor?.name ?? 'unknown class'})`);
        }
        for (const [key, item] of Object.entries(value)) {
          const problem = textProblem(key);
          if (problem !== undefined) bad(`has a key that ${problem}`);
          if (item === undefined) continue;
          checkJson(operation, `${path}.${key}`, item, open);
        }
      }
      open.delete(value);
      return;
    }
    default:
      bad(`is a ${typeof value}, which JSON cannot represent`);
  }
}

/** Validates a value for a JSON column and returns its JSON text. */
export function encodeJson(operation: string, field: string, value: unknown): string {
  if (value === undefined) throw new StoreError('STORE_INVALID', operation, `${field} is undefined`);
  checkJson(operation, field, value, new Set());
  return JSON.stringify(value);
}

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** The effective limit of a page: default 100, at most 1000. */
export function pageLimit(operation: string, limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new StoreError('STORE_INVALID', operation, `limit must be a non-negative integer, got ${limit}`);
  }
  return Math.min(limit, MAX_PAGE_LIMIT);
}

/** The `before` bound of a page as an integer (times are integers: `< 1.5` is `< 2`). */
export function pageBefore(operation: string, before: number | undefined): number | undefined {
  if (before === undefined) return undefined;
  if (!Number.isFinite(before)) {
    throw new StoreError('STORE_INVALID', operation, `before must be a finite number, got ${before}`);
  }
  return Math.ceil(before);
}

/** The `since` bound of a query (inclusive) as an integer (times are integers: `>= 1.5` is `>= 2`). */
export function sinceBound(operation: string, since: number | undefined): number | undefined {
  if (since === undefined) return undefined;
  if (!Number.isFinite(since)) {
    throw new StoreError('STORE_INVALID', operation, `since must be a finite number, got ${since}`);
  }
  return Math.ceil(since);
}

/** Checks a floating-point column value (null passes): SQLite would store NaN as null and
 *  PostgreSQL would keep it, so NaN and ±Infinity are rejected everywhere, as are non-numbers
 *  (which PostgreSQL would cast and SQLite might not). */
export function checkFiniteNumber(operation: string, field: string, value: unknown): void {
  if (value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StoreError('STORE_INVALID', operation, `${field} must be a finite number or null, got ${String(value)}`);
  }
}

/** Largest value of PostgreSQL's `integer` (SQLite's INTEGER is 64-bit). */
export const MAX_INT32 = 2 ** 31 - 1;

/** Checks a value for an `integer` column (null passes): an integer that PostgreSQL's 32-bit
 *  `integer` can hold, so that SQLite does not take what PostgreSQL refuses. */
export function checkInt32(operation: string, field: string, value: unknown): void {
  if (value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -MAX_INT32 - 1 || value > MAX_INT32) {
    throw new StoreError('STORE_INVALID', operation, `${field} must be a 32-bit integer or null, got ${String(value)}`);
  }
}

/** Checks a time (ms since the epoch) that a query compares with, where no column type would
 *  reject it in SQLite: an integer, as the time columns hold. */
export function checkTime(operation: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new StoreError('STORE_INVALID', operation, `${field} must be an integer time in ms, got ${String(value)}`);
  }
}

/** Decodes a JSON column as read: SQLite gives the text, pg has already parsed the JSONB. */
export type JsonReader = <T>(value: unknown) => T;

/** The JsonReader of a back end. */
export function jsonReader(dialect: 'sqlite' | 'postgres'): JsonReader {
  if (dialect === 'postgres') return <T>(value: unknown) => value as T;
  return <T>(value: unknown): T => {
    if (typeof value !== 'string') throw new Error(`expected JSON text from SQLite, got ${typeof value}`);
    return JSON.parse(value) as T;
  };
}

/**
 * A row as its record: each column under its name in camelCase, in the row's order (the order the
 * API's JSON shows the fields in), the columns in `jsonColumns` decoded by `json`. For the tables
 * whose record has exactly the row's columns; the store suite's round trips (every record written
 * and read back equal, on both back ends) check each such mapping.
 *
 * @example
 *   const agent = recordOf<AgentRecord>(json, row, ['tags', 'facts']); // { id, name, hostId, tags: {...}, ... }
 */
export function recordOf<R extends object>(json: JsonReader, row: object, jsonColumns: readonly string[]): R {
  const record: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    const field = column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    record[field] = jsonColumns.includes(column) ? json(value) : value;
  }
  return record as R;
}
