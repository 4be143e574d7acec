/**
 * Exponential backoff with full jitter (the AWS Architecture Blog's
 * recommendation): after the n-th failure wait a random time in
 * [0, min(max, base * 2^n)], so a fleet reconnecting after an outage spreads
 * out instead of stampeding the control plane.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs = 500,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 30);
    return Math.round(ceiling * this.random());
  }

  reset(): void {
    this.failures = 0;
  }
}
