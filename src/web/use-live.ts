/** A read-only statement's answer kept fresh for as long as a component shows it: pushed, or asked again. */
import { useEffect, useState } from 'react';
import type { ResultRow } from '../protocol/index.js';
import { errorMessage, liveQuery, query } from './api.js';

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

/**
 * The statement's answer, asked again (POST /api/v1/query) `everyMs` after each answer until the
 * component goes. For a panel's secondary tables: a live query holds one of the six connections a
 * browser keeps to a server over HTTP/1.1 for as long as it runs, and two tabs of Fleet with a host
 * open already hold all six; a request held only while it is answered leaves them free.
 *
 * @example
 * const { rows } = usePolledAnswer(`host | name = "web-1" | pod | cpu_usage`, 2000);
 */
export function usePolledAnswer(statement: string, everyMs: number): LiveAnswer {
  const [answer, setAnswer] = useState<LiveAnswer>({ rows: undefined, failures: [], error: undefined });
  useEffect(() => {
    setAnswer({ rows: undefined, failures: [], error: undefined });
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async () => {
      try {
        const { rows, failures } = await query(statement, stop.signal);
        setAnswer({ rows, failures, error: undefined });
      } catch (err) {
        if (stop.signal.aborted) return;
        setAnswer((a) => ({ ...a, error: errorMessage(err) }));
      }
      if (!stop.signal.aborted) timer = setTimeout(() => void ask(), everyMs);
    };
    void ask();
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
  }, [statement, everyMs]);
  return answer;
}
