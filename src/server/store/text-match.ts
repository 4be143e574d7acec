/*
 * Substring filters ("find rows mentioning `disk`"): one text matched, case-insensitively, against
 * several columns with LIKE. The same SQL on SQLite and PostgreSQL: `lower()` on both sides (SQLite
 * folds ASCII letters only, PostgreSQL all of Unicode), and the text's own `%`, `_` and `\` escaped
 * so they match themselves rather than act as wildcards.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { StoreError } from './errors.js';
import { isStorableText } from './values.js';

/** The longest substring filter: a search box's text, not a document (LIKE scans each row with it). */
export const MAX_TEXT_FILTER = 200;

/** A LIKE pattern matching values that contain `text`, with LIKE's wildcards and escape escaped. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Whether a substring filter can match anything: too long is the caller's mistake (STORE_INVALID);
 * text no row could hold (NUL, unpaired surrogates) matches nothing, as the exact filters do.
 */
export function usableTextFilter(operation: string, text: string | undefined): boolean {
  if (text === undefined) return true;
  if (text.length > MAX_TEXT_FILTER) throw new StoreError('STORE_INVALID', operation, `the text filter is longer than ${MAX_TEXT_FILTER} characters`);
  return isStorableText(text);
}

/** A WHERE condition: one of `columns` contains `text`, ignoring case. */
export function anyColumnContains<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, columns: readonly string[], text: string): Expression<SqlBool> {
  const pattern = containsPattern(text);
  return eb.or(columns.map((c) => sql<SqlBool>`lower(${sql.ref(c)}) like lower(${pattern}) escape ${'\\'}`));
}
