import type { DiagnosticBag, DiagnosticCode } from './diagnostics.js';
import type { Span } from './span.js';
import type { Token } from './tokens.js';
import { describeToken } from './tokens.js';

/**
 * The parser's position in the token list, and its one-message-per-stage
 * error reporting, shared by the pipeline and the expression parsers.
 */
export class TokenStream {
  pos = 0;
  /** After a parse error in a stage, stay quiet until the next stage: one mistake, one message. */
  stageFailed = false;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly diagnostics: DiagnosticBag,
  ) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)] as Token;
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  /** The token just consumed, if any. */
  previous(): Token | undefined {
    return this.tokens[this.pos - 1];
  }

  /** Consumes the closing token, or reports what was found instead; returns the span to cover. */
  expect(kind: ')' | ']' | '}', open: Token): Span {
    const t = this.peek();
    if (t.kind === kind) {
      this.pos++;
      return t.span;
    }
    const at = this.diagnostics.position(open.span.start);
    this.fail('BW_UNCLOSED', t.span, `expected \`${kind}\` to close the \`${open.text}\` at ${at.line}:${at.column}, found ${describeToken(t)}`);
    return this.previous()?.span ?? open.span;
  }

  fail(code: DiagnosticCode, at: Span, message: string): void {
    if (this.stageFailed) return;
    this.stageFailed = true;
    // The lexer already reported the character; a second message would say the same.
    if (this.peek().kind === 'invalid') return;
    this.diagnostics.error(code, at, message);
  }
}
