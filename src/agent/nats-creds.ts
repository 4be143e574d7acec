/**
 * The agent's NATS identity in the scaled mode: a user nkey made here (the seed never leaves the
 * host), its public key sent at enrollment, and the user JWT the control plane signs for it kept
 * with the seed as the standard creds file `<dataDir>/nats.creds`, mode 0600, which the agent's
 * NATS transport (`--bus`) connects with.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { natsCredsFile } from '../protocol/index.js';

export const NATS_CREDS_FILE = 'nats.creds';

export interface NatsUserKey {
  /** `U…`, sent at enrollment. */
  readonly publicKey: string;
  /** `SU…`: secret, written only into the creds file. */
  readonly seed: string;
}

/**
 * A fresh user key pair for one enrollment.
 *
 * @example
 * const key = newNatsUserKey(); // key.publicKey goes to enroll(), key.seed to saveNatsCreds()
 */
export function newNatsUserKey(): NatsUserKey {
  const pair = createUser();
  return { publicKey: pair.getPublicKey(), seed: new TextDecoder().decode(pair.getSeed()) };
}

/**
 * Keeps the issued JWT with its seed as `<dataDir>/nats.creds` (atomically, mode 0600); with no JWT
 * (a control plane that issues none), removes any left from before: it was issued under another
 * account, or for a key this enrollment replaced.
 *
 * @example
 * await saveNatsCreds(config.dataDir, enrolled.natsJwt, key.seed);
 */
export async function saveNatsCreds(dataDir: string, jwt: string | undefined, seed: string): Promise<void> {
  const path = join(dataDir, NATS_CREDS_FILE);
  if (!jwt) {
    await rm(path, { force: true });
    return;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, natsCredsFile(jwt, seed), { mode: 0o600 });
  await rename(tmp, path);
}
