import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RolloutShape } from './batch-plan.js';
import { planBatches } from './batch-plan.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);

describe('planBatches', () => {
  it('cuts fixed batches of a count or a share (rounded up, at least one)', () => {
    expect(planBatches(names(5), { batch: { count: 2 } }).batches).toEqual([['h1', 'h2'], ['h3', 'h4'], ['h5']]);
    expect(planBatches(names(5), { batch: { percent: 40 } }).batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(planBatches(names(2), { batch: { percent: 10 } }).batches.map((b) => b.length)).toEqual([1, 1]);
  });

  it('ramps exponentially 1, 2, 4, … up to the batch size, then stays there', () => {
    const plan = planBatches(names(20), { batch: { count: 5 }, ramp: 'exponential' });
    expect(plan.batches.map((b) => b.length)).toEqual([1, 2, 4, 5, 5, 3]);
    expect(planBatches(names(10), { batch: { percent: 10 }, ramp: 'exponential' }).batches.map((b) => b.length)).toEqual(Array(10).fill(1));
  });

  it('resolves the error budget: a count as given, a share of the targets rounded down, none by default', () => {
    expect(planBatches(names(6), { batch: { count: 2 }, maxErrors: { count: 2 } }).maxErrors).toBe(2);
    expect(planBatches(names(6), { batch: { count: 2 }, maxErrors: { percent: 50 } }).maxErrors).toBe(3);
    expect(planBatches(names(6), { batch: { count: 2 }, maxErrors: { percent: 10 } }).maxErrors).toBe(0);
    expect(planBatches(names(6), { batch: { count: 2 } }).maxErrors).toBe(0);
  });

  it('rounds a fractional share to what it asks for, and never plans a batch larger than the targets', () => {
    // 375 × 18.4 % = 69 exactly, 375 × 8.8 % = 33 exactly: floating point lands a hair off both.
    expect(planBatches(names(375), { batch: { count: 10 }, maxErrors: { percent: 18.4 } }).maxErrors).toBe(69);
    expect(planBatches(names(375), { batch: { percent: 8.8 } }).size).toBe(33);
    expect(planBatches(names(1), { batch: { count: 3 } })).toEqual({ batches: [['h1']], size: 1, maxErrors: 0 });
  });

  it('plans no batch for no targets', () => {
    expect(planBatches([], { batch: { count: 3 }, ramp: 'exponential' })).toEqual({ batches: [], size: 3, maxErrors: 0 });
  });

  it('covers every target exactly once, in order, in batches whose sizes follow the ramp (property)', () => {
    const shape = fc.record({
      batch: fc.oneof(fc.record({ count: fc.integer({ min: 1, max: 50 }) }), fc.record({ percent: fc.integer({ min: 1, max: 100 }) })),
      maxErrors: fc.oneof(fc.record({ count: fc.integer({ min: 0, max: 50 }) }), fc.record({ percent: fc.integer({ min: 0, max: 100 }) })),
      ramp: fc.constantFrom('none' as const, 'exponential' as const),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), shape, (n, s: RolloutShape) => {
        const targets = names(n);
        const { batches, size, maxErrors } = planBatches(targets, s);
        expect(batches.flat()).toEqual(targets);
        expect(batches.every((b) => b.length >= 1 && b.length <= size)).toBe(true);
        // Every batch but the last has the ramp's size; the last takes what is left.
        const expected = batches.map((_, i) => (s.ramp === 'exponential' ? Math.min(size, 2 ** i) : size));
        batches.slice(0, -1).forEach((b, i) => expect(b.length).toBe(expected[i]));
        if (batches.length) expect(batches.at(-1)?.length).toBe(Math.min(expected.at(-1) as number, n - batches.slice(0, -1).flat().length));
        expect(maxErrors).toBeGreaterThanOrEqual(0);
        expect(maxErrors).toBeLessThanOrEqual('count' in s.maxErrors! ? s.maxErrors.count : n);
      }),
      { seed: 16, numRuns: 300 },
    );
  });
});
