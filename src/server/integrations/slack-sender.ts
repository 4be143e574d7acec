import type { SlackMessage } from './slack-blocks.js';

/*
 * Posts Slack messages: to an incoming webhook's URL, to `chat.postMessage` with a bot token, or
 * to a `response_url` Slack gave with a command or a click. A 429 is waited out as its
 * `Retry-After` says (capped), then tried again; any other failure is returned, never thrown,
 * and never names the URL or the token (both are credentials).
 */

/** The HTTP call the sender makes; `fetch` in production, a loopback server's in tests. */
export type Post = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

/** Where messages go: an incoming webhook (or a `response_url`, which Slack makes the same way), or the Web API with a bot token and a channel. */
export type SlackTarget = { readonly webhookUrl: string } | { readonly botToken: string; readonly channel: string; readonly apiUrl?: string };

export interface SlackSenderOptions {
  readonly post?: Post;
  /** Waits between tries (a test's clock); default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Tries per message, the first included. */
  readonly attempts?: number;
  /** The longest Retry-After honoured; a longer one ends the tries (the caller's retries take over). */
  readonly maxRetryAfterMs?: number;
  readonly timeoutMs?: number;
}

/** How a message went: `ok`, or why not, with the tries made. */
export type SlackDelivery = { readonly ok: true; readonly attempts: number } | { readonly ok: false; readonly attempts: number; readonly status: number | null; readonly error: string; readonly retryAfterMs?: number };

const SLACK_API = 'https://slack.com/api';
/** Of Slack's error answer, at most this much is kept: it is shown and recorded. */
const MAX_ERROR_CHARS = 300;

/**
 * Posts messages to Slack; the same shape as the delivery engine's channels (`send(message)`).
 *
 * @example
 * const sender = new SlackSender({ botToken, channel: '#ops' });
 * const d = await sender.send(alarmMessage(event, { webUrl }));
 * if (!d.ok) log.warn({ error: d.error }, 'slack message not delivered');
 */
export class SlackSender {
  private readonly post: Post;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly target: SlackTarget,
    private readonly options: SlackSenderOptions = {},
  ) {
    this.post = options.post ?? ((url, init) => fetch(url, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Posts to the integration's webhook or channel. */
  send(message: SlackMessage, signal?: AbortSignal): Promise<SlackDelivery> {
    const t = this.target;
    if ('webhookUrl' in t) return this.tries(t.webhookUrl, message, {}, signal);
    return this.tries(`${t.apiUrl ?? SLACK_API}/chat.postMessage`, { channel: t.channel, ...message }, { authorization: `Bearer ${t.botToken}` }, signal);
  }

  /** One message, tried again after each 429 as long as its Retry-After is within bounds. */
  private async tries(url: string, message: object, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<SlackDelivery> {
    const body = JSON.stringify(message);
    const attempts = this.options.attempts ?? 3;
    for (let n = 1; ; n++) {
      const r = await this.once(url, body, headers, n, signal);
      if (r.ok || r.status !== 429 || n >= attempts) return r.ok ? r : r.failure;
      const wait = r.retryAfterMs;
      if (wait > (this.options.maxRetryAfterMs ?? 60_000)) return { ...r.failure, attempts: n, error: `${r.failure.error}; Retry-After ${wait / 1000}s is longer than waited for` };
      await this.sleep(wait);
    }
  }

  private async once(url: string, body: string, headers: Record<string, string>, attempt: number, caller: AbortSignal | undefined) {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 10_000);
    const signal = caller ? AbortSignal.any([caller, timeout]) : timeout;
    try {
      const res = await this.post(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body, signal });
      const text = (await res.text()).slice(0, 64 * 1024);
      // chat.postMessage answers 200 with `{"ok":false,"error":...}`; webhooks answer `ok` or an error text.
      const apiError = res.status === 200 && text.startsWith('{') ? okField(text) : undefined;
      if (res.status >= 200 && res.status < 300 && apiError === undefined) return { ok: true as const, attempts: attempt };
      const error = apiError ?? `Slack answered ${res.status}: ${text.slice(0, MAX_ERROR_CHARS)}`;
      const retryAfterMs = retryAfter(res.headers.get('retry-after'));
      return { ok: false as const, status: res.status, retryAfterMs, failure: { ok: false as const, attempts: attempt, status: res.status, error, ...(res.status === 429 ? { retryAfterMs } : {}) } };
    } catch (err) {
      // The error of fetch names neither the URL nor the headers; its cause may (undici's), so only the message.
      return { ok: false as const, status: null, retryAfterMs: 0, failure: { ok: false as const, attempts: attempt, status: null, error: `could not reach Slack: ${(err as Error).message.slice(0, MAX_ERROR_CHARS)}` } };
    }
  }
}

/** Slack's `error` of a Web API answer with `"ok": false`; undefined when it is ok (or not such an answer). */
function okField(text: string): string | undefined {
  try {
    const j = JSON.parse(text) as { ok?: unknown; error?: unknown };
    return j.ok === false ? `Slack refused the message: ${String(j.error ?? 'unknown error').slice(0, MAX_ERROR_CHARS)}` : undefined;
  } catch {
    return undefined;
  }
}

/** Retry-After in seconds (Slack sends seconds); missing or unreadable: one second. */
export function retryAfter(header: string | null): number {
  const s = header === null ? NaN : Number(header.trim());
  return Number.isFinite(s) && s >= 0 ? Math.ceil(s * 1000) : 1000;
}
