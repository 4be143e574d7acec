/**
 * The recent values behind the Fleet page's sparklines, per series (a host's metric): live values as
 * they arrive, and before them the minutes a range query returned (per-second samples, thinned to
 * one per live step), so a sparkline is drawn as soon as the page opens instead of filling up.
 */
export class SparkHistory {
  /** Per series, `[time ms, value]` oldest first, at most `keep`. */
  private readonly series = new Map<string, [number, number][]>();

  constructor(
    private readonly keep: number,
    private readonly stepMs: number,
  ) {}

  /** A live value at `time` (ms). */
  push(key: string, time: number, value: number): void {
    const s = this.series.get(key) ?? [];
    s.push([time, value]);
    if (s.length > this.keep) s.shift();
    this.series.set(key, s);
  }

  /**
   * Samples from a range query, oldest first. Those older than the first live value go before it,
   * one per step counting back from the newest, so both parts have the same spacing; samples the
   * live values already cover are left out (the range query may answer after a live value arrived).
   */
  prefill(key: string, samples: readonly (readonly [number, number])[]): void {
    const live = this.series.get(key) ?? [];
    const before = live[0]?.[0] ?? Infinity;
    const picked: [number, number][] = [];
    for (let i = samples.length - 1; i >= 0 && picked.length + live.length < this.keep; i--) {
      const [time, value] = samples[i] as readonly [number, number];
      // A step older than the value after it (the first live one, or the last picked).
      if ((picked.at(-1)?.[0] ?? before) - time >= this.stepMs) picked.push([time, value]);
    }
    this.series.set(key, [...picked.reverse(), ...live]);
  }

  values(key: string): number[] {
    return (this.series.get(key) ?? []).map(([, v]) => v);
  }

  clear(): void {
    this.series.clear();
  }
}
