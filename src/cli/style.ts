/** ANSI styling, on only when the stream is a terminal and NO_COLOR is unset (no-color.org). */
export interface Style {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

const COLOURED: Style = {
  red: wrap(31, 39),
  yellow: wrap(33, 39),
  green: wrap(32, 39),
  cyan: wrap(36, 39),
  bold: wrap(1, 22),
  dim: wrap(2, 22),
};

const PLAIN: Style = { red: (s) => s, yellow: (s) => s, green: (s) => s, cyan: (s) => s, bold: (s) => s, dim: (s) => s };

export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  return forced || (stream.isTTY === true && env.NO_COLOR === undefined) ? COLOURED : PLAIN;
}
