/** What a number measures. Comparisons and arithmetic check that both sides agree. */
export type Dimension = 'seconds' | 'bytes' | 'percent' | 'bytes_per_second' | 'count' | 'none';

export interface UnitInfo {
  readonly dimension: Dimension;
  /** Multiplier to the dimension's base unit (seconds, bytes, percent). */
  readonly factor: number;
  readonly description: string;
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
  KB: { dimension: 'bytes', factor: 1e3, description: 'kilobytes (1000 bytes)' },
  MB: { dimension: 'bytes', factor: 1e6, description: 'megabytes (1000² bytes)' },
  GB: { dimension: 'bytes', factor: 1e9, description: 'gigabytes (1000³ bytes)' },
  TB: { dimension: 'bytes', factor: 1e12, description: 'terabytes (1000⁴ bytes)' },
  PB: { dimension: 'bytes', factor: 1e15, description: 'petabytes (1000⁵ bytes)' },
  KiB: { dimension: 'bytes', factor: 1024, description: 'kibibytes (1024 bytes)' },
  MiB: { dimension: 'bytes', factor: 1024 ** 2, description: 'mebibytes (1024² bytes)' },
  GiB: { dimension: 'bytes', factor: 1024 ** 3, description: 'gibibytes (1024³ bytes)' },
  TiB: { dimension: 'bytes', factor: 1024 ** 4, description: 'tebibytes (1024⁴ bytes)' },
  PiB: { dimension: 'bytes', factor: 1024 ** 5, description: 'pebibytes (1024⁵ bytes)' },
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
