import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { AuditStore } from './audit.js';
import { audit } from './audit.js';

/*
 * Audit entries for refused calls: with no or an unknown token (principal `anonymous`), and with a
 * token whose role is too low. Written through a per-caller budget per minute, so a flood of
 * refused requests cannot grow the audit table without bound: past the budget, refusals are
 * counted, and the caller's next written entry says how many were left out (`suppressed`).
 */

/** Entries per minute: one per address without a valid token, 30 per token. */
export const REFUSAL_AUDIT_BUDGET = { anonymous: 1, token: 30 } as const;
const WINDOW_MS = 60_000;
/** Callers tracked at once; past it, the addresses without a token share one budget. */
const MAX_CALLERS = 10_000;

interface Window {
  start: number;
  written: number;
  /** Refusals not written since the caller's last entry. */
  suppressed: number;
}

export class RefusalAudit {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock = systemClock,
  ) {}

  /** A call with no token, or one that is unknown, expired or revoked. */
  unauthenticated(address: string, target: string, reason: string): Promise<void> {
    return this.write(`anonymous\u0000${address}`, REFUSAL_AUDIT_BUDGET.anonymous, 'anonymous', 'request', target, { reason, address });
  }

  /** A call by a token whose role may not do it. */
  forbidden(token: { id: string; name: string }, action: string, target: string, detail: Record<string, unknown>): Promise<void> {
    return this.write(`token\u0000${token.id}`, REFUSAL_AUDIT_BUDGET.token, token.name, action, target, detail);
  }

  private async write(key: string, budget: number, principal: string, action: string, target: string, detail: Record<string, unknown>): Promise<void> {
    const now = this.clock.now();
    const w = this.window(key, now);
    if (w.written >= budget) {
      w.suppressed++;
      return;
    }
    w.written++;
    const suppressed = w.suppressed;
    w.suppressed = 0;
    // The window's time, not a second reading: the entry is dated when the refusal was counted.
    await audit(this.store, principal, action, target, 'denied', { ...detail, ...(suppressed ? { suppressed } : {}) }, null, { now: () => now });
  }

  private window(key: string, now: number): Window {
    if (!this.windows.has(key) && this.windows.size >= MAX_CALLERS) {
      // Forget callers whose minute is over and who have nothing left to report.
      for (const [k, old] of this.windows) if (now - old.start >= WINDOW_MS && old.suppressed === 0) this.windows.delete(k);
      if (this.windows.size >= MAX_CALLERS && key.startsWith('anonymous\u0000')) key = 'anonymous\u0000*';
    }
    let w = this.windows.get(key);
    if (!w) {
      w = { start: now, written: 0, suppressed: 0 };
      this.windows.set(key, w);
    } else if (now - w.start >= WINDOW_MS) {
      w.start = now;
      w.written = 0;
    }
    return w;
  }
}
