/*
 * The answer of GET /api/v1/audit: one contract, written by the control plane (its store keeps
 * entries in this shape) and read by the web UI's Audit page.
 */

/** One audit entry: who did what to what, when, and how it went. */
export interface AuditEntry {
  readonly id: string;
  readonly time: number;
  /** Token name of the person, agent or bot that acted. */
  readonly principal: string;
  /** What was done: `run`, `token.create`, `token.revoke`, `agent.enroll`, ... */
  readonly action: string;
  /** What it was done to: a statement, a token name, an agent name. */
  readonly target: string;
  readonly runId: string | null;
  readonly outcome: 'ok' | 'denied' | 'failed';
  readonly detail: Readonly<Record<string, unknown>>;
}
