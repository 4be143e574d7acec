import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriv, holtWinters, linearFit, predictLinear, zscore } from './evaluate-trends.js';
import type { Point } from './evaluate.js';
import { evaluateSync, rangeFunction } from './evaluate.js';
import type { EvalContext } from './evaluate.js';
import type { PlanExpr } from './plan.js';

/** A realistic epoch in ms: large enough that naive sums of squared times would lose the answer. */
const T0 = 1_780_000_000_000;
const at = (second: number, value: number): Point => ({ time: T0 + second * 1000, value });

describe('deriv and predict_linear: least squares over the window', () => {
  it('fits by hand-computed values, with gaps in the samples', () => {
    // Seconds 0, 1, 4 (2 and 3 missing) with values 1, 3, 4: mean x 5/3, mean y 8/3,
    // Sxx = 26/3, Sxy = 17/3: slope 17/26 per second; at second 4: 8/3 + 17/26 * 7/3.
    const series = [at(0, 1), at(1, 3), at(4, 4)];
    expect(deriv(series)).toBeCloseTo(17 / 26, 12);
    const fitted = 8 / 3 + (17 / 26) * (7 / 3);
    expect(linearFit(series)?.value).toBeCloseTo(fitted, 12);
    expect(predictLinear(series, 60)).toBeCloseTo(fitted + (17 / 26) * 60, 10);
    expect(predictLinear(series, 0)).toBeCloseTo(fitted, 12);
  });

  it('a constant series has slope 0 and predicts itself', () => {
    const series = [at(0, 0.1), at(1, 0.1), at(2, 0.1), at(3, 0.1)];
    expect(deriv(series)).toBeCloseTo(0, 15);
    expect(predictLinear(series, 3600)).toBeCloseTo(0.1, 12);
  });

  it('fewer than two samples give no value', () => {
    expect(deriv([])).toBeNull();
    expect(deriv([at(0, 5)])).toBeNull();
    expect(predictLinear([at(0, 5)], 60)).toBeNull();
    expect(predictLinear([], 60)).toBeNull();
  });

  it('sub-second sample times count in seconds (a 250 ms alarm tick)', () => {
    const series = [0, 250, 500, 750].map((ms) => ({ time: T0 + ms, value: ms / 1000 }));
    expect(deriv(series)).toBeCloseTo(1, 12);
  });

  it('a perfectly linear series gives its slope and extrapolation, at real epoch times (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 600 }),
        fc.integer({ min: -1000, max: 1000 }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.integer({ min: 0, max: 86_400 }),
        fc.array(fc.boolean(), { minLength: 600, maxLength: 600 }),
        (n, slopeTenths, intercept, horizon, gaps) => {
          const slope = slopeTenths / 10;
          // Some seconds missing (gaps), but always the first and the newest.
          const seconds = Array.from({ length: n }, (_, i) => i).filter((i) => i === 0 || i === n - 1 || !gaps[i]);
          const series = seconds.map((s) => at(s, intercept + slope * s));
          const tolerance = 1e-9 * (Math.abs(intercept) + Math.abs(slope) * (n + horizon) + 1);
          expect(Math.abs((deriv(series) as number) - slope)).toBeLessThanOrEqual(1e-9 * (Math.abs(slope) + Math.abs(intercept) + 1));
          const expected = intercept + slope * (n - 1 + horizon);
          expect(Math.abs((predictLinear(series, horizon) as number) - expected)).toBeLessThanOrEqual(tolerance);
        },
      ),
      { seed: 16, numRuns: 300 },
    );
  });
});

describe('zscore: the newest sample against the window', () => {
  it('by hand: 1, 1, 1, 5 has mean 2 and deviation sqrt(3)', () => {
    expect(zscore([1, 1, 1, 5])).toBeCloseTo(3 / Math.sqrt(3), 12);
    expect(zscore([5, 1, 1, 1])).toBeCloseTo(-1 / Math.sqrt(3), 12);
  });

  it('a constant window is 0 (no spread; the newest sample is the mean), even where rounding leaves a tiny deviation', () => {
    expect(zscore([7, 7, 7])).toBe(0);
    expect(zscore(Array.from({ length: 10 }, () => 0.1))).toBe(0);
  });

  it('fewer than two samples give no value', () => {
    expect(zscore([])).toBeNull();
    expect(zscore([3])).toBeNull();
  });
});

describe('holt_winters: double exponential smoothing as PromQL computes it', () => {
  it('by hand: 1, 2, 4 with sf 0.5 and tf 0.5', () => {
    // s=1, b=1; i=1: s = 0.5*2 + 0.5*(1+1) = 2; i=2: b = 0.5*(2-1) + 0.5*1 = 1, s = 0.5*4 + 0.5*(2+1) = 3.5.
    expect(holtWinters([1, 2, 4], 0.5, 0.5)).toBeCloseTo(3.5, 12);
  });

  it('follows a straight line exactly and smooths a spike', () => {
    expect(holtWinters([1, 2, 3, 4, 5], 0.3, 0.6)).toBeCloseTo(5, 12);
    const spiked = holtWinters([10, 10, 10, 10, 50, 10, 10], 0.3, 0.1) as number;
    expect(spiked).toBeGreaterThan(10);
    expect(spiked).toBeLessThan(50);
  });

  it('fewer than two samples, or a factor outside 0..1, give no value', () => {
    expect(holtWinters([1], 0.5, 0.5)).toBeNull();
    expect(holtWinters([1, 2], 1.5, 0.5)).toBeNull();
    expect(holtWinters([1, 2], 0.5, Number.NaN)).toBeNull();
  });
});

describe('through the evaluator (what agents, alarms and back-tests run)', () => {
  const series = [at(0, 10), at(1, 12), at(2, 14), at(3, 16)];
  const ctx: EvalContext = {
    metric: () => 16,
    range: () => series,
    attr: () => undefined,
    tag: () => undefined,
    col: () => undefined,
    field: () => undefined,
    check: () => Promise.reject(new Error('no checks here')),
  };
  const range: PlanExpr = { k: 'range', metric: { name: 'disk_usage', labels: [], collapse: 'max' }, seconds: 60 };
  const call = (fn: string, ...args: PlanExpr[]): PlanExpr => ({ k: 'call', fn, args: [range, ...args] });

  it('evaluates each function from the plan', () => {
    expect(evaluateSync(call('deriv'), ctx)).toBeCloseTo(2, 12);
    expect(evaluateSync(call('predict_linear', { k: 'num', v: 3600 }), ctx)).toBeCloseTo(16 + 7200, 9);
    expect(evaluateSync(call('zscore'), ctx)).toBeCloseTo(3 / Math.sqrt(5), 12);
    expect(evaluateSync(call('holt_winters', { k: 'num', v: 0.5 }, { k: 'num', v: 0.5 }), ctx)).toBeCloseTo(16, 12);
    expect(evaluateSync({ k: 'bin', op: '>', l: call('predict_linear', { k: 'num', v: 60 }), r: { k: 'num', v: 100 } }, ctx)).toBe(true);
  });

  it('rangeFunction without the series (values only) has no slope', () => {
    expect(rangeFunction('deriv', [1, 2, 3])).toBeNull();
    expect(rangeFunction('zscore', [1, 2, 3])).toBeCloseTo(1 / Math.sqrt(2 / 3), 12);
  });
});
