import type { Point } from './evaluate.js';

/*
 * The predictive and anomaly range functions (deriv, predict_linear, zscore, holt_winters), apart
 * from evaluate.ts for size. Pure arithmetic over one window of samples, oldest first, shared by
 * live queries, alarms and back-tests (all of them evaluate through evaluate.ts).
 *
 * Numerics: times are epoch milliseconds (~1.7e12) and their squares would lose every digit that
 * matters, so the fit works on seconds since the window's first sample, centred on their mean (the
 * two-pass form): a series that is exactly linear gives its slope to the last bit or two.
 */

/** A least-squares line through a window: `slope` per second, `value` at the newest sample's time. */
export interface LinearFit {
  /** Change per second. */
  readonly slope: number;
  /** The line's value at the newest sample's time. */
  readonly value: number;
}

/**
 * The least-squares line through the samples; undefined with fewer than two distinct times.
 *
 * @example
 * linearFit([{ time: 0, value: 1 }, { time: 1000, value: 3 }]) // { slope: 2, value: 3 }
 */
export function linearFit(series: readonly Point[]): LinearFit | undefined {
  const n = series.length;
  const first = series[0];
  const newest = series[n - 1];
  if (!first || !newest || n < 2) return undefined;
  let sumX = 0;
  let sumY = 0;
  for (const p of series) {
    sumX += (p.time - first.time) / 1000;
    sumY += p.value;
  }
  const meanX = sumX / n;
  const meanY = sumY / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of series) {
    const dx = (p.time - first.time) / 1000 - meanX;
    sxx += dx * dx;
    sxy += dx * (p.value - meanY);
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  const newestX = (newest.time - first.time) / 1000;
  return { slope, value: meanY + slope * (newestX - meanX) };
}

/**
 * Per-second slope of the least-squares line through the window (PromQL's `deriv`); null with
 * fewer than two samples.
 *
 * @example
 * deriv([{ time: 0, value: 10 }, { time: 2000, value: 14 }]) // 2
 */
export function deriv(series: readonly Point[]): number | null {
  return linearFit(series)?.slope ?? null;
}

/**
 * The least-squares line's value `horizonSeconds` after the newest sample (PromQL's
 * `predict_linear`, anchored at the newest sample rather than the evaluation time); null with
 * fewer than two samples.
 *
 * @example
 * predictLinear([{ time: 0, value: 10 }, { time: 2000, value: 14 }], 60) // 134
 */
export function predictLinear(series: readonly Point[], horizonSeconds: number): number | null {
  const fit = linearFit(series);
  if (!fit || !Number.isFinite(horizonSeconds)) return null;
  return fit.value + fit.slope * horizonSeconds;
}

/**
 * How many standard deviations (population, as `stddev`) the newest sample lies from the window's
 * mean. A constant window has no spread to scale by and its newest sample is the mean: 0. Null
 * with fewer than two samples.
 *
 * @example
 * zscore([1, 1, 1, 5]) // (5 - 2) / sqrt(3) ≈ 1.732
 */
export function zscore(xs: readonly number[]): number | null {
  const newest = xs[xs.length - 1];
  if (newest === undefined || xs.length < 2) return null;
  // Checked on the samples, not on the deviation: rounding can leave a constant series a deviation of 1e-17.
  if (xs.every((x) => x === newest)) return 0;
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / xs.length;
  let squares = 0;
  for (const x of xs) squares += (x - mean) ** 2;
  const sd = Math.sqrt(squares / xs.length);
  return sd === 0 ? 0 : (newest - mean) / sd;
}

/**
 * Double exponential smoothing (PromQL's `holt_winters`, since renamed `double_exponential_smoothing`):
 * the smoothed value at the newest sample, with smoothing factor `sf` and trend factor `tf`, each
 * from 0 to 1 (1 follows the newest sample or change wholly, 0 keeps the first). Null with fewer
 * than two samples or a factor outside 0..1.
 *
 * @example
 * holtWinters([1, 2, 3, 4], 0.5, 0.5) // 4: a straight line is followed exactly
 */
export function holtWinters(xs: readonly number[], sf: number, tf: number): number | null {
  if (xs.length < 2 || !(sf >= 0 && sf <= 1) || !(tf >= 0 && tf <= 1)) return null;
  let previous = 0;
  let smoothed = xs[0] as number;
  let trend = (xs[1] as number) - smoothed;
  for (let i = 1; i < xs.length; i++) {
    if (i > 1) trend = tf * (smoothed - previous) + (1 - tf) * trend;
    const next = sf * (xs[i] as number) + (1 - sf) * (smoothed + trend);
    previous = smoothed;
    smoothed = next;
  }
  return smoothed;
}
