/**
 * Sign-in shared by the tabs of one browser session. The token stays in each tab's sessionStorage
 * (never localStorage: it is not written to disk and ends with the session); a tab opened without
 * one asks the tabs already open over a BroadcastChannel, which only pages of the same origin in
 * the same browser profile can join, and a signed-in tab hands its token over. Signing out in one
 * tab signs out every tab. With no other tab open, nothing answers and the tab asks for a token.
 * The reasoning is in docs/security.md ("Sign-in in the browser").
 */

const CHANNEL = 'breakwater.session';
/** How long a new tab waits for an open tab's answer before showing the sign-in form. */
export const ASK_TIMEOUT_MS = 250;

type SessionMessage = { readonly type: 'ask' } | { readonly type: 'token'; readonly token: string } | { readonly type: 'sign-out' };

/** A message from another tab, or undefined when it is not one of ours (checked, never trusted). */
export function sessionMessage(data: unknown): SessionMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if (m.type === 'ask' || m.type === 'sign-out') return { type: m.type };
  if (m.type === 'token' && typeof m.token === 'string' && /^bwt_[A-Za-z0-9_-]{1,200}$/.test(m.token)) return { type: 'token', token: m.token };
  return undefined;
}

function channel(): BroadcastChannel | undefined {
  return typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(CHANNEL);
}

/**
 * Answers other tabs' asks with this tab's token (when it has one) and calls `onSignOut` when
 * another tab signs out. Returns the function that stops listening.
 */
export function shareSession(token: () => string | null, onSignOut: () => void): () => void {
  const ch = channel();
  if (!ch) return () => undefined;
  ch.onmessage = (e: MessageEvent<unknown>) => {
    const m = sessionMessage(e.data);
    const t = token();
    if (m?.type === 'ask' && t) ch.postMessage({ type: 'token', token: t });
    else if (m?.type === 'sign-out') onSignOut();
  };
  return () => ch.close();
}

/** A signed-in tab's token, or undefined when none answers within ASK_TIMEOUT_MS. */
export function askOpenTabs(): Promise<string | undefined> {
  const ch = channel();
  if (!ch) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const done = (token: string | undefined) => {
      clearTimeout(timer);
      ch.close();
      resolve(token);
    };
    const timer = setTimeout(() => done(undefined), ASK_TIMEOUT_MS);
    ch.onmessage = (e: MessageEvent<unknown>) => {
      const m = sessionMessage(e.data);
      if (m?.type === 'token') done(m.token);
    };
    ch.postMessage({ type: 'ask' });
  });
}

/** Tells every other tab of the session to sign out. */
export function announceSignOut(): void {
  const ch = channel();
  ch?.postMessage({ type: 'sign-out' });
  ch?.close();
}
