import { z } from 'zod/mini';
import { MAX_FRAME_BYTES } from './messages.js';

/*
 * Reading a frame against one of the protocol's schemas: every boundary (WebSocket, NATS, the
 * query stream) decodes with these, so a bad frame reads the same everywhere, as one line that
 * names the field and what was expected.
 */

export type Decoded<T> = { ok: true; message: T } | { ok: false; error: string };

/** Parses and validates one frame; the error says which field was wrong and how. */
export function decode<T>(schema: z.core.$ZodType<T>, frame: string): Decoded<T> {
  if (frame.length > MAX_FRAME_BYTES) return { ok: false, error: `frame of ${frame.length} characters exceeds the ${MAX_FRAME_BYTES}-byte limit` };
  let raw: unknown;
  try {
    raw = JSON.parse(frame);
  } catch (err) {
    return { ok: false, error: `frame is not JSON: ${(err as Error).message}` };
  }
  return check(schema, raw);
}

/**
 * Validates a value already parsed (a decoded message's nested part, such as a query's plan
 * phase); the error says which field was wrong and how.
 */
export function check<T>(schema: z.core.$ZodType<T>, raw: unknown): Decoded<T> {
  try {
    const parsed = z.safeParse(schema, raw);
    return parsed.success ? { ok: true, message: parsed.data } : { ok: false, error: describeIssues(parsed.error) };
  } catch (err) {
    // zod checks nested values (rows' JsonValue, the plan schema) recursively: a value nesting
    // arrays or objects some thousands deep overflows the stack. Refuse it; never crash the reader.
    if (err instanceof RangeError) return { ok: false, error: `nests arrays or objects too deeply to check (${err.message}); expected at most a few hundred levels` };
    throw err;
  }
}

/** "rows.0.status: expected one of ok|error|..., found 'fine'" — zod issues as one readable line. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => describeIssue(i))
    .join('; ');
}

/** One zod issue as `path: message`; `root` names an issue about the whole value. */
export function describeIssue(issue: z.core.$ZodIssue, root = '(message)'): string {
  // A bad record key carries its reason in a nested issue.
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return `${issue.path.length ? issue.path.join('.') : root}: ${message}`;
}
