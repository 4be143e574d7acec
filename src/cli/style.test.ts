import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { styleFor } from './style.js';

const ESC = '\u001b[';
const paint = (style: ReturnType<typeof styleFor>) => [style.red('a'), style.yellow('b'), style.green('c'), style.cyan('d'), style.bold('e'), style.dim('f')].join('');

describe('styleFor', () => {
  it('colours a terminal, and nothing else unless forced', () => {
    expect(paint(styleFor({ isTTY: true }, {}))).toContain(ESC);
    expect(paint(styleFor({ isTTY: false }, {}))).toBe('abcdef');
    expect(paint(styleFor({}, { FORCE_COLOR: '1' }))).toContain(ESC);
    expect(paint(styleFor({}, { FORCE_COLOR: '0' }))).toBe('abcdef');
    expect(paint(styleFor({ isTTY: true }, { TERM: 'dumb' }))).toBe('abcdef');
  });

  it('honours NO_COLOR on a terminal and over FORCE_COLOR (no-color.org); an empty NO_COLOR is unset', () => {
    expect(paint(styleFor({ isTTY: true }, { NO_COLOR: '1' }))).toBe('abcdef');
    expect(paint(styleFor({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' }))).toBe('abcdef');
    expect(paint(styleFor({ isTTY: true }, { NO_COLOR: '' }))).toContain(ESC);
  });

  it('never writes an escape code when NO_COLOR is set to anything, whatever else the environment says', () => {
    const env = fc.record(
      { NO_COLOR: fc.string({ minLength: 1 }), FORCE_COLOR: fc.constantFrom('0', '1', '2', '3', 'true', ''), TERM: fc.constantFrom('xterm-256color', 'dumb', '') },
      { requiredKeys: ['NO_COLOR'] },
    );
    fc.assert(
      fc.property(env, fc.boolean(), fc.string(), (e, isTTY, text) => {
        const style = styleFor({ isTTY }, e);
        expect(style.red(text) + style.bold(text) + style.dim(text)).toBe(text + text + text);
      }),
      { seed: 12, numRuns: 500 },
    );
  });
});
