/**
 * The series behind Fleet's charts: one metric of one or several hosts over a range, the range
 * asked for once and then each second's value appended from a live query. Several hosts' samples
 * are aligned on one time axis for uPlot (a host without a sample at a time has a gap there).
 */
import { useEffect, useState } from 'react';
import type { LiveState } from './api.js';
import { liveQuery, query } from './api.js';
import { seriesPoints } from './format.js';

/** One host's samples, oldest first: times in seconds since the epoch. */
export interface HostSamples {
  readonly xs: readonly number[];
  readonly ys: readonly (number | null)[];
}

/** Several hosts' samples on one time axis: `ys[i]` is host `hosts[i]`'s value at each of `xs`, or null. */
export interface AlignedSeries {
  readonly xs: number[];
  readonly ys: (number | null)[][];
}

/**
 * The hosts' samples on the union of their times (whole seconds), in the order of `hosts`.
 *
 * @example
 * alignSeries(['a', 'b'], new Map([['a', { xs: [1, 2], ys: [5, 6] }], ['b', { xs: [2, 3], ys: [7, 8] }]]))
 * // { xs: [1, 2, 3], ys: [[5, 6, null], [null, 7, 8]] }
 */
export function alignSeries(hosts: readonly string[], samples: ReadonlyMap<string, HostSamples>): AlignedSeries {
  const times = new Set<number>();
  for (const h of hosts) for (const x of samples.get(h)?.xs ?? []) times.add(Math.floor(x));
  const xs = [...times].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const ys = hosts.map((h) => {
    const row: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    const s = samples.get(h);
    s?.xs.forEach((x, i) => (row[at.get(Math.floor(x)) as number] = s.ys[i] ?? null));
    return row;
  });
  return { xs, ys };
}

/** A host's samples with `x, y` appended when newer than its last, and those older than `from` dropped. */
export function appendSample(s: HostSamples | undefined, x: number, y: number, from: number): HostSamples {
  const xs = s?.xs ?? [];
  if (x <= (xs.at(-1) ?? -Infinity)) return s ?? { xs, ys: [] };
  const keep = xs.findIndex((t) => t >= from);
  const start = keep < 0 ? xs.length : keep;
  return { xs: [...xs.slice(start), x], ys: [...(s?.ys ?? []).slice(start), y] };
}

/**
 * `metric` of `hosts` over the last `seconds` (`range`, e.g. `15m`), live: undefined until the
 * range query answered; `error` says why a query failed (the chart keeps what it has).
 */
export function useHostSeries(hosts: readonly string[], metric: string, range: string, seconds: number): { series: AlignedSeries | undefined; error: string | undefined } {
  const [series, setSeries] = useState<AlignedSeries | undefined>();
  const [error, setError] = useState<string | undefined>();
  const key = hosts.join('\u0000');
  useEffect(() => {
    const names = key.split('\u0000');
    const selection = `host | name in ${JSON.stringify(names)}`;
    const controller = new AbortController();
    const samples = new Map<string, HostSamples>();
    let loaded = false;
    const show = () => loaded && setSeries(alignSeries(names, samples));
    setSeries(undefined);
    setError(undefined);
    query(`${selection} | ${metric}[${range}]`, controller.signal)
      .then((answer) => {
        for (const r of answer.rows) {
          if (!r.resource) continue;
          const [xs, ys] = seriesPoints(r.values[`${metric}[${range}]`]);
          // Live values that arrived while the range was loading go after it.
          const live = samples.get(r.resource.name);
          const after = live ? live.xs.findIndex((x) => x > (xs.at(-1) ?? -Infinity)) : -1;
          samples.set(r.resource.name, { xs: [...xs, ...(after < 0 ? [] : (live?.xs ?? []).slice(after))], ys: [...ys, ...(after < 0 ? [] : (live?.ys ?? []).slice(after))] });
        }
        loaded = true;
        show();
      })
      .catch((err: unknown) => {
        if ((err as Error).name !== 'AbortError') setError((err as Error).message);
      });
    const stop = liveQuery(
      `${selection} | ${metric}`,
      '1s',
      (m) => {
        if (m.type === 'error') return setError(m.message);
        const x = Math.floor(m.time / 1000);
        for (const r of m.rows) {
          const v = r.values[metric];
          if (r.resource && typeof v === 'number') samples.set(r.resource.name, appendSample(samples.get(r.resource.name), x, v, x - seconds));
        }
        show();
      },
      (state: LiveState) => setError(state.error),
    );
    return () => {
      controller.abort();
      stop();
    };
  }, [key, metric, range, seconds]);
  return { series, error };
}
