/*
 * The answer of GET /api/v1/deliveries: one contract, written by the control plane (its store keeps
 * deliveries in this shape) and read by `breakwater get deliveries` and the web UI.
 */

/** An outbound delivery (webhook, PagerDuty, Slack) that finally failed. No field holds a secret. */
export interface Delivery {
  readonly id: string;
  /** The integration's name and type (`webhook`, `pagerduty`, `slack`). */
  readonly integration: string;
  readonly type: string;
  /** Where it went, for people: no credentials, no query string. */
  readonly target: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: 'failed';
  /** Attempts made (0: refused by a full queue, or the server stopped first). */
  readonly attempts: number;
  /** The last response's status; null when none came (unreachable, timed out, queue full). */
  readonly httpStatus: number | null;
  readonly error: string;
  /** When it was first tried (or refused by a full queue), and when it was given up. */
  readonly firstAt: number;
  readonly time: number;
}
