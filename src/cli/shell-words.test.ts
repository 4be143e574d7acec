import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellWord } from './shell-words.js';

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
