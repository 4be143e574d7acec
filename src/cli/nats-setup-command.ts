import { resolve } from 'node:path';
import { BreakwaterError, NATS_PREFIX } from '../protocol/index.js';
import type { Io } from './io.js';

/** `breakwater nats-setup` flags. */
export interface NatsSetupFlags {
  out?: string;
  prefix?: string;
}

/**
 * `breakwater nats-setup --out DIR [--prefix bw]`: a new NATS operator and accounts for the scaled
 * mode, written to DIR, and what to do with each file. Prints no secret: the seeds are in files
 * of mode 0600.
 *
 * @example
 * await natsSetupCommand({ out: '/etc/breakwater/nats' }, io);
 */
export async function natsSetupCommand(flags: NatsSetupFlags, io: Io): Promise<number> {
  if (!flags.out) throw new BreakwaterError('BW_ERR_CONFIG', '--out <dir> is required: the directory to write the NATS accounts into');
  const prefix = flags.prefix ?? 'bw';
  if (!NATS_PREFIX.test(prefix)) throw new BreakwaterError('BW_ERR_CONFIG', `--prefix: expected tokens of letters, digits, _ and -, separated by dots, found ${JSON.stringify(prefix)}`, { option: 'prefix' });
  const dir = resolve(flags.out);
  // Loaded here: the other commands (above all the agent) need none of the JWT code.
  const { ACCOUNTS_INCLUDE, REPLICA_CREDS, SIGNING_KEY_FILE, natsAccountSetup, writeNatsSetup } = await import('../server/index.js');
  const files = await natsAccountSetup(prefix);
  await writeNatsSetup(dir, files);
  const at = (name: string) => resolve(dir, name);
  io.stdout.write(`NATS accounts for subject prefix ${prefix} written to ${dir}:\n`);
  for (const f of files) io.stdout.write(`  ${f.name}${f.secret ? ' (secret, mode 0600)' : ''}: ${f.purpose}\n`);
  io.stdout.write(
    [
      '',
      'Next:',
      `  1. nats-server: copy ${at(ACCOUNTS_INCLUDE)} into the directory of its configuration (nats-server reads includes relative to it) and add`,
      `     \`include ${ACCOUNTS_INCLUDE}\` to that configuration (a \`jetstream { store_dir: ... }\` block after it sets the store), with TLS for agents on other hosts; restart it.`,
      `  2. every control-plane replica: breakwater server --bus nats://<nats-host>:4222 --nats-creds ${at(REPLICA_CREDS)} --nats-account-seed ${at(SIGNING_KEY_FILE)}`,
      `     (or BREAKWATER_NATS_ACCOUNT_SEED_FILE=${at(SIGNING_KEY_FILE)}); the bus prefix must be ${prefix}.`,
      '  3. agents enroll as before (--token); each receives its own NATS credentials in <data>/nats.creds, valid for its own subjects only.',
      `  4. move ${at('offline')} off this host: it re-signs the account (revocations, a new signing key). See docs/nats-accounts.md.`,
      '',
    ].join('\n'),
  );
  return 0;
}
