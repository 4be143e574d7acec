import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyPair } from '@nats-io/nkeys';
import { createAccount, createOperator, createUser } from '@nats-io/nkeys';
import { BreakwaterError, natsCredsFile, natsSubjects } from '../../protocol/index.js';
import type { SigningKeyFile } from './agent-issuer.js';
import { mintAccount, mintOperator, mintUser } from './jwts.js';
import { replicaPermissions } from './permissions.js';

/** The files of one NATS account set-up, by name; `secret` ones are written mode 0600. */
export interface NatsSetupFile {
  readonly name: string;
  readonly text: string;
  readonly secret: boolean;
  /** What it is for, as `breakwater nats-setup` prints it. */
  readonly purpose: string;
}

/** The include file's name: the nats-server configuration holds `include nats-accounts.conf`. */
export const ACCOUNTS_INCLUDE = 'nats-accounts.conf';
export const SIGNING_KEY_FILE = 'account-signing-key.json';
export const REPLICA_CREDS = 'replica.creds';

/**
 * A fresh operator, system account and fleet account (JetStream on, one signing key for agents'
 * JWTs), and a user for the control-plane replicas, as the files an operator installs: the
 * nats-server include (operator JWT, `resolver: MEMORY` preloaded with both accounts' JWTs), the
 * signing key for `breakwater server --nats-account-seed`, the replicas' creds for
 * `--nats-creds`, and the operator's and account's own seeds (to re-sign the account later:
 * revocations, a new signing key), which belong offline.
 *
 * @example
 * for (const f of await natsAccountSetup('bw')) console.log(f.name, f.purpose);
 */
export async function natsAccountSetup(prefix: string): Promise<NatsSetupFile[]> {
  const subjects = natsSubjects(prefix);
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const signer = createAccount();
  const replica = createUser();
  const accountName = `breakwater-${prefix}`;
  const operatorJwt = await mintOperator('breakwater', operator, system.getPublicKey());
  const systemJwt = await mintAccount('SYS', system, operator, { jetstream: false });
  const accountJwt = await mintAccount(accountName, account, operator, { jetstream: true, signingKeys: [signer.getPublicKey()] });
  const replicaJwt = await mintUser({ user: replica.getPublicKey(), name: 'breakwater-replica', permissions: replicaPermissions(subjects) }, account.getPublicKey(), signer);
  const signingKey: SigningKeyFile = { kind: 'breakwater-nats-account-signing-key', prefix, account: account.getPublicKey(), seed: seedOf(signer) };
  const include = [
    `# Breakwater's NATS accounts (breakwater nats-setup, subject prefix ${prefix}): no secrets here.`,
    '# Include it from the nats-server configuration: include nats-accounts.conf',
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  # ${accountName}: the fleet's account, JetStream enabled; agents' and replicas' users are signed by its signing key`,
    `  ${account.getPublicKey()}: ${accountJwt}`,
    '  # SYS: the system account',
    `  ${system.getPublicKey()}: ${systemJwt}`,
    '}',
    '# JetStream on; a `jetstream { store_dir: … }` block after the include sets where it keeps its data.',
    'jetstream: enabled',
    '',
  ].join('\n');
  return [
    { name: ACCOUNTS_INCLUDE, text: include, secret: false, purpose: 'nats-server: `include` it from the server configuration' },
    { name: SIGNING_KEY_FILE, text: `${JSON.stringify(signingKey, null, 2)}\n`, secret: true, purpose: 'breakwater server --nats-account-seed: signs each agent\'s NATS credential at enrollment' },
    { name: REPLICA_CREDS, text: natsCredsFile(replicaJwt, seedOf(replica)), secret: true, purpose: 'breakwater server --nats-creds: the replicas\' own NATS user' },
    { name: 'offline/operator.nk', text: `${seedOf(operator)}\n`, secret: true, purpose: 'the operator\'s seed: signs account JWTs; keep it offline' },
    { name: 'offline/account.nk', text: `${seedOf(account)}\n`, secret: true, purpose: 'the fleet account\'s identity seed; keep it offline' },
    { name: 'offline/system-account.nk', text: `${seedOf(system)}\n`, secret: true, purpose: 'the system account\'s seed; keep it offline' },
  ];
}

/**
 * Writes the set-up into `dir` (created mode 0700); refuses to replace any existing file: a new
 * operator would silently invalidate every credential issued under the old one.
 *
 * @example
 * await writeNatsSetup('/etc/breakwater/nats', await natsAccountSetup('bw'));
 */
export async function writeNatsSetup(dir: string, files: readonly NatsSetupFile[]): Promise<void> {
  // All checked before any is written, so a refusal leaves no half set beside an old one.
  for (const file of files) {
    const path = join(dir, file.name);
    if (await exists(path)) throw conflict(path);
  }
  for (const file of files) {
    const path = join(dir, file.name);
    await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
    try {
      await writeFile(path, file.text, { mode: file.secret ? 0o600 : 0o644, flag: 'wx' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw conflict(path);
      throw new BreakwaterError('BW_ERR_CONFIG', `cannot write ${path}: ${code ?? (err as Error).message}`, { path });
    }
  }
}

function conflict(path: string): BreakwaterError {
  return new BreakwaterError('BW_ERR_CONFLICT', `${path} exists: nats-setup makes a new operator and accounts, which would end every credential issued under the old ones; choose another --out directory`, { path });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function seedOf(key: KeyPair): string {
  return new TextDecoder().decode(key.getSeed());
}
