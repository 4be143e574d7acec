import { z } from 'zod';

/** A name of an agent, token, runbook or host: letters, digits, `.`, `_`, `-`, `@`. */
export const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/, 'expected a name of letters, digits, `.`, `_`, `-`, `@`');
