import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * Request signatures of integrations, as GitHub and Stripe sign theirs: HMAC-SHA256 over
 * `<timestamp>.<body>` with the integration's signing secret, in `X-Breakwater-Signature: v1=<hex>`
 * beside `X-Breakwater-Timestamp: <unix seconds>`. The timestamp in the signed text makes a captured
 * request useless after SIGNATURE_MAX_AGE_SECONDS.
 */

export const SIGNATURE_HEADER = 'x-breakwater-signature';
export const TIMESTAMP_HEADER = 'x-breakwater-timestamp';
/** A signed request older (or newer) than this is refused: a replay, or a clock far off. */
export const SIGNATURE_MAX_AGE_SECONDS = 300;

/**
 * The signature header's value for a body sent at `timestamp` (unix seconds).
 *
 * @example
 * sign('key', 1700000000, '{"version":"4"}') // 'v1=5c1f...'
 */
export function sign(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Why a signed request is refused, or undefined when its signature is good and fresh. */
export function signatureProblem(secret: string, timestamp: string | undefined, signature: string | undefined, body: string, nowMs: number): string | undefined {
  if (signature === undefined) return `no ${SIGNATURE_HEADER} header`;
  return staleness(timestamp, TIMESTAMP_HEADER, nowMs) ?? (sameText(sign(secret, Number(timestamp), body), signature) ? undefined : MISMATCH);
}

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';

/**
 * Why a request said to come from Slack is refused, or undefined when it is Slack's: `v0=` and the
 * HMAC-SHA256 of `v0:<timestamp>:<body>` keyed with the app's signing secret (Slack's "Verifying
 * requests from Slack"), at most SIGNATURE_MAX_AGE_SECONDS old.
 *
 * @example
 * slackSignatureProblem(secret, headers['x-slack-request-timestamp'], headers['x-slack-signature'], raw, Date.now()) // undefined
 */
export function slackSignatureProblem(secret: string, timestamp: string | undefined, signature: string | undefined, body: string, nowMs: number): string | undefined {
  if (signature === undefined) return `no ${SLACK_SIGNATURE_HEADER} header`;
  return staleness(timestamp, SLACK_TIMESTAMP_HEADER, nowMs) ?? (sameText(slackSign(secret, Number(timestamp), body), signature) ? undefined : MISMATCH);
}

/**
 * The `X-Slack-Signature` Slack sends with a body at `timestamp` (unix seconds): for tests and tools that play Slack.
 *
 * @example
 * slackSign('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body) // 'v0=a2114d57...'
 */
export function slackSign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

const MISMATCH = 'the signature does not match the body (a wrong signing secret, or a body changed on the way)';

/** Why a signature's timestamp is refused: missing, not unix seconds, or too far from now (a replay). */
function staleness(timestamp: string | undefined, header: string, nowMs: number): string | undefined {
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return `expected ${header}: the unix time in seconds the request was signed at`;
  const age = Math.abs(nowMs / 1000 - Number(timestamp));
  if (age > SIGNATURE_MAX_AGE_SECONDS) return `the signature's timestamp is ${Math.round(age)}s from this server's clock, more than ${SIGNATURE_MAX_AGE_SECONDS}s: a replayed request, or a clock to fix`;
  return undefined;
}

/** Compares two secrets in time that does not depend on where they differ. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
