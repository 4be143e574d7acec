import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellWord, splitLine } from './shell-words.js';

describe('shellWord', () => {
  it('takes the shell quoting off the word under the cursor', () => {
    expect(shellWord("'host | role = \"w").text).toBe('host | role = "w');
    expect(shellWord('"host | role = \\"w').text).toBe('host | role = "w');
    expect(shellWord('ho\\ st').text).toBe('ho st');
    expect(shellWord('').text).toBe('');
  });

  it('writes a candidate back as the rest of the word for bash, plain for zsh and fish', () => {
    expect(shellWord('"host | role = \\"w').requote('host | role = "web"', 'bash')).toBe('host | role = \\"web\\"');
    expect(shellWord("'host | role = \"w").requote('host | role = "web"', 'bash')).toBe('host | role = "web"');
    expect(shellWord('"host').requote('host | role = "web"', 'plain')).toBe('host | role = "web"');
    expect(shellWord('ho').requote('host $x', 'bash')).toBe('host\\ \\$x');
  });

  it("offers nothing a single-quoted word cannot hold (a ' inside it)", () => {
    expect(shellWord("'host | team = \"").requote("host | team = \"it's\"", 'bash')).toBeUndefined();
  });

  it('round-trips any text through each quoting bash may have opened', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.constantFrom('', '"', "'"), (text, quote) => {
        const written = shellWord(quote).requote(text, 'bash');
        if (written === undefined) expect(quote === "'" && text.includes("'")).toBe(true);
        else expect(shellWord(`${quote}${written}`).text).toBe(text);
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});

describe('splitLine', () => {
  it('splits at spaces outside quotes; finished words lose their quoting, the current one keeps it', () => {
    expect(splitLine(`breakwater run --ca "/my ca.pem" --server=https://h:7070 'host | ro`)).toEqual({ words: ['breakwater', 'run', '--ca', '/my ca.pem', '--server=https://h:7070'], current: "'host | ro" });
    expect(splitLine('breakwater  run ')).toEqual({ words: ['breakwater', 'run'], current: '' });
    expect(splitLine('breakwater a\\ b "x\\"y" \'it\'\\\'s\'')).toEqual({ words: ['breakwater', 'a b', 'x"y'], current: "'it'\\'s'" });
  });

  it('any line: the words and the current word are what bash would read back', () => {
    const word = fc.oneof(fc.stringMatching(/^[\w|=.:-]{1,8}$/), fc.string({ maxLength: 8 }).map((s) => `'${s.replace(/'/g, '')}'`), fc.string({ maxLength: 8 }).map((s) => `"${s.replace(/[\\"$`]/g, '\\$&')}"`));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), (ws) => {
        const { words, current } = splitLine(`${ws.join(' ')} `);
        expect(current).toBe('');
        expect(words).toEqual(ws.map((w) => shellWord(w.endsWith("'") || (w.endsWith('"') && w.length > 1) ? w.slice(0, -1) : w).text));
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});

