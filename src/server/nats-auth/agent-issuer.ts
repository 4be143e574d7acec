import { readFile } from 'node:fs/promises';
import type { KeyPair } from '@nats-io/nkeys';
import { fromPublic, fromSeed } from '@nats-io/nkeys';
import { z } from 'zod';
import { BreakwaterError, NATS_PREFIX, NATS_USER_PUBLIC_KEY, describeIssue, natsSubjects } from '../../protocol/index.js';
import type { Clock } from '../fleet/index.js';
import { mintUser } from './jwts.js';
import type { ResponseAllowance } from './permissions.js';
import { agentPermissions } from './permissions.js';

/** What `breakwater nats-setup` writes for the control plane (mode 0600): the key that signs agents' JWTs. */
export const SigningKeyFile = z
  .object({
    kind: z.literal('breakwater-nats-account-signing-key'),
    /** The subject prefix the account's permissions are written for (the fleet's `--bus` prefix). */
    prefix: z.string().regex(NATS_PREFIX),
    /** The account's public key (`A…`): the user JWTs name it as their issuer account. */
    account: z.string().regex(/^A[A-Z2-7]{55}$/, 'expected an account public key (A…)'),
    /** The account signing key's seed (`SA…`). Secret. */
    seed: z.string().regex(/^SA[A-Z2-7]{56}$/, 'expected an account signing key seed (SA…)'),
  })
  .strict();
export type SigningKeyFile = z.infer<typeof SigningKeyFile>;

/** Agent JWTs last 30 days unless told otherwise: the NATS-side bound on a revoked agent's credential. */
export const AGENT_JWT_TTL_MS = 30 * 24 * 3600_000;

export interface AgentNatsIssuerOptions {
  readonly allowance: ResponseAllowance;
  readonly clock: Clock;
  /** How long an agent's JWT is valid; default AGENT_JWT_TTL_MS. */
  readonly ttlMs?: number;
}

/**
 * Issues agents their NATS user JWTs at enrollment: the agent made its key pair and sends only the
 * public key; the JWT allows exactly its own subjects (agentPermissions) until it expires.
 *
 * @example
 * const issuer = await AgentNatsIssuer.fromFile('/etc/breakwater/nats/account-signing-key.json', { allowance, clock: systemClock });
 * const jwt = await issuer.issue('web-1', 'UD…');
 */
export class AgentNatsIssuer {
  private readonly signer: KeyPair;

  constructor(
    private readonly key: SigningKeyFile,
    private readonly options: AgentNatsIssuerOptions,
  ) {
    this.signer = fromSeed(new TextEncoder().encode(key.seed));
  }

  /** Reads and checks the file `breakwater nats-setup` wrote; every problem is a BW_ERR_CONFIG that names the file, never the seed. */
  static async fromFile(path: string, options: AgentNatsIssuerOptions): Promise<AgentNatsIssuer> {
    const problem = (why: string) => new BreakwaterError('BW_ERR_CONFIG', `--nats-account-seed: ${path}: ${why}`, { option: 'natsAccountSeed' });
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      throw problem(err instanceof SyntaxError ? 'not JSON: expected the account-signing-key.json that breakwater nats-setup wrote' : `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const parsed = SigningKeyFile.safeParse(raw);
    // The issues name fields and rules only; zod does not echo the values, so no seed reaches a log.
    if (!parsed.success) throw problem(parsed.error.issues.map((i) => describeIssue(i, 'file')).join('; '));
    try {
      return new AgentNatsIssuer(parsed.data, options);
    } catch {
      throw problem('the seed is not a valid nkey seed (its checksum does not match)');
    }
  }

  /** The subject prefix the issued permissions are written for. */
  get prefix(): string {
    return this.key.prefix;
  }

  /** A JWT for `agent` holding `userPublicKey` (`U…`); a key that is not a valid user public key is a 400. */
  async issue(agent: string, userPublicKey: string): Promise<string> {
    if (!NATS_USER_PUBLIC_KEY.test(userPublicKey) || !validChecksum(userPublicKey)) {
      throw new BreakwaterError('BW_ERR_INVALID_REQUEST', 'natsPublicKey: expected a NATS user public key (U… with a valid checksum), as `nkeys.createUser().getPublicKey()` makes', { field: 'natsPublicKey' });
    }
    const ttlMs = this.options.ttlMs ?? AGENT_JWT_TTL_MS;
    const expiresAt = Math.floor((this.options.clock.now() + ttlMs) / 1000);
    const permissions = agentPermissions(natsSubjects(this.key.prefix), agent, this.options.allowance);
    return mintUser({ user: userPublicKey, name: agent, permissions, expiresAt }, this.key.account, this.signer);
  }
}

function validChecksum(publicKey: string): boolean {
  try {
    fromPublic(publicKey);
    return true;
  } catch {
    return false;
  }
}
