import type { KeyPair } from '@nats-io/nkeys';
import { decode, encodeAccount, encodeOperator, encodeUser } from '@nats-io/jwt';
import type { ClaimsData, User } from '@nats-io/jwt';
import type { NatsPermissions } from './permissions.js';

/** Go's time.Duration in the JWT: nanoseconds. */
const NS_PER_MS = 1_000_000;

/** Everything unlimited: a NATS limit left out of a JWT decodes as 0, which means "none allowed". */
const UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

/**
 * The operator JWT: self-signed, naming the system account (the server's own monitoring and
 * account-update traffic lives there).
 *
 * @example
 * const jwt = await mintOperator('breakwater', createOperator(), sys.getPublicKey());
 */
export function mintOperator(name: string, operator: KeyPair, systemAccount: string): Promise<string> {
  return encodeOperator(name, operator, { system_account: systemAccount });
}

/**
 * An account JWT signed by the operator. With `jetstream`, JetStream is enabled for it without
 * limits (the streams carry their own); `signingKeys` may sign its users, so the account's own
 * identity key can stay with the operator.
 *
 * @example
 * const jwt = await mintAccount('fleet', account, operator, { jetstream: true, signingKeys: [signer.getPublicKey()] });
 */
export function mintAccount(name: string, account: KeyPair, operator: KeyPair, options: { jetstream: boolean; signingKeys?: readonly string[] }): Promise<string> {
  const jetstream = options.jetstream ? { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } : {};
  return encodeAccount(name, account, { limits: { ...UNLIMITED, ...jetstream }, ...(options.signingKeys ? { signing_keys: [...options.signingKeys] } : {}) }, { signer: operator });
}

/** Who a user JWT is for and what it may do. */
export interface UserGrant {
  /** The user's public nkey (`U…`): the holder of its seed proves it when connecting. */
  readonly user: string;
  /** The JWT's name: the agent's name, or the replica's. */
  readonly name: string;
  readonly permissions: NatsPermissions;
  /** Seconds since the epoch after which NATS refuses the JWT; none: it never expires. */
  readonly expiresAt?: number | undefined;
}

/**
 * A user JWT signed by the account's signing key, naming the account it belongs to.
 *
 * @example
 * const jwt = await mintUser({ user: 'U…', name: 'web-1', permissions }, 'A…', signingKey);
 */
export function mintUser(grant: UserGrant, account: string, signingKey: KeyPair): Promise<string> {
  const { pub, sub, resp } = grant.permissions;
  const claims = { pub: { allow: [...pub.allow] }, sub: { allow: [...sub.allow] }, resp: { max: resp.max, ttl: resp.ttlMs * NS_PER_MS } };
  return encodeUser(grant.name, grant.user, account, claims, { signer: signingKey, ...(grant.expiresAt !== undefined ? { exp: grant.expiresAt } : {}) });
}

/**
 * A user JWT's claims, its signature checked (against the key that claims to have issued it: who
 * that may be is the server's business).
 *
 * @example
 * decodeUserJwt(jwt).sub // the user's public key
 */
export function decodeUserJwt(jwt: string): ClaimsData<User> {
  return decode<User>(jwt);
}
