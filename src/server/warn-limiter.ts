import type { Logger } from 'pino';
import type { Clock } from './fleet/index.js';
import { systemClock } from './fleet/index.js';

/** Keys remembered at most: beyond it, the ones whose minute has passed are forgotten, then the oldest. */
export const WARN_LIMITER_MAX_KEYS = 10_000;

/**
 * Logs a warning at most once a minute per key (an agent and a kind of trouble): a flood of bad
 * frames or messages is one line a minute, not one per message. Bounded: keys come from peers (a
 * NATS subject names an agent before anything authenticates it), so the remembered keys are capped.
 *
 * @example
 * const warn = new WarnLimiter(logger);
 * warn.once('web-1 protocol', { agent: 'web-1' }, 'bad message from agent');
 */
export class WarnLimiter {
  private readonly warned = new Map<string, number>();

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly clock: Clock = systemClock,
    private readonly maxKeys = WARN_LIMITER_MAX_KEYS,
  ) {}

  /** Logs unless `key` was logged in the last minute; true when it logged. */
  once(key: string, fields: Record<string, unknown>, message: string): boolean {
    const now = this.clock.now();
    if (now - (this.warned.get(key) ?? -Infinity) < 60_000) return false;
    this.warned.delete(key);
    if (this.warned.size >= this.maxKeys) this.forget(now);
    this.warned.set(key, now);
    this.logger.warn(fields, message);
    return true;
  }

  /** How many keys are remembered (for tests: it stays within the cap). */
  get size(): number {
    return this.warned.size;
  }

  private forget(now: number): void {
    for (const [key, at] of this.warned) if (now - at >= 60_000) this.warned.delete(key);
    // Map order is insertion order, and a key is re-inserted when it logs: the first are the oldest.
    for (const key of this.warned.keys()) {
      if (this.warned.size < this.maxKeys) break;
      this.warned.delete(key);
    }
  }
}
