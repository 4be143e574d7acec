/** What a number measures. Comparisons and arithmetic check that both sides agree. */
export type Dimension = 'seconds' | 'bytes' | 'percent' | 'bytes_per_second' | 'count' | 'none';

export interface UnitInfo {
  readonly dimension: Dimension;
  /** Multiplier to the dimension's base unit (seconds, bytes, percent). */
  readonly factor: number;
  readonly description: string;
}

/** Size prefixes by power: K is the first power, of 1000 (KB) or 1024 (KiB). */
const SIZE_PREFIXES = [
  { letter: 'K', si: 'kilo', iec: 'kibi' },
  { letter: 'M', si: 'mega', iec: 'mebi' },
  { letter: 'G', si: 'giga', iec: 'gibi' },
  { letter: 'T', si: 'tera', iec: 'tebi' },
  { letter: 'P', si: 'peta', iec: 'pebi' },
] as const;

const SUPERSCRIPTS = ['', '', '²', '³', '⁴', '⁵'];

/** KB … PB (powers of 1000), then KiB … PiB (powers of 1024), described as `megabytes (1000² bytes)`. */
function sizeUnits(): Record<string, UnitInfo> {
  const units: Record<string, UnitInfo> = {};
  for (const [base, suffix, name] of [
    [1000, 'B', 'si'],
    [1024, 'iB', 'iec'],
  ] as const) {
    SIZE_PREFIXES.forEach((prefix, i) => {
      const power = i + 1;
      units[prefix.letter + suffix] = { dimension: 'bytes', factor: base ** power, description: `${prefix[name]}bytes (${base}${SUPERSCRIPTS[power]} bytes)` };
    });
  }
  return units;
}

/**
 * Literal suffixes. Sizes follow the SI/IEC split operators know from `df -H`
 * and `df -h`: KB is 1000 bytes, KiB is 1024.
 */
export const UNITS: Readonly<Record<string, UnitInfo>> = {
  ms: { dimension: 'seconds', factor: 0.001, description: 'milliseconds' },
  s: { dimension: 'seconds', factor: 1, description: 'seconds' },
  m: { dimension: 'seconds', factor: 60, description: 'minutes' },
  h: { dimension: 'seconds', factor: 3600, description: 'hours' },
  d: { dimension: 'seconds', factor: 86400, description: 'days' },
  w: { dimension: 'seconds', factor: 604800, description: 'weeks' },
  B: { dimension: 'bytes', factor: 1, description: 'bytes' },
  ...sizeUnits(),
  '%': { dimension: 'percent', factor: 1, description: 'percent (0–100)' },
};

export const UNIT_NAMES: readonly string[] = Object.keys(UNITS);

/** Human names of dimensions, for messages like "bytes compared with a duration". */
export const DIMENSION_NAMES: Readonly<Record<Dimension, string>> = {
  seconds: 'a duration',
  bytes: 'a size in bytes',
  percent: 'a percentage',
  bytes_per_second: 'a rate in bytes per second',
  count: 'a count',
  none: 'a plain number',
};

/**
 * Whether values of two dimensions may be compared or added. Plain numbers
 * mix with anything (`cpu_usage > 80`); a count does not mix with a size.
 */
export function compatible(a: Dimension, b: Dimension): boolean {
  if (a === b || a === 'none' || b === 'none') return true;
  // A size compared with a rate reads as "per second": `net_rx_bytes_rate > 100MB`.
  const sizes: ReadonlySet<Dimension> = new Set(['bytes', 'bytes_per_second']);
  return sizes.has(a) && sizes.has(b);
}

/**
 * Parses a duration as written in the language, flags and definition files
 * (`500ms`, `30s`, `5m`, `1.5h`, `1d`, `1w`) into seconds; undefined when it is
 * not one, or too long to be a number (JSON would carry it as null). The one
 * place durations are parsed.
 *
 * @example
 * parseDuration('5m') // 300
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = UNITS[m[2] as string];
  const seconds = unit ? Number(m[1]) * unit.factor : NaN;
  return Number.isFinite(seconds) ? seconds : undefined;
}

/**
 * Parses a size as written in definition files and flags (`512KB`, `1MiB`,
 * `1.5GB`, `100B`) into whole bytes; undefined when it is not one (no unit, an
 * unknown unit, a negative number, or a fraction of a byte). Units as in the
 * language: KB is 1000 bytes, KiB is 1024.
 *
 * @example
 * parseSize('1MiB') // 1048576
 */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(B|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|PiB)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = UNITS[m[2] as string];
  if (!unit) return undefined;
  const bytes = Number(m[1]) * unit.factor;
  const whole = Math.round(bytes);
  return Math.abs(bytes - whole) < 1e-6 && Number.isSafeInteger(whole) ? whole : undefined;
}
