/*
 * Join tokens (role `agent`): what they may still do, and why not. A join token's only power is
 * trading itself for an agent credential (POST /api/v1/agents/enroll), so it expires by default
 * and may be limited to a number of enrollments.
 */
import { BreakwaterError } from '../protocol/index.js';
import { hashSecret } from './auth.js';
import type { Store, TokenRecord } from './store/index.js';

/** A join token created without an expiry lives this long (24 h); `--expires never` opts out. */
export const JOIN_TOKEN_DEFAULT_TTL_SECONDS = 24 * 60 * 60;

const NEW_TOKEN = 'ask an admin for a new one (breakwater token create --role agent)';

const iso = (ms: number) => new Date(ms).toISOString();

/** Why a stored token cannot enroll an agent at `now`, or undefined when it can. */
export function joinTokenRefusal(token: TokenRecord, now: number): BreakwaterError | undefined {
  const refuse = (reason: string, message: string) => new BreakwaterError('BW_ERR_UNAUTHENTICATED', message, { reason, token: token.name });
  if (token.role !== 'agent') return refuse('not_a_join_token', `token \`${token.name}\` has role ${token.role}; enrollment needs a join token with role agent`);
  if (token.revokedAt !== null) return refuse('revoked', `join token \`${token.name}\` was revoked at ${iso(token.revokedAt)}; ${NEW_TOKEN}`);
  if (token.expiresAt !== null && token.expiresAt <= now) return refuse('expired', `join token \`${token.name}\` expired at ${iso(token.expiresAt)}; ${NEW_TOKEN}`);
  if (token.maxUses !== null && token.uses >= token.maxUses) {
    return refuse('used_up', `join token \`${token.name}\` has enrolled ${token.uses} of the ${token.maxUses} agent(s) it allows; ${NEW_TOKEN}`);
  }
  return undefined;
}

/** The join token a secret names, or the error saying why it cannot enroll (never echoing the secret). */
export async function joinTokenFor(store: Store, secret: string, now: number): Promise<TokenRecord> {
  const token = secret.startsWith('bwt_') ? await store.findTokenByHash(hashSecret(secret)) : undefined;
  if (!token) throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `the join token is unknown; ${NEW_TOKEN}`, { reason: 'unknown' });
  const refusal = joinTokenRefusal(token, now);
  if (refusal) throw refusal;
  return token;
}
