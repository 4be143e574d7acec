import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BreakwaterError } from '../protocol/index.js';
import type { Clock } from './fleet/index.js';
import { systemClock } from './fleet/index.js';
import type { Role, Store, TokenRecord } from './store/index.js';

/** Who is calling: a token's name and role. */
export interface Principal {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** When the token expires (ms since the epoch), if it does: streams it opened end then. */
  readonly expiresAt?: number | null;
}

const RANK: Readonly<Record<Role, number>> = { agent: 0, viewer: 1, operator: 2, admin: 3 };

/** What each human role may do, for error messages. */
export const ROLE_POWERS: Readonly<Record<Exclude<Role, 'agent'>, string>> = {
  viewer: 'queries without commands',
  operator: 'queries and defined actions',
  admin: 'ad-hoc shell commands, definitions and tokens',
};

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new secret: a prefix that says what it is (`bwt_` token, `bwa_` agent credential) and 32 random bytes. */
export function newSecret(prefix: 'bwt' | 'bwa'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Creates a token, stores only its hash, and returns the secret to show once. `maxUses` limits a
 *  join token's enrollments (null: no limit); `clock` dates it. */
export async function createToken(store: Store, role: Role, name: string, createdBy: string, expiresAt: number | null = null, maxUses: number | null = null, clock: Clock = systemClock): Promise<{ record: TokenRecord; secret: string }> {
  const secret = newSecret('bwt');
  const record: TokenRecord = { id: randomUUID(), name, role, hash: hashSecret(secret), createdAt: clock.now(), expiresAt, revokedAt: null, createdBy, maxUses, uses: 0 };
  await store.createToken(record);
  return { record, secret };
}

/**
 * The first admin token, if there is no admin yet: its secret, to show once; undefined when an
 * admin exists (or another replica starting at the same time created it first).
 *
 * @example
 * const secret = await createFirstAdminToken(store);
 * if (secret) console.log(`admin token: ${secret}`);
 */
export async function createFirstAdminToken(store: Store, clock: Clock = systemClock): Promise<string | undefined> {
  if (await store.hasAdmin()) return undefined;
  const secret = newSecret('bwt');
  const record: TokenRecord = { id: randomUUID(), name: 'admin', role: 'admin', hash: hashSecret(secret), createdAt: clock.now(), expiresAt: null, revokedAt: null, createdBy: 'breakwater-init', maxUses: null, uses: 0 };
  return (await store.createFirstAdmin(record)) ? secret : undefined;
}

/** The valid, unexpired, unrevoked token for a secret, or undefined. */
export async function verifyToken(store: Store, secret: string | undefined, now = systemClock.now()): Promise<TokenRecord | undefined> {
  if (!secret || !secret.startsWith('bwt_')) return undefined;
  const record = await store.findTokenByHash(hashSecret(secret));
  if (!record || record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now)) return undefined;
  return record;
}

/** Throws a 403 naming the role needed and the role held. */
export function requireRole(principal: Principal, needed: Role, what: string): void {
  if (hasRole(principal, needed)) return;
  throw new BreakwaterError('BW_ERR_FORBIDDEN', `${what} needs the ${needed} role; token \`${principal.name}\` has ${principal.role}`, { needed, held: principal.role });
}

export function hasRole(principal: Principal, needed: Role): boolean {
  return principal.role !== 'agent' && RANK[principal.role] >= RANK[needed];
}
