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
});
