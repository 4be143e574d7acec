/** Values shorter than this are not searched for: redacting `a` or `42` would mangle every output (docs/security.md). */
export const MIN_REDACTED_LENGTH = 4;

/**
 * Replaces every occurrence of a secret's value in `text` with `[secret:NAME]`.
 * Longer values first, so a value that contains another is replaced whole.
 * A guard against accidents (a command echoing its environment), not against
 * a command that sets out to leak a value it was given (base64 gets through).
 *
 * @example
 * redactSecrets('password=hunter22', [['db-password', 'hunter22']]) // 'password=[secret:db-password]'
 */
export function redactSecrets(text: string, secrets: Iterable<readonly [name: string, value: string]>): string {
  const list = [...secrets].filter(([, v]) => v.length >= MIN_REDACTED_LENGTH).sort((a, b) => b[1].length - a[1].length);
  let out = text;
  for (const [name, value] of list) if (out.includes(value)) out = out.split(value).join(`[secret:${name}]`);
  return out;
}
