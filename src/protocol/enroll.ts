import { z } from 'zod/mini';

/** A NATS user public key: `U` and 55 base32 characters (nkeys' encoding; the checksum is checked where the key is used). */
export const NATS_USER_PUBLIC_KEY = /^U[A-Z2-7]{55}$/;

/** A NATS JWT's shape: three base64url parts. */
const NATS_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A user JWT with the longest allow-lists an agent gets is under 2 KB; this bounds what an agent stores. */
export const MAX_NATS_JWT_CHARS = 16_384;

/**
 * POST /api/v1/agents/enroll: a join token traded for the agent's own credential. The agent makes
 * its key pairs and sends only their public halves: `publicKey` (PEM) for a client certificate
 * under mutual TLS, `natsPublicKey` (`U…`) for a NATS user JWT in the scaled mode. Neither seed
 * nor private key ever leaves the host.
 *
 * @example
 * EnrollRequest.parse({ token: 'bwj_…', name: 'web-1', hostId: '3f2a…', natsPublicKey: 'UD…' });
 */
export const EnrollRequest = z.object({
  token: z.string().check(z.minLength(1), z.maxLength(1024)),
  name: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/, 'expected a name of letters, digits, `.`, `_`, `-`, `@`')),
  hostId: z.string().check(z.minLength(1), z.maxLength(256)),
  publicKey: z.optional(z.string().check(z.maxLength(4096))),
  natsPublicKey: z.optional(z.string().check(z.regex(NATS_USER_PUBLIC_KEY, 'expected a NATS user public key (U followed by 55 base32 characters)'))),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

/**
 * The enrollment's answer. `natsJwt` is there when the control plane signs NATS credentials
 * (`--nats-account-seed`) and the agent sent `natsPublicKey`: the agent writes it with its own seed
 * into its creds file. A JWT holds no secret.
 *
 * @example
 * const r = EnrollResponse.safeParse(JSON.parse(body));
 */
export const EnrollResponse = z.object({
  agentId: z.string().check(z.minLength(1), z.maxLength(128)),
  credential: z.string().check(z.minLength(1), z.maxLength(1024)),
  clientCertificate: z.optional(z.string().check(z.maxLength(65_536))),
  natsJwt: z.optional(z.string().check(z.maxLength(MAX_NATS_JWT_CHARS), z.regex(NATS_JWT, 'expected a JWT (three base64url parts)'))),
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;

/**
 * The standard NATS creds file (what `nsc` writes and every NATS client reads): the user JWT, then
 * the user's seed. Secret: whoever writes it writes it mode 0600.
 *
 * @example
 * await writeFile('nats.creds', natsCredsFile(jwt, 'SU…'), { mode: 0o600 });
 */
export function natsCredsFile(jwt: string, seed: string): string {
  return [
    '-----BEGIN NATS USER JWT-----',
    jwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    'NKEY Seed printed below can be used to sign and prove identity.',
    'NKEYs are sensitive and should be treated as secrets.',
    '',
    '-----BEGIN USER NKEY SEED-----',
    seed,
    '------END USER NKEY SEED------',
    '',
    '*************************************************************',
    '',
  ].join('\n');
}
