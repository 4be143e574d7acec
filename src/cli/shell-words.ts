/**
 * The word under the cursor as a shell hands it to completion, quotes and all (`'host | ro`), and
 * back: the statement it holds, and a candidate statement written the way that shell expects it.
 * bash replaces only what follows an opening quote, so its candidates are the rest of the word
 * escaped for that quote; zsh and fish quote candidates themselves, so theirs are plain text.
 *
 * @example
 * shellWord('"host | role = \\"w').text; // host | role = "w
 * shellWord('"host | role = \\"w').requote('host | role = "web"', 'bash'); // host | role = \"web\"
 */
export type Quoting = 'bash' | 'plain';

export interface ShellWord {
  /** What the word says once the shell's quoting is taken off. */
  readonly text: string;
  /** `value` as the rest of this word for the shell; undefined when it cannot be written in this quoting. */
  requote(value: string, quoting: Quoting): string | undefined;
}

export function shellWord(raw: string): ShellWord {
  const quote = raw.startsWith("'") || raw.startsWith('"') ? raw[0] : '';
  const body = quote ? raw.slice(1) : raw;
  const text = quote === "'" ? body : quote === '"' ? body.replace(/\\([\\"$`])/g, '$1') : body.replace(/\\(.)/gs, '$1');
  return {
    text,
    requote(value, quoting) {
      if (quoting === 'plain') return value;
      if (quote === "'") return value.includes("'") ? undefined : value;
      if (quote === '"') return value.replace(/[\\"$`]/g, '\\$&');
      return value.replace(/[^\w\-./:@%+,]/g, '\\$&');
    },
  };
}

/**
 * A command line up to the cursor split as the shell splits it: the finished words without their
 * quoting, and the word under the cursor as typed (`''` after a space). bash's own COMP_WORDS also
 * breaks at `=` and `:` (`--server=https://h:7070` is five words there), so its script sends the
 * line itself.
 *
 * @example
 * splitLine(`breakwater run --ca "/my ca.pem" 'host | ro`); // { words: ['breakwater', 'run', '--ca', '/my ca.pem'], current: "'host | ro" }
 */
export function splitLine(line: string): { words: string[]; current: string } {
  const words: string[] = [];
  let text = '';
  let raw = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? '';
    if (quote === undefined && /\s/.test(ch)) {
      if (raw) words.push(text);
      text = raw = '';
      continue;
    }
    raw += ch;
    if (ch === quote) quote = undefined;
    else if (quote === undefined && (ch === "'" || ch === '"')) quote = ch;
    else if (ch === '\\' && quote !== "'" && i + 1 < line.length && (quote === undefined || /[\\"$`]/.test(line[i + 1] ?? ''))) {
      raw += line[++i];
      text += line[i];
    } else text += ch;
  }
  return { words, current: raw };
}
