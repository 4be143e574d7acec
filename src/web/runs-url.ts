/**
 * The Runs page's state in its URL, so that a link or a new tab opens the same view:
 * `/runs?bot=…&host=…&status=…&kind=…&principal=…&since=…` lists, `/runs/<id>` shows one run.
 * `since` is a range back from now (`1h`, `24h`, `7d`) or a time in ms since the epoch (an
 * alarm's "bot runs since it fired").
 */

export const FILTER_KEYS = ['bot', 'host', 'status', 'kind', 'principal', 'since'] as const;
export type RunsFilter = Readonly<Record<(typeof FILTER_KEYS)[number], string>>;

export const NO_FILTER: RunsFilter = { bot: '', host: '', status: '', kind: '', principal: '', since: '' };

/** The time ranges the page offers, back from now. */
export const RANGES: Readonly<Record<string, number>> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 };

/** The filter a URL's query string names; unknown keys are ignored, values kept as typed (the API checks them). */
export function filterOf(search: string): RunsFilter {
  const q = new URLSearchParams(search);
  return Object.fromEntries(FILTER_KEYS.map((k) => [k, q.get(k)?.trim() ?? ''])) as RunsFilter;
}

/** The page's URL for a filter (and a header sort, `-started`): `/runs`, or `/runs?host=web-1&status=failed`. */
export function runsPath(filter: Partial<RunsFilter>, sort?: string): string {
  const q = new URLSearchParams();
  for (const k of FILTER_KEYS) if (filter[k]) q.set(k, filter[k]);
  if (sort) q.set('sort', sort);
  const s = q.toString();
  return s ? `/runs?${s}` : '/runs';
}

/** The page of one run. */
export const runPath = (id: string): string => `/runs/${encodeURIComponent(id)}`;

/** The run a path opens (`/runs/<id>`), or undefined for the list. */
export function runIdOf(path: string): string | undefined {
  const m = /^\/runs\/([^/]+)$/.exec(path);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/**
 * GET /api/v1/runs's query for a filter at `now`: a range becomes its start time; `before` pages
 * back. An unknown range is passed on as it is, for the API to refuse by name.
 */
export function apiQuery(filter: RunsFilter, now: number, limit: number, before?: number): Record<string, string | number | undefined> {
  const since = filter.since in RANGES ? now - (RANGES[filter.since] ?? 0) : filter.since;
  return { bot: filter.bot, host: filter.host, status: filter.status, kind: filter.kind, principal: filter.principal, since, limit, before };
}
