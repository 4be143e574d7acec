/*
 * Secrets out of log lines, for the control plane's logger and the agent's alike. A token or an
 * agent credential in a log is a credential handed to whoever reads the logs (a log shipper, a
 * support bundle), so every string a line carries is scrubbed, whatever field it is in.
 */

const REDACTED = '[redacted]';

const TEXT_PATTERNS: readonly (readonly [RegExp, string])[] = [
  // Tokens and agent credentials, wherever they appear (a URL, an error message, a command line).
  [/\b(bw[ta])_[A-Za-z0-9_-]+/g, `$1_${REDACTED}`],
  // `?token=` and its kin in a URL or a query string.
  [/([?&;](?:token|access_token|auth|secret|password|passwd|key|api_key|apikey)=)[^&#\s"'<>]*/gi, `$1${REDACTED}`],
  // URL userinfo: https://user:pass@host.
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/?#@\s"'<>]+@/gi, `$1${REDACTED}@`],
  // An Authorization header's value written out. `Basic` only before something that looks like
  // base64 (a digit, `+`, `/` or `=` in it), so that prose ("Basic checks failed") stays readable.
  [/\bBearer\s+[A-Za-z0-9._~+/-]+=*/g, `Bearer ${REDACTED}`],
  [/\bBasic\s+(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{8,}=*/g, `Basic ${REDACTED}`],
];

/** Field names whose whole value is a secret (an Authorization header, a password). */
const SECRET_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|password|passwd|secret|token|credential|join_?token|x-api-key)$/i;

/** `text` with tokens, credentials, `?token=` values, URL userinfo and Authorization values replaced. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of TEXT_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Whether a field of this name holds a secret as a whole. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A copy of `value` for a log line: every string redacted (redactText), the values of secret
 * fields (isSecretKey) replaced, errors made plain objects ({ type, message, stack, code }).
 * Cycles become '[Circular]'.
 */
export function redactSecrets(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return redactSecrets({ type: value.name, message: value.message, ...(code === undefined ? {} : { code }), stack: value.stack }, seen);
  }
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) && v !== null && v !== undefined ? REDACTED : redactSecrets(v, seen);
  return out;
}
