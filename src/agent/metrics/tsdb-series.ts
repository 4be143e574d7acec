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

const FIRST_SECONDS = 64;
const FIRST_MINUTES = 16;
/** Rough per-series overhead beyond the typed arrays: objects, map entries, keys. */
const SERIES_OVERHEAD = 320;

/**
 * A ring of `stride` numbers per key (a second or a minute), growing from `first` to `max` slots.
 * It holds the keys of its window, the last `cap` up to the newest: a slot's key follows from its
 * position (`key % cap`), so no key is stored, half the bytes of a per-second point. A NaN first
 * number marks an empty slot (a gap): the store never keeps a NaN.
 */
export class Ring {
  data: Float32Array;
  /** Slots now. */
  cap: number;
  /** The newest key claimed; 0 before the first (1970-01-01T00:00:00 is never a real sample). */
  newest = 0;
  /** Set by {@link claim}: whether the slot was newly taken. */
  fresh = false;

  constructor(
    readonly stride: number,
    first: number,
    readonly max: number,
  ) {
    this.cap = Math.min(first, max);
    this.data = new Float32Array(this.cap * stride).fill(NaN);
  }

  /** The slot holding `key`, or -1. */
  find(key: number): number {
    if (key > this.newest || key <= this.newest - this.cap) return -1;
    const slot = key % this.cap;
    const first = this.data[slot * this.stride]!;
    return first === first ? slot : -1;
  }

  /**
   * The slot for writing `key`: the slot already holding it (`fresh` false), or a slot claimed for
   * it (`fresh` true). A newer key moves the window on, emptying the slots of the keys it passes,
   * and grows the ring first when one of those still holds a point within `max` keys of it. -1
   * when `key` is older than the ring keeps.
   */
  claim(key: number): number {
    for (;;) {
      const cap = this.cap;
      const newest = this.newest;
      if (key > newest) {
        if (cap < this.max && this.#passesLive(key)) {
          this.#grow();
          continue;
        }
        // The keys from newest + 1 to key take their slots (at most a whole lap of them).
        const stride = this.stride;
        for (let k = Math.max(newest, key - cap) + 1; k <= key; k++) this.data[(k % cap) * stride] = NaN;
        this.newest = key;
        this.fresh = true;
        return key % cap;
      }
      if (key <= newest - this.max) return -1;
      if (key <= newest - cap) {
        // Within retention but behind the window (only possible for out-of-order writes while growing).
        this.#grow();
        continue;
      }
      const slot = key % cap;
      const first = this.data[slot * this.stride]!;
      this.fresh = first !== first;
      return slot;
    }
  }

  /** Whether moving the window on to `key` would empty a slot holding a point within `max` keys of it. */
  #passesLive(key: number): boolean {
    const cap = this.cap;
    // Key k's slot holds k - cap, which is still within retention when k - cap > key - max.
    for (let k = Math.max(this.newest + 1, key - this.max + cap + 1); k <= key && k <= this.newest + cap; k++) {
      const first = this.data[(k % cap) * this.stride]!;
      if (first === first) return true;
    }
    return false;
  }

  /** Doubles the slots (up to `max`), each point moved to its key's new slot. */
  #grow(): void {
    const { cap, stride, newest } = this;
    const old = this.data;
    const next = Math.min(this.max, cap * 2);
    const data = new Float32Array(next * stride).fill(NaN);
    for (let k = Math.max(1, newest - cap + 1); k <= newest; k++) {
      const from = (k % cap) * stride;
      const first = old[from]!;
      if (first !== first) continue;
      const to = (k % next) * stride;
      for (let j = 0; j < stride; j++) data[to + j] = old[from + j]!;
    }
    this.data = data;
    this.cap = next;
  }

  get bytes(): number {
    return this.data.byteLength;
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
    let slot = sec % ring.cap;
    let old = NaN;
    if (sec === ring.newest + 1 && (ring.cap === ring.max || ring.data[slot] !== ring.data[slot])) {
      // The common case, the next second into a slot that is empty or whose point is past the
      // retention, without a call: every series of every pass comes here (the agent runs
      // interpreted: see bin/breakwater-agent.js).
      ring.newest = sec;
    } else {
      slot = ring.claim(sec);
      if (slot < 0) return;
      if (!ring.fresh) old = ring.data[slot]!;
    }
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
      slot = ring.claim(minute);
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
