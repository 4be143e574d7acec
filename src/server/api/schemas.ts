import { z } from 'zod';

/** A name of an agent, token, runbook or host: letters, digits, `.`, `_`, `-`, `@`. */
export const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/, 'expected a name of letters, digits, `.`, `_`, `-`, `@`');

/** A statement in the query language, as the query, check and runbook routes take it. */
export const Statement = z.string().min(1, 'the statement is empty').max(64 * 1024, 'the statement is longer than 64 KiB');
