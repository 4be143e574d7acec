import { describe, expect, it } from 'vitest';
import { DiagnosticBag } from './diagnostics.js';
import { lex } from './lexer.js';

function tokens(source: string) {
  const bag = new DiagnosticBag(source);
  const list = lex(source, bag);
  return { list, kinds: list.map((t) => t.kind), diagnostics: bag.toArray() };
}

describe('lex', () => {
  it('turns numbers with units into base units: seconds and bytes', () => {
    const { list } = tokens('500ms 30s 5m 2h 1d 512KB 2GB 2GiB 80%');
    expect(list.slice(0, -1).map((t) => [t.value, t.unit])).toEqual([
      [0.5, 'ms'],
      [30, 's'],
      [300, 'm'],
      [7200, 'h'],
      [86400, 'd'],
      [512_000, 'KB'],
      [2e9, 'GB'],
      [2 * 1024 ** 3, 'GiB'],
      [80, '%'],
    ]);
  });

  it('reads keywords, operators and the three quoting forms', () => {
    const { kinds, list } = tokens(`not x in ['a', "b"] and y =~ "^w\\d+" | \`echo \\\` hi\``);
    expect(kinds).toEqual(['not', 'ident', 'in', '[', 'string', ',', 'string', ']', 'and', 'ident', '=~', 'string', '|', 'command', 'eof']);
    expect(list[11]?.value).toBe('^w\\d+');
    expect(list[13]?.value).toBe('echo ` hi');
  });

  it('skips comments to the end of the line', () => {
    expect(tokens('host # all of them\n| count').kinds).toEqual(['ident', '|', 'ident', 'eof']);
  });

  it('reports an unknown unit with the likely one', () => {
    const { diagnostics } = tokens('2gb');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'BW_UNKNOWN_UNIT', suggestion: 'GB', location: { start: 1, end: 3 } });
  });

  it('reports unterminated strings and commands and keeps going', () => {
    const { diagnostics, kinds } = tokens('"abc\n`ls');
    expect(diagnostics.map((d) => d.code)).toEqual(['BW_UNTERMINATED_STRING', 'BW_UNTERMINATED_COMMAND']);
    expect(kinds).toEqual(['string', 'command', 'eof']);
  });

  it('names the operator to use for a stray ! or &', () => {
    const { diagnostics } = tokens('a & b ! c');
    expect(diagnostics.map((d) => d.message)).toEqual(['unexpected character `&` (use `and`)', 'unexpected character `!` (use `not` to negate, `!=` or `!~` to compare)']);
  });
});
