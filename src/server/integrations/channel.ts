import type { FleetEvent } from '../../protocol/index.js';

/*
 * The contract between the outbound delivery engine (outbound.ts) and one kind of receiver
 * (webhook, PagerDuty, Slack). A channel makes ONE attempt and says how it went; the engine owns
 * everything else: which events reach it (`wants`), the bounded queue, retries with backoff and
 * jitter, the time limit, and recording deliveries that finally failed. A channel therefore never
 * sleeps, never retries and never stores anything, and a new kind of receiver is one small file.
 */

/** How one attempt went. `error` is shown in the deliveries list: it must never hold a secret. */
export type DeliveryOutcome =
  | { readonly ok: true; readonly status?: number }
  | {
      readonly ok: false;
      /** False when trying again cannot help (a 4xx other than 429, a payload the receiver refuses). */
      readonly retry: boolean;
      /** Why, for people: the receiver's own message when it gave one (PagerDuty's `errors`), trimmed. */
      readonly error: string;
      /** The HTTP status, when there was a response. */
      readonly status?: number;
      /** The receiver asked for this wait before the next attempt (a 429's `Retry-After`). */
      readonly retryAfterMs?: number;
    };

/**
 * One configured receiver of fleet events, built from a `kind: integration` definition with its
 * secrets already read (a channel never sees the vault).
 *
 * @example
 * const channel: Channel = {
 *   type: 'webhook', name: 'ops-hook', target: 'https://hooks.example.com/breakwater',
 *   wants: (e) => e.type === 'alarm_fired',
 *   async deliver(e, signal) { const res = await fetch(url, { method: 'POST', body: JSON.stringify(e), signal }); return res.ok ? { ok: true, status: res.status } : { ok: false, retry: res.status >= 500, error: `HTTP ${res.status}`, status: res.status }; },
 * };
 */
export interface Channel {
  /** The integration's type: `webhook`, `pagerduty`, `slack`. */
  readonly type: string;
  /** The integration's name (unique in the definition set). */
  readonly name: string;
  /** Where it delivers, for people: no credentials, no query string (a Slack webhook URL is a secret: say `slack incoming webhook`). */
  readonly target: string;
  /** Whether this event is delivered here (the integration's `events`, a channel's own rules). Cheap and synchronous. */
  wants(event: FleetEvent): boolean;
  /** One attempt. Must honour `signal` (the engine's per-attempt timeout) and never throw for a receiver's failure: a thrown error counts as a retryable failure. */
  deliver(event: FleetEvent, signal: AbortSignal): Promise<DeliveryOutcome>;
}

/** Reads a secret's value by the name a definition gives; undefined when it is not set. */
export type SecretLookup = (name: string) => string | undefined;
