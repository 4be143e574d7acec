import { rollupPoints, Series, type RollupPoint } from './tsdb-series.js';
import type { LabelMatcher, Sample, SeriesWriter, TimeSeriesStore } from './types.js';

export type { RollupPoint } from './tsdb-series.js';

/*
 * MemoryTsdb: the agent's local time-series store.
 *
 * Each series (resource + metric + labels) has two rings:
 *  - per second: a `Float32Array` of values, slot = second % capacity. A ring holds the window of
 *    its last `capacity` seconds up to its newest: a slot's second follows from its place, so no
 *    second is stored, and the slots a newer point passes over are emptied (NaN), so a missing
 *    second is simply absent from `range()`, never a wrong old value.
 * Values keep 7 significant digits (32-bit floats, as netdata stores them): half the memory per
 * point of doubles, on every host of the fleet; the latest value of a series stays exact.
 *  - per minute (roll-ups): a `Float32Array` of (sum, count, min, max) a minute, 24 h by default
 *    (a sum of 60 values loses ~1e-7 of itself to rounding). The current minute is updated on
 *    every append, so roll-ups always include the newest data.
 * Rings start small and double (re-slotting their live points) up to their full capacity when a
 * write would evict a point still within retention: a process that lives ten seconds costs a few
 * hundred bytes, not an hour's worth.
 *
 * Retention per resource: `retentionFor(resource)` gives the history, in seconds, that a resource
 * keeps; per-second points cover min(that, retentionSeconds), and roll-ups cover the rest up to
 * rollupRetentionSeconds. The agent gives processes 600 s: ten minutes of per-second points and no
 * roll-ups. Series that have received nothing for longer than their retention are swept away.
 *
 * Timestamps are kept at second resolution: `range()` reports each point at its whole second
 * (`second * 1000`); two appends within one second keep the later value (a roll-up's sum is
 * corrected, its min and max keep both).
 */

export interface MemoryTsdbOptions {
  /** Per-second history, seconds (default 3600). */
  readonly retentionSeconds?: number;
  /** Roll-up history, seconds (default 86400: one-minute points for 24 h). */
  readonly rollupRetentionSeconds?: number;
  /** History a resource keeps, seconds; undefined for the defaults. Asked once per resource. */
  readonly retentionFor?: (resource: string) => number | undefined;
  /** Most series held at once; appends that would create more are refused and counted. */
  readonly maxSeries?: number;
  /** Wall clock for `latest()`'s maxAgeMs, ms since the epoch. */
  readonly clock?: () => number;
}

interface ResourceData {
  /** Per-second capacity and roll-up capacity (minutes) of its series. */
  readonly secondsCap: number;
  readonly minutesCap: number;
  /** History kept, seconds. */
  readonly keepSeconds: number;
  /** metric -> label key -> series. */
  readonly metrics: Map<string, Map<string, Series>>;
  /** Set when dropped or swept away: a {@link SeriesWriter} holding it finds the resource again. */
  gone: boolean;
  /** The frozen samples array last appended and the series of its samples, in its order (see {@link MemoryTsdb.append}). */
  frozen: readonly Sample[] | undefined;
  frozenSeries: (Series | undefined)[];
}

type Labels = Readonly<Record<string, string>>;
const NO_LABELS: Labels = Object.freeze({});
/** How often series silent for longer than their retention are swept away. */
const SWEEP_EVERY_SECONDS = 60;
/** Label regexes kept compiled; the cache starts over beyond it. */
const REGEX_CACHE_MAX = 512;

export class MemoryTsdb implements TimeSeriesStore {
  private readonly retentionSeconds: number;
  private readonly rollupSeconds: number;
  private readonly retentionFor: ((resource: string) => number | undefined) | undefined;
  private readonly maxSeries: number;
  private readonly clock: () => number;
  private readonly resources = new Map<string, ResourceData>();
  private readonly labelKeys = new WeakMap<object, string>();
  private readonly regexes = new Map<string, RegExp>();
  private series = 0;
  private lastSweep = 0;
  /** Series creations refused because maxSeries was reached. */
  refused = 0;

  constructor(options: MemoryTsdbOptions = {}) {
    this.retentionSeconds = Math.max(1, Math.floor(options.retentionSeconds ?? 3600));
    this.rollupSeconds = Math.max(0, Math.floor(options.rollupRetentionSeconds ?? 86400));
    this.retentionFor = options.retentionFor;
    this.maxSeries = options.maxSeries ?? 20000;
    this.clock = options.clock ?? Date.now;
  }

  /** Series held now. */
  get seriesCount(): number {
    return this.series;
  }

  /** Approximate bytes held. Walked with forEach: a for-of over entries makes two objects an entry, which the agent's heartbeat would make every 5 s for every series. */
  get bytes(): number {
    let total = 0;
    this.resources.forEach((r, name) => {
      total += name.length * 2 + 64;
      r.metrics.forEach((bySeries, metric) => {
        total += metric.length * 2 + 64;
        bySeries.forEach((s, key) => {
          total += key.length * 2 + s.bytes;
        });
      });
    });
    return total;
  }

  /**
   * Appends each sample to its series. A frozen `samples` array appended again (a source's own,
   * reused every pass with its values rewritten: a process's) finds its series as it left them,
   * with no lookup by name and labels.
   */
  append(resource: string, time: number, samples: readonly Sample[]): void {
    const r = this.resource(resource);
    if (r.frozen !== samples && Object.isFrozen(samples)) {
      r.frozen = samples;
      r.frozenSeries = new Array<Series | undefined>(samples.length);
    }
    const known = r.frozen === samples ? r.frozenSeries : undefined;
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      let s = known?.[i];
      if (s === undefined || s.gone) {
        s = this.seriesOf(r, sample.name, sample.labels ?? NO_LABELS);
        if (known) known[i] = s;
      }
      s?.append(time, sample.value);
    }
    this.sweepEvery(time);
  }

  /**
   * A writer of these unlabelled metrics of `resource`, for a source that appends them together
   * every pass: its series are looked up when first written (and again after a drop or sweep),
   * not at each append. Appending through it is appending each finite value under its metric's name.
   */
  writer(resource: string, metrics: readonly string[]): SeriesWriter {
    let r: ResourceData | undefined;
    const series: (Series | undefined)[] = metrics.map(() => undefined);
    return {
      resource,
      metrics,
      append: (time, values) => {
        if (!r || r.gone) {
          r = this.resource(resource);
          series.fill(undefined);
        }
        for (let i = 0; i < metrics.length; i++) {
          const value = values[i] as number;
          if (value !== value) continue; // NaN: absent this pass
          let s = series[i];
          if (!s || s.gone) s = series[i] = this.seriesOf(r, metrics[i] as string, NO_LABELS);
          s?.append(time, value);
        }
        this.sweepEvery(time);
      },
    };
  }

  /** The resource's data, made when first written. */
  private resource(resource: string): ResourceData {
    let r = this.resources.get(resource);
    if (!r) {
      r = this.newResource(resource);
      this.resources.set(resource, r);
    }
    return r;
  }

  /** The series of `metric` with `labels` in `r`, made when first written; undefined when refused (maxSeries). */
  private seriesOf(r: ResourceData, metric: string, labels: Labels): Series | undefined {
    let bySeries = r.metrics.get(metric);
    if (!bySeries) {
      bySeries = new Map();
      r.metrics.set(metric, bySeries);
    }
    const key = this.labelKey(labels);
    let s = bySeries.get(key);
    if (!s) {
      if (this.series >= this.maxSeries) {
        this.refused++;
        return undefined;
      }
      s = new Series(key === '' ? NO_LABELS : Object.freeze({ ...labels }), r.secondsCap, r.minutesCap);
      bySeries.set(key, s);
      this.series++;
    }
    return s;
  }

  /** Sweeps once every {@link SWEEP_EVERY_SECONDS} of appended time. */
  private sweepEvery(time: number): void {
    const sec = Math.floor(time / 1000);
    if (sec - this.lastSweep >= SWEEP_EVERY_SECONDS) {
      if (this.lastSweep !== 0) this.sweep(sec);
      this.lastSweep = sec;
    }
  }

  latest(resource: string, metric: string, matchers: readonly LabelMatcher[], maxAgeMs?: number): { labels: Labels; value: number }[] {
    const bySeries = this.resources.get(resource)?.metrics.get(metric);
    if (!bySeries) return [];
    const oldest = maxAgeMs === undefined ? -Infinity : this.clock() - maxAgeMs;
    const out: { labels: Labels; value: number }[] = [];
    for (const s of bySeries.values()) {
      if (s.lastMs < oldest || s.lastSec === 0) continue;
      if (!this.matches(s.labels, matchers)) continue;
      out.push({ labels: s.labels, value: s.lastValue });
    }
    return out;
  }

  /**
   * Per-second points when `seconds` fits the series' per-second retention (or it has no roll-ups),
   * else the one-minute roll-ups' averages, each at the minute's start.
   */
  range(resource: string, metric: string, matchers: readonly LabelMatcher[], seconds: number, now: number): { labels: Labels; points: { time: number; value: number }[] }[] {
    const r = this.resources.get(resource);
    const bySeries = r?.metrics.get(metric);
    if (!r || !bySeries || !(seconds > 0)) return [];
    const nowSec = Math.floor(now / 1000);
    const from = nowSec - Math.ceil(seconds); // exclusive
    const out: { labels: Labels; points: { time: number; value: number }[] }[] = [];
    for (const s of bySeries.values()) {
      if (!this.matches(s.labels, matchers)) continue;
      const points: { time: number; value: number }[] = [];
      if (seconds <= r.secondsCap || !s.minutes) {
        const ring = s.seconds;
        const start = Math.max(from + 1, nowSec - ring.max + 1, 1);
        for (let sec = start; sec <= nowSec; sec++) {
          const slot = ring.find(sec);
          if (slot >= 0) points.push({ time: sec * 1000, value: ring.data[slot]! });
        }
      } else {
        for (const p of rollupPoints(s.minutes, from, nowSec)) points.push({ time: p.time, value: p.avg });
      }
      if (points.length > 0) out.push({ labels: s.labels, points });
    }
    return out;
  }

  /** One-minute roll-ups (avg, min, max, count) of each matching series over the last `seconds`, oldest first. */
  rollups(resource: string, metric: string, matchers: readonly LabelMatcher[], seconds: number, now: number): { labels: Labels; points: RollupPoint[] }[] {
    const bySeries = this.resources.get(resource)?.metrics.get(metric);
    if (!bySeries || !(seconds > 0)) return [];
    const nowSec = Math.floor(now / 1000);
    const from = nowSec - Math.ceil(seconds);
    const out: { labels: Labels; points: RollupPoint[] }[] = [];
    for (const s of bySeries.values()) {
      if (!s.minutes || !this.matches(s.labels, matchers)) continue;
      const points = rollupPoints(s.minutes, from, nowSec);
      if (points.length > 0) out.push({ labels: s.labels, points });
    }
    return out;
  }

  drop(resource: string): void {
    const r = this.resources.get(resource);
    if (!r) return;
    for (const bySeries of r.metrics.values()) this.series -= bySeries.size;
    r.gone = true;
    this.resources.delete(resource);
  }

  /** Resources with at least one series. */
  resourceNames(): string[] {
    return [...this.resources.keys()];
  }

  private newResource(resource: string): ResourceData {
    const keep = Math.max(1, Math.floor(this.retentionFor?.(resource) ?? Math.max(this.retentionSeconds, this.rollupSeconds)));
    const secondsCap = Math.min(keep, this.retentionSeconds);
    const minutesCap = keep > secondsCap ? Math.ceil(Math.min(keep, this.rollupSeconds) / 60) : 0;
    return { secondsCap, minutesCap, keepSeconds: keep, metrics: new Map(), gone: false, frozen: undefined, frozenSeries: [] };
  }

  /** Removes series with nothing newer than their retention, and empty resources. */
  private sweep(nowSec: number): void {
    for (const [name, r] of this.resources) {
      const oldest = nowSec - r.keepSeconds;
      for (const [metric, bySeries] of r.metrics) {
        for (const [key, s] of bySeries) {
          if (s.lastSec <= oldest) {
            s.gone = true;
            bySeries.delete(key);
            this.series--;
          }
        }
        if (bySeries.size === 0) r.metrics.delete(metric);
      }
      if (r.metrics.size === 0) {
        r.gone = true;
        this.resources.delete(name);
      }
    }
  }

  /** Canonical key of a label set: names sorted, `name=value` joined by NULs ('' for none). */
  private labelKey(labels: Labels): string {
    if (labels === NO_LABELS) return '';
    const cached = this.labelKeys.get(labels);
    if (cached !== undefined) return cached;
    const names = Object.keys(labels);
    let key = '';
    if (names.length > 0) {
      names.sort();
      for (let i = 0; i < names.length; i++) {
        const n = names[i]!;
        key += (i === 0 ? '' : '\0') + n + '=' + labels[n];
      }
    }
    // Label objects reused across passes (a source's per-mount labels) hit the cache next time.
    if (Object.isFrozen(labels)) this.labelKeys.set(labels, key);
    return key;
  }

  private matches(labels: Labels, matchers: readonly LabelMatcher[]): boolean {
    for (const m of matchers) {
      // As in PromQL, a missing label matches as the empty string.
      const v = labels[m.name] ?? '';
      switch (m.op) {
        case '=':
          if (v !== m.value) return false;
          break;
        case '!=':
          if (v === m.value) return false;
          break;
        case '=~':
          if (!this.regex(m.value).test(v)) return false;
          break;
        case '!~':
          if (this.regex(m.value).test(v)) return false;
          break;
      }
    }
    return true;
  }

  /** The matcher's regex, anchored at both ends as in PromQL; compiled once. Throws on bad syntax. */
  private regex(source: string): RegExp {
    let re = this.regexes.get(source);
    if (!re) {
      try {
        re = new RegExp(`^(?:${source})$`, 's');
      } catch (e) {
        throw new Error(`invalid label regex ${JSON.stringify(source)}: ${(e as Error).message}`);
      }
      if (this.regexes.size >= REGEX_CACHE_MAX) this.regexes.clear();
      this.regexes.set(source, re);
    }
    return re;
  }
}
