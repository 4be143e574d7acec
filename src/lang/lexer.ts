import type { DiagnosticBag } from './diagnostics.js';
import { closest } from './suggest.js';
import type { Token, TokenKind } from './tokens.js';
import { KEYWORDS } from './tokens.js';
import { UNITS, UNIT_NAMES } from './units.js';

const OPERATORS: readonly (readonly [string, TokenKind])[] = [
  ['==', '=='],
  ['!=', '!='],
  ['=~', '=~'],
  ['!~', '!~'],
  ['>=', '>='],
  ['<=', '<='],
  ['|', '|'],
  ['(', '('],
  [')', ')'],
  ['[', '['],
  [']', ']'],
  ['{', '{'],
  ['}', '}'],
  [',', ','],
  ['=', '='],
  ['>', '>'],
  ['<', '<'],
  ['+', '+'],
  ['-', '-'],
  ['*', '*'],
  ['/', '/'],
];

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined) => c !== undefined && /[A-Za-z_]/.test(c);
const isIdentPart = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);

/**
 * Splits a statement into tokens. Never throws: bad input becomes a
 * diagnostic and the lexer carries on, so the parser can report more.
 */
export function lex(source: string, diagnostics: DiagnosticBag): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, extra?: { value?: string | number; unit?: string }) => {
    tokens.push({ kind, span: { start, end: i }, text: source.slice(start, i), ...extra });
  };

  while (i < source.length) {
    const c = source[i];
    const start = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      push('string', start, { value: readString(c) });
    } else if (c === '`') {
      push('command', start, { value: readCommand() });
    } else if (isDigit(c) || (c === '.' && isDigit(source[i + 1]))) {
      readNumber(start);
    } else if (isIdentStart(c)) {
      while (isIdentPart(source[i])) i++;
      const word = source.slice(start, i);
      push(KEYWORDS[word] ?? 'ident', start);
    } else {
      const op = OPERATORS.find(([text]) => source.startsWith(text, i));
      if (op) {
        i += op[0].length;
        push(op[1], start);
      } else {
        if (source.startsWith('&&', i)) i += 2;
        else i += String.fromCodePoint(source.codePointAt(i) ?? 0).length;
        const text = source.slice(start, i);
        const hint = c === '!' ? ' (use `not` to negate, `!=` or `!~` to compare)' : c === '&' ? ' (use `and`)' : '';
        const what = text === '&&' ? '`&&`' : `character \`${text}\``;
        diagnostics.error('BW_UNEXPECTED_CHARACTER', { start, end: i }, `unexpected ${what}${hint}`);
        push('invalid', start);
      }
    }
  }
  tokens.push({ kind: 'eof', span: { start: source.length, end: source.length }, text: '' });
  return tokens;

  function readString(quote: string): string {
    const start = i;
    let out = '';
    i++;
    while (i < source.length && source[i] !== quote && source[i] !== '\n') {
      const ch = source[i] as string;
      if (ch === '\\' && i + 1 < source.length && source[i + 1] !== '\n') {
        const next = source[i + 1] as string;
        // Unknown escapes stay as written so regexes like "\d+" read naturally.
        out += ESCAPES[next] ?? `\\${next}`;
        i += 2;
      } else {
        out += ch;
        i++;
      }
    }
    if (source[i] === quote) {
      i++;
    } else {
      diagnostics.error('BW_UNTERMINATED_STRING', { start, end: i }, `unterminated string: expected a closing ${quote} before the end of the line`);
    }
    return out;
  }

  function readCommand(): string {
    const start = i;
    let out = '';
    i++;
    while (i < source.length && source[i] !== '`') {
      if (source[i] === '\\' && source[i + 1] === '`') {
        out += '`';
        i += 2;
      } else {
        out += source[i];
        i++;
      }
    }
    if (source[i] === '`') {
      i++;
    } else {
      diagnostics.error('BW_UNTERMINATED_COMMAND', { start, end: i }, 'unterminated command: expected a closing ` (backtick)');
    }
    return out;
  }

  function readNumber(start: number): void {
    while (isDigit(source[i])) i++;
    if (source[i] === '.' && isDigit(source[i + 1])) {
      i++;
      while (isDigit(source[i])) i++;
    }
    if ((source[i] === 'e' || source[i] === 'E') && (isDigit(source[i + 1]) || (/[+-]/.test(source[i + 1] ?? '') && isDigit(source[i + 2])))) {
      i += 2;
      while (isDigit(source[i])) i++;
    }
    const numberEnd = i;
    const base = Number(source.slice(start, numberEnd));
    if (!Number.isFinite(base)) diagnostics.error('BW_BAD_NUMBER', { start, end: numberEnd }, `number \`${source.slice(start, Math.min(numberEnd, start + 24))}${numberEnd - start > 24 ? '...' : ''}\` is too large`);
    let unit: string | undefined;
    if (source[i] === '%') {
      unit = '%';
      i++;
    } else if (isIdentStart(source[i])) {
      while (isIdentPart(source[i])) i++;
      unit = source.slice(numberEnd, i);
    }
    if (isDigit(source[i]) || source[i] === '.') {
      while (isDigit(source[i]) || source[i] === '.') i++;
      diagnostics.error('BW_BAD_NUMBER', { start, end: i }, `malformed number \`${source.slice(start, i)}\``);
      push('number', start, { value: base });
      return;
    }
    if (unit === undefined) {
      push('number', start, { value: base });
      return;
    }
    const info = UNITS[unit];
    if (!info) {
      const suggestion = closest(unit, UNIT_NAMES);
      diagnostics.error(
        'BW_UNKNOWN_UNIT',
        { start: numberEnd, end: i },
        `unknown unit \`${unit}\`: expected a duration (ms, s, m, h, d, w), a size (B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB) or %` +
          (suggestion ? `; did you mean \`${suggestion}\`?` : ''),
        suggestion,
      );
      push('number', start, { value: base, unit });
      return;
    }
    const value = base * info.factor;
    if (Number.isFinite(base) && !Number.isFinite(value)) diagnostics.error('BW_BAD_NUMBER', { start, end: i }, `number \`${source.slice(start, i)}\` is too large`);
    push('number', start, { value, unit });
  }
}
