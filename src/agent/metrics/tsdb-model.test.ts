import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { MemoryTsdb } from './tsdb.js';

/*
 * The store against a model of what it promises: per-second points kept for the retention behind
 * the newest point (the later of two writes to a second wins, writes older than the retention are
 * refused), the latest value exact, one-minute roll-ups whose sum and count take each second once
 * (its latest value) and whose min and max keep every value written. Appends come in and out of
 * order, with gaps and laps of the ring, through both `append` and a writer.
 */

const S0 = 1_700_000_000;
const ops = fc.array(
  fc.record({
    step: fc.oneof(fc.constant(1), fc.constant(1), fc.constant(0), fc.integer({ min: -90, max: 150 })),
    ms: fc.integer({ min: 0, max: 999 }),
    value: fc.integer({ min: 0, max: 1000 }),
  }),
  { minLength: 1, maxLength: 400 },
);

interface Model {
  top: number;
  seconds: Map<number, number>;
  minutes: Map<number, { latest: Map<number, number>; min: number; max: number }>;
  topMinute: number;
}

/** Applies one write to the model, as the store's retention rules accept or refuse it. */
function write(m: Model, sec: number, value: number, keepSeconds: number, keepMinutes: number): void {
  const top = Math.max(m.top, sec);
  if (sec <= top - keepSeconds) return;
  m.top = top;
  m.seconds.set(sec, value);
  for (const s of m.seconds.keys()) if (s <= top - keepSeconds) m.seconds.delete(s);
  if (keepMinutes === 0) return;
  const minute = Math.floor(sec / 60);
  const topMinute = Math.max(m.topMinute, minute);
  if (minute <= topMinute - keepMinutes) return;
  m.topMinute = topMinute;
  const entry = m.minutes.get(minute) ?? { latest: new Map<number, number>(), min: value, max: value };
  entry.latest.set(sec, value);
  entry.min = Math.min(entry.min, value);
  entry.max = Math.max(entry.max, value);
  m.minutes.set(minute, entry);
}

/** Runs the ops through a store (by name or through a writer) and the model. */
function run(steps: { step: number; ms: number; value: number }[], retentionSeconds: number, rollupRetentionSeconds: number, byWriter: boolean) {
  const db = new MemoryTsdb({ retentionSeconds, rollupRetentionSeconds });
  const writer = db.writer('host', ['m']);
  const values = new Float64Array(1);
  const keepMinutes = rollupRetentionSeconds > retentionSeconds ? Math.ceil(rollupRetentionSeconds / 60) : 0;
  const model: Model = { top: 0, seconds: new Map(), minutes: new Map(), topMinute: 0 };
  let sec = S0;
  for (const { step, ms, value } of steps) {
    sec += step;
    if (byWriter) {
      values[0] = value;
      writer.append(sec * 1000 + ms, values);
    } else {
      db.append('host', sec * 1000 + ms, [{ name: 'm', value }]);
    }
    write(model, sec, value, retentionSeconds, keepMinutes);
  }
  return { db, model, keepMinutes };
}

describe('MemoryTsdb against its model', () => {
  it('keeps the per-second points of its retention behind the newest, the later write to a second winning', () => {
    fc.assert(
      fc.property(ops, fc.constantFrom(10, 64, 100, 300), fc.boolean(), (steps, retention, byWriter) => {
        const { db, model } = run(steps, retention, 0, byWriter);
        const points = db.range('host', 'm', [], retention, model.top * 1000)[0]?.points ?? [];
        const expected = [...model.seconds].sort(([a], [b]) => a - b).map(([s, v]) => ({ time: s * 1000, value: Math.fround(v) }));
        expect(points).toEqual(expected);
        expect(db.latest('host', 'm', [])).toEqual([{ labels: {}, value: model.seconds.get(model.top) }]);
      }),
      { numRuns: 300 },
    );
  });

  it('rolls each minute up with each second counted once at its latest value, min and max over every write', () => {
    fc.assert(
      fc.property(ops, fc.boolean(), (steps, byWriter) => {
        const { db, model, keepMinutes } = run(steps, 60, 1200, byWriter);
        const lastMinute = Math.floor(model.top / 60);
        const from = Math.max(Math.floor((model.top - 1200 + 1) / 60), lastMinute - keepMinutes + 1);
        const points = db.rollups('host', 'm', [], 1200, model.top * 1000)[0]?.points ?? [];
        const expected = [...model.minutes]
          .filter(([minute]) => minute >= from && minute <= lastMinute)
          .sort(([a], [b]) => a - b)
          .map(([minute, e]) => {
            const sum = [...e.latest.values()].reduce((a, b) => a + b, 0);
            return { time: minute * 60_000, avg: sum / e.latest.size, count: e.latest.size, min: e.min, max: e.max };
          });
        expect(points).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
