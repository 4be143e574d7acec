/**
 * The agent's NATS identity in the scaled mode: a user nkey made here (the seed never leaves the
 * host), its public key sent at enrollment, and the user JWT the control plane signs for it kept
 * with the seed as the standard creds file `<dataDir>/nats.creds`, mode 0600, which the agent's
 * NATS transport (`--bus`) connects with.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BreakwaterError, NatsCredentialResponse, describeIssues, natsCredsFile } from '../protocol/index.js';
import { request } from './http-request.js';
import { newNatsUserKey } from './nats-user-key.js';

export const NATS_CREDS_FILE = 'nats.creds';

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

/**
 * When the creds in `dataDir` are due for renewal: two thirds into the JWT's life (from its `iat`
 * to its `exp`), so a day or more of failed attempts still leaves it valid. Undefined without a
 * creds file or a JWT that expires.
 *
 * @example
 * const at = await natsCredsRenewAt(config.dataDir); if (at !== undefined && Date.now() >= at) await renewNatsCreds(...);
 */
export async function natsCredsRenewAt(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, NATS_CREDS_FILE), 'utf8').catch(() => '');
  const jwt = /-----BEGIN NATS USER JWT-----\s*\n([A-Za-z0-9_.-]+)\s*\n/.exec(text)?.[1];
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(jwt?.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const { iat, exp } = (claims ?? {}) as { iat?: unknown; exp?: unknown };
  if (typeof iat !== 'number' || typeof exp !== 'number' || !(exp > iat)) return undefined;
  return (iat + ((exp - iat) * 2) / 3) * 1000;
}

/**
 * A new key pair and its JWT from the control plane (POST /api/v1/agents/nats-credential, with
 * the agent's own credential), written over the old creds only once the new JWT is in hand.
 *
 * @example
 * await renewNatsCreds(config.server, credential.credential, config.dataDir, await trust());
 */
export async function renewNatsCreds(server: URL, credential: string, dataDir: string, ca: string | undefined): Promise<void> {
  const key = newNatsUserKey();
  const res = await request(new URL('/api/v1/agents/nats-credential', server), {
    ca,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
    body: JSON.stringify({ natsPublicKey: key.publicKey }),
    timeoutMs: 10_000,
  });
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = undefined;
  }
  if (res.status !== 200) {
    const message = typeof (body as { message?: unknown } | undefined)?.message === 'string' ? (body as { message: string }).message : res.statusText;
    throw new BreakwaterError(res.status === 401 ? 'BW_ERR_UNAUTHENTICATED' : 'BW_ERR_UNAVAILABLE', `renewing the NATS credentials failed (HTTP ${res.status}): ${message}`);
  }
  const answer = NatsCredentialResponse.safeParse(body);
  if (!answer.success) throw new BreakwaterError('BW_ERR_PROTOCOL', `the control plane's NATS credential answer is malformed: ${describeIssues(answer.error)}`);
  await saveNatsCreds(dataDir, answer.data.natsJwt, key.seed);
}
