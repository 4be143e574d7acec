import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BreakwaterError } from '../../protocol/index.js';
import type { SecretKey } from './crypto.js';
import { newSecretKey, parseSecretKey } from './crypto.js';

/** The environment variables a key may come from (base64 of 32 bytes). */
export const SECRET_KEY_ENV = 'BREAKWATER_SECRET_KEY';
export const PREVIOUS_SECRET_KEY_ENV = 'BREAKWATER_SECRET_KEY_PREVIOUS';
/** The key file in the data directory when the environment gives none (0600, made on first use). */
export const SECRET_KEY_FILE = 'secret.key';
const PREVIOUS_KEY_FILE = 'secret.key.previous';

/**
 * The key that encrypts secret values, and the previous one while a rotation
 * is under way (values encrypted with it still read; they are re-encrypted with
 * the current key). From BREAKWATER_SECRET_KEY[_PREVIOUS], else from
 * secret.key[.previous] in the data directory.
 */
export class Keyring {
  private constructor(
    private readonly dataDir: string,
    private readonly fromEnv: boolean,
    private current: SecretKey | undefined,
    private previous: SecretKey | undefined,
  ) {}

  static async load(dataDir: string, env: NodeJS.ProcessEnv): Promise<Keyring> {
    const fromEnv = env[SECRET_KEY_ENV];
    if (fromEnv !== undefined && fromEnv !== '') {
      const previous = env[PREVIOUS_SECRET_KEY_ENV];
      return new Keyring(dataDir, true, parseSecretKey(fromEnv, SECRET_KEY_ENV), previous ? parseSecretKey(previous, PREVIOUS_SECRET_KEY_ENV) : undefined);
    }
    const read = async (file: string) => {
      const path = join(dataDir, file);
      const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw new BreakwaterError('BW_ERR_SECRET_KEY', `cannot read the secret key ${path}: ${err.message}`, { path }, { cause: err });
      });
      return text === undefined ? undefined : parseSecretKey(text, path);
    };
    return new Keyring(dataDir, false, await read(SECRET_KEY_FILE), await read(PREVIOUS_KEY_FILE));
  }

  /** Every key that may decrypt a stored value, the current one first. */
  keys(): SecretKey[] {
    return [this.current, this.previous].filter((k): k is SecretKey => k !== undefined);
  }

  /** The key to encrypt with; made (and written 0600) on first use when none is configured. */
  async encryptionKey(): Promise<SecretKey> {
    if (this.current) return this.current;
    const key = newSecretKey();
    await writeKeyFile(join(this.dataDir, SECRET_KEY_FILE), key);
    this.current = key;
    return key;
  }

  /**
   * Starts a rotation: the current key becomes the previous one (kept in
   * secret.key.previous until `finishRotation`), a new one becomes current.
   * A crash in between leaves both files, and the next start reads both.
   */
  async beginRotation(): Promise<SecretKey> {
    if (this.fromEnv) {
      throw new BreakwaterError('BW_ERR_CONFLICT', `the secret key comes from ${SECRET_KEY_ENV}, which the control plane cannot change: to rotate, restart it with ${PREVIOUS_SECRET_KEY_ENV} set to the current key and ${SECRET_KEY_ENV} to a new one (\`openssl rand -base64 32\`); values are re-encrypted at start, after which ${PREVIOUS_SECRET_KEY_ENV} can go`);
    }
    const old = await this.encryptionKey();
    await writeKeyFile(join(this.dataDir, PREVIOUS_KEY_FILE), old);
    const key = newSecretKey();
    await writeKeyFile(join(this.dataDir, SECRET_KEY_FILE), key);
    this.previous = old;
    this.current = key;
    return key;
  }

  /** Every value is encrypted with the current key: the previous one is forgotten (its file removed). */
  async finishRotation(): Promise<void> {
    this.previous = undefined;
    if (!this.fromEnv) await rm(join(this.dataDir, PREVIOUS_KEY_FILE), { force: true });
  }

  get hasPrevious(): boolean {
    return this.previous !== undefined;
  }
}

/** Written beside its place with a random name, O_EXCL and 0600, then renamed: never half a key, never readable by others. */
async function writeKeyFile(path: string, key: SecretKey): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(`${key.key.toString('base64')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path).catch(async (err: unknown) => {
    await rm(tmp, { force: true });
    throw err;
  });
}
