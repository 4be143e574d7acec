import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from './api.js';

/**
 * Reads `read()` now and every `everyMs` while the component is shown; keeps the last value when a
 * read fails (the error is reported beside it). `read` must be stable (module-level or useCallback).
 *
 * @example
 * const { value, error } = usePolled(listDeliveries, 10_000);
 */
export function usePolled<T>(read: () => Promise<T>, everyMs: number): { readonly value: T | undefined; readonly error: string | undefined } {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const load = useCallback(async () => {
    try {
      setValue(await read());
      setError(undefined);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [read]);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), everyMs);
    return () => clearInterval(timer);
  }, [load, everyMs]);
  return { value, error };
}
