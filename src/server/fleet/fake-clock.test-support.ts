import type { TimerClock } from './clock.js';

/**
 * A clock for tests: time stands still until `advance` moves it, firing the timers that fall due
 * in order and letting the code they wake run before the next one. No real sleep.
 *
 * @example
 * const clock = new FakeClock();
 * const done = sleep(clock, 1000);
 * await clock.advance(1000); // done has resolved
 */
export class FakeClock implements TimerClock {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(private time = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers not fired or cancelled yet. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward `ms`, firing each timer due by then at its own time. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
    }
    this.time = until;
    await settle();
  }
}

/** Lets every callback already due run (promise reactions and what they start), without moving time. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
