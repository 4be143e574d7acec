/** A read-only statement's answer kept live (GET /api/v1/query/live) for as long as a component shows it. */
import { useEffect, useState } from 'react';
import type { ResultRow } from '../protocol/index.js';
import { liveQuery } from './api.js';

/** The last answer: its ok rows and failures (undefined until the first), and why the last evaluation failed. */
export interface LiveAnswer {
  readonly rows: readonly ResultRow[] | undefined;
  readonly failures: readonly ResultRow[];
  readonly error: string | undefined;
}

/**
 * The statement's answer every `every`, starting again when the statement changes.
 *
 * @example
 * const { rows, error } = useLiveAnswer(`host | name = "web-1" | container | cpu_usage`);
 */
export function useLiveAnswer(statement: string, every = '2s'): LiveAnswer {
  const [answer, setAnswer] = useState<LiveAnswer>({ rows: undefined, failures: [], error: undefined });
  useEffect(() => {
    setAnswer({ rows: undefined, failures: [], error: undefined });
    return liveQuery(
      statement,
      every,
      (m) => setAnswer((a) => (m.type === 'error' ? { ...a, error: m.message } : { rows: m.rows, failures: m.failures, error: undefined })),
      (state) => setAnswer((a) => ({ ...a, error: state.error })),
    );
  }, [statement, every]);
  return answer;
}
