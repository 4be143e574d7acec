/** ANSI styling for people; plain text for pipes, files and whoever set NO_COLOR (see styleFor). */
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

/**
 * Colour for a stream: never when NO_COLOR is set to anything but the empty string (no-color.org:
 * it wins over FORCE_COLOR too, since it is the reader's own wish); always with FORCE_COLOR (not
 * `0`); otherwise on a terminal that is not TERM=dumb.
 *
 * @example
 * styleFor(process.stderr, { NO_COLOR: '1', FORCE_COLOR: '1' }).red('error') // 'error', no escape codes
 */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return PLAIN;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return COLOURED;
  return stream.isTTY === true && env.TERM !== 'dumb' ? COLOURED : PLAIN;
}
