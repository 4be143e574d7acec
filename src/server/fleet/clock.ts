/**
 * The time, injected: the control plane's decisions (expiry, deadlines, retention) read it here,
 * so tests can move time without sleeping.
 *
 * @example
 * const clock: Clock = { now: () => 1_700_000_000_000 };
 */
export interface Clock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
}

/**
 * A clock that also wakes you up: what deadlines and waits need (an agent's answer timing out, a
 * rollout's pause, a live query's interval). Code that only reads the time takes a `Clock`; code
 * whose timers decide an outcome takes a `TimerClock`, so a test moves both together.
 *
 * @example
 * const cancel = clock.setTimeout(() => fleet.cancel(host, id), timeoutMs);
 * // ...the answer came first:
 * cancel();
 */
export interface TimerClock extends Clock {
  /** Calls `fn` once, `ms` from now (like setTimeout); returns what cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
}

/** The machine's own clock and timers. */
export const systemClock: TimerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * Waits `ms` on the clock (nothing when not positive), or until aborted; the abort listener goes
 * with the wait, so a long-lived signal does not collect one per wait.
 *
 * @example
 * await sleep(systemClock, 1000, signal);
 */
export function sleep(clock: TimerClock, ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const cancel = clock.setTimeout(done, ms);
    function done() {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}
