import { createUser } from '@nats-io/nkeys';
import type { NatsSetupFile } from './index.js';

/** A user key pair as an agent makes one (the agent's own module is out of the server's reach). */
export function newUserKey(): { publicKey: string; seed: string } {
  const pair = createUser();
  return { publicKey: pair.getPublicKey(), seed: new TextDecoder().decode(pair.getSeed()) };
}

/** One file's text from natsAccountSetup's output. */
export function setupFile(files: readonly NatsSetupFile[], name: string): string {
  const file = files.find((f) => f.name === name);
  if (!file) throw new Error(`nats-setup wrote no ${name}`);
  return file.text;
}
