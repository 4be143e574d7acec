/*
 * The storage of one series of the agent's time-series store (tsdb.ts): a ring of per-second
 * values and a ring of one-minute roll-ups, both growing from a few slots to their full capacity.
 */

/** A one-minute roll-up point. */
export interface RollupPoint {
  readonly time: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

const EMPTY = 0;
const FIRST_SECONDS = 64;
const FIRST_MINUTES = 16;
/** Rough per-series overhead beyond the typed arrays: objects, map entries, keys. */
const SERIES_OVERHEAD = 320;

/**
 * A ring of `stride` numbers per key (a second or a minute), growing from `first` to `max` slots.
 * The key 0 marks an empty slot (1970-01-01T00:00:00 is never a real sample).
 */
export class Ring {
  keys: Uint32Array;
  data: Float32Array;
  constructor(
    readonly stride: number,
    first: number,
    readonly max: number,
  ) {
    const cap = Math.min(first, max);
    this.keys = new Uint32Array(cap);
    this.data = new Float32Array(cap * stride);
  }

  get cap(): number {
    return this.keys.length;
  }

  /** The slot holding `key`, or -1. */
  find(key: number): number {
    const slot = key % this.keys.length;
    return this.keys[slot] === key ? slot : -1;
  }

  /**
   * The slot for writing `key`, whose newest key so far is `newest`: the slot already holding it
   * (`fresh` false), or a slot claimed for it (`fresh` true), growing the ring when the slot holds
   * a point still within `max` keys of the newest. -1 when `key` is older than the ring keeps.
   */
  claim(key: number, newest: number): number {
    const top = key > newest ? key : newest;
    if (key <= top - this.max) return -1;
    for (;;) {
      const cap = this.keys.length;
      const slot = key % cap;
      const held = this.keys[slot]!;
      if (held === key) {
        this.fresh = false;
        return slot;
      }
      if (held === EMPTY || held <= top - this.max) {
        this.keys[slot] = key;
        this.fresh = true;
        return slot;
      }
      if (cap < this.max) {
        this.grow(top);
        continue;
      }
      // A newer point within retention owns the slot (only possible for out-of-order writes).
      return -1;
    }
  }

  /** Set by `claim`: whether the slot was newly taken. */
  fresh = false;

  private grow(top: number): void {
    const oldKeys = this.keys;
    const oldData = this.data;
    const stride = this.stride;
    const cap = Math.min(this.max, oldKeys.length * 2);
    const keys = new Uint32Array(cap);
    const data = new Float32Array(cap * stride);
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k === EMPTY || k <= top - this.max) continue;
      const s = k % cap;
      if (keys[s]! >= k) continue;
      keys[s] = k;
      for (let j = 0; j < stride; j++) data[s * stride + j] = oldData[i * stride + j]!;
    }
    this.keys = keys;
    this.data = data;
  }

  get bytes(): number {
    return this.keys.byteLength + this.data.byteLength;
  }
}

/**
 * One series: its per-second points and, when `minutesCap` > 0, its one-minute roll-ups.
 * @example
 * const s = new Series({ mount: '/' }, 3600, 1440);
 * s.append(Date.now(), 42.5); // s.lastValue === 42.5
 */
export class Series {
  readonly seconds: Ring;
  minutes: Ring | undefined;
  lastSec = 0;
  lastMs = -Infinity;
  lastValue = NaN;
  lastMinute = 0;
  /** Set when the store sweeps it away: a writer holding it makes a new one. */
  gone = false;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    secondsCap: number,
    readonly minutesCap: number,
  ) {
    this.seconds = new Ring(1, FIRST_SECONDS, secondsCap);
  }

  append(ms: number, value: number): void {
    const sec = Math.floor(ms / 1000);
    if (sec <= 0 || !Number.isFinite(value)) return; // NaN would poison the roll-up sums
    const ring = this.seconds;
    if (sec > this.lastSec) {
      // The common case, a new second into a free or stale slot, without calls: every series of
      // every pass comes here (the agent runs interpreted: see bin/breakwater-agent.js).
      const keys = ring.keys;
      const at = sec % keys.length;
      const held = keys[at]!;
      if (held === EMPTY || held <= sec - ring.max) {
        keys[at] = sec;
        ring.data[at] = value;
        this.lastSec = sec;
        this.lastMs = ms;
        this.lastValue = value;
        if (this.minutesCap > 0) this.rollup(sec, value, NaN);
        return;
      }
    }
    const slot = ring.claim(sec, this.lastSec);
    if (slot < 0) return;
    const old = ring.fresh ? NaN : ring.data[slot]!;
    ring.data[slot] = value;
    if (sec >= this.lastSec) {
      this.lastSec = sec;
      this.lastMs = ms;
      this.lastValue = value;
    }
    if (this.minutesCap > 0) this.rollup(sec, value, old);
  }

  private rollup(sec: number, value: number, replaced: number): void {
    const minute = Math.floor(sec / 60);
    const ring = (this.minutes ??= new Ring(4, FIRST_MINUTES, this.minutesCap));
    // One more second of the current minute (the common case) finds its slot held: no claim.
    let slot = minute === this.lastMinute ? ring.find(minute) : -1;
    let fresh = false;
    if (slot < 0) {
      slot = ring.claim(minute, this.lastMinute);
      if (slot < 0) return;
      fresh = ring.fresh;
      if (minute > this.lastMinute) this.lastMinute = minute;
    }
    const d = ring.data;
    const o = slot * 4;
    if (fresh) {
      d[o] = value;
      d[o + 1] = 1;
      d[o + 2] = value;
      d[o + 3] = value;
      return;
    }
    if (Number.isNaN(replaced)) {
      d[o] = d[o]! + value;
      d[o + 1] = d[o + 1]! + 1;
    } else {
      d[o] = d[o]! + value - replaced; // the same second written again: replace, do not add
    }
    if (value < d[o + 2]!) d[o + 2] = value;
    if (value > d[o + 3]!) d[o + 3] = value;
  }

  get bytes(): number {
    return this.seconds.bytes + (this.minutes?.bytes ?? 0) + SERIES_OVERHEAD;
  }
}

/** The roll-ups of `ring` for the minutes after `fromSec` up to `nowSec`, oldest first. */
export function rollupPoints(ring: Ring, fromSec: number, nowSec: number): RollupPoint[] {
  const points: RollupPoint[] = [];
  const lastMinute = Math.floor(nowSec / 60);
  const firstMinute = Math.max(Math.floor((fromSec + 1) / 60), lastMinute - ring.max + 1, 1);
  for (let m = firstMinute; m <= lastMinute; m++) {
    const slot = ring.find(m);
    if (slot < 0) continue;
    const o = slot * 4;
    const count = ring.data[o + 1]!;
    points.push({ time: m * 60_000, avg: ring.data[o]! / count, count, min: ring.data[o + 2]!, max: ring.data[o + 3]! });
  }
  return points;
}
