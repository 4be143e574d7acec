import type { z } from 'zod/mini';
import { BreakwaterError } from './errors.js';
import { check } from './decode.js';
import { MAX_FRAME_BYTES } from './messages.js';
import type { QueryLine } from './query-stream.js';
import { QUERY_LINE_TYPES, QueryLineShape } from './query-stream.js';

/**
 * The longest line the reader holds. A row line carries one row an agent sent in one frame (at
 * most MAX_FRAME_BYTES); the line's envelope and redaction lengthen it by far less than that.
 */
export const MAX_QUERY_LINE_CHARS = 2 * MAX_FRAME_BYTES;

/** How much of a bad line an error quotes. */
const QUOTE_CHARS = 80;

/**
 * Reads the query answer (NDJSON) from text chunks split anywhere, line by line, into checked
 * lines. Pure: the caller feeds chunks and gets lines back. A line that is not JSON, not a known
 * line type, malformed, or longer than `maxLineChars` is a BreakwaterError (BW_ERR_PROTOCOL)
 * naming its 1-based line number; the reader then refuses everything after it. Blank lines are
 * skipped. It never holds more than `maxLineChars` characters of an unfinished line.
 *
 * @example
 * const reader = new QueryStreamReader(PlanSchema);
 * for (const chunk of chunks) for (const line of reader.push(chunk)) show(line);
 * for (const line of reader.end()) show(line);
 */
export class QueryStreamReader<P> {
  #partial = '';
  #line = 0;
  #failure: BreakwaterError | undefined;

  constructor(
    private readonly planSchema: z.core.$ZodType<P>,
    private readonly maxLineChars = MAX_QUERY_LINE_CHARS,
  ) {}

  /** The complete lines this chunk ends, in order; an unfinished last line waits for the next chunk. */
  *push(chunk: string): Generator<QueryLine<P>> {
    this.#refuseAfterFailure();
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      const text = this.#take(chunk.slice(start, nl));
      this.#line += 1;
      start = nl + 1;
      const line = this.#parse(text);
      if (line) yield line;
    }
    this.#partial = this.#take(chunk.slice(start));
  }

  /** The last line, when the answer did not end with a newline. */
  *end(): Generator<QueryLine<P>> {
    this.#refuseAfterFailure();
    if (this.#partial === '') return;
    this.#line += 1;
    const line = this.#parse(this.#partial);
    this.#partial = '';
    if (line) yield line;
  }

  /** The unfinished line (the next one) with `more` appended, refused once it is longer than the limit. */
  #take(more: string): string {
    if (this.#partial.length + more.length > this.maxLineChars) {
      this.#partial = '';
      throw this.#fail(this.#line + 1, `line ${this.#line + 1} of the query answer is longer than ${this.maxLineChars} characters, the most a reader holds`);
    }
    const text = this.#partial + more;
    this.#partial = '';
    return text;
  }

  #parse(text: string): QueryLine<P> | undefined {
    const trimmed = text.trim();
    if (trimmed === '') return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch (err) {
      throw this.#fail(this.#line, `line ${this.#line} of the query answer is not JSON (${(err as Error).message}): ${quote(trimmed)}`, err);
    }
    const type = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as { type?: unknown }).type : undefined;
    if (!QUERY_LINE_TYPES.some((t) => t === type)) {
      throw this.#fail(this.#line, `line ${this.#line} of the query answer has type ${quote(JSON.stringify(type) ?? 'none')}; expected one of ${QUERY_LINE_TYPES.join(', ')}`);
    }
    const line = check(QueryLineShape, raw);
    if (!line.ok) throw this.#fail(this.#line, `line ${this.#line} of the query answer is not a valid ${String(type)} line: ${line.error}`);
    if (line.message.type === 'plan') {
      const plan = check(this.planSchema, line.message.plan);
      if (!plan.ok) throw this.#fail(this.#line, `line ${this.#line} of the query answer carries a plan this reader cannot read: ${plan.error}`);
    }
    // The line as sent, not zod's copy: the schemas transform nothing, and the copy would reorder
    // keys and drop any field a newer server adds, which `breakwater run --json` passes on as is.
    return raw as QueryLine<P>;
  }

  #fail(line: number, message: string, cause?: unknown): BreakwaterError {
    this.#failure = new BreakwaterError('BW_ERR_PROTOCOL', message, { line }, cause === undefined ? undefined : { cause });
    return this.#failure;
  }

  #refuseAfterFailure(): void {
    if (this.#failure) throw this.#failure;
  }
}

/**
 * Reads a whole query answer from its text chunks (a response body, decoded).
 *
 * @example
 * for await (const line of readQueryStream(textChunks(res.body), PlanSchema)) if (line.type === 'row') rows.push(line.row);
 */
export async function* readQueryStream<P>(chunks: AsyncIterable<string> | Iterable<string>, planSchema: z.core.$ZodType<P>, maxLineChars?: number): AsyncGenerator<QueryLine<P>> {
  const reader = new QueryStreamReader(planSchema, maxLineChars);
  for await (const chunk of chunks) yield* reader.push(chunk);
  yield* reader.end();
}

function quote(text: string): string {
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
}
