import type { Span } from './span.js';

export type TokenKind =
  | 'ident'
  | 'number'
  | 'string'
  | 'command'
  | 'and'
  | 'or'
  | 'not'
  | 'in'
  | 'true'
  | 'false'
  | '|'
  | '('
  | ')'
  | '['
  | ']'
  | '{'
  | '}'
  | ','
  | '='
  | '=='
  | '!='
  | '=~'
  | '!~'
  | '>'
  | '>='
  | '<'
  | '<='
  | '+'
  | '-'
  | '*'
  | '/'
  /** Characters that start no token; already reported by the lexer. */
  | 'invalid'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly span: Span;
  /** The token's source text. */
  readonly text: string;
  /** Decoded value: string contents, command text, or the number in base units. */
  readonly value?: string | number;
  /** For numbers: the unit suffix as written (`5m` -> `m`). */
  readonly unit?: string;
}

export const KEYWORDS: Readonly<Record<string, TokenKind>> = {
  and: 'and',
  or: 'or',
  not: 'not',
  in: 'in',
  true: 'true',
  false: 'false',
};

/** How a token kind reads in "expected X, found Y" messages. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the statement';
    case 'ident':
      return `\`${t.text}\``;
    case 'number':
      return `the number ${t.text}`;
    case 'string':
      return `the string ${t.text}`;
    case 'command':
      return 'a command';
    default:
      return `\`${t.text}\``;
  }
}
