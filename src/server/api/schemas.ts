import { z } from 'zod';

/** A name of an agent, token, runbook or host: letters, digits, `.`, `_`, `-`, `@`. */
export const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/, 'expected a name of letters, digits, `.`, `_`, `-`, `@`');

/** Path parameters of a route on one record by its id (`/api/v1/runs/:id`). */
export const IdParam = z.object({ id: z.string().min(1) });

/** A page of a list, newest first: at most `limit` entries, older than `before` (a time or id the list names). */
export const Page = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  before: z.coerce.number().int().optional(),
});

/** A substring filter (`?text=`): a search box's text, bounded (the store scans rows with it). */
export const TextFilter = z.string().max(200, 'expected at most 200 characters').optional();

/** The store's page from a parsed `Page` query: absent bounds stay absent, not `undefined`. */
export function pageOf(q: { limit?: number | undefined; before?: number | undefined }): { limit?: number; before?: number } {
  return { ...(q.limit ? { limit: q.limit } : {}), ...(q.before ? { before: q.before } : {}) };
}

/** A statement in the query language, as the query, check and runbook routes take it. */
export const Statement = z.string().min(1, 'the statement is empty').max(64 * 1024, 'the statement is longer than 64 KiB');
