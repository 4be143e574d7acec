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

/** The machine's own clock. */
export const systemClock: Clock = { now: () => Date.now() };
