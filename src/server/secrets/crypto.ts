import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { BreakwaterError } from '../../protocol/index.js';

/*
 * Secret values at rest: AES-256-GCM, a random 96-bit nonce per value, the
 * secret's name as associated data (a ciphertext copied onto another name
 * does not decrypt). Stored as base64(nonce | ciphertext | tag).
 */

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** A 32-byte key and its id (the first 16 hex digits of its sha256), which the store keeps beside each value. */
export interface SecretKey {
  readonly id: string;
  readonly key: Buffer;
}

export function secretKey(key: Buffer): SecretKey {
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

export function newSecretKey(): SecretKey {
  return secretKey(randomBytes(KEY_BYTES));
}

/** A key written as base64 of 32 bytes; `where` names its origin in the error (`BREAKWATER_SECRET_KEY`, a file). */
export function parseSecretKey(text: string, where: string): SecretKey {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64') !== trimmed) {
    throw new BreakwaterError('BW_ERR_SECRET_KEY', `${where}: expected a key of ${KEY_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`), found ${trimmed.length} characters that are not one`, { where });
  }
  return secretKey(key);
}

export function encryptSecret(k: SecretKey, name: string, value: string): { ciphertext: string; keyId: string } {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', k.key, nonce);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return { ciphertext: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64'), keyId: k.id };
}

/** Decrypts with whichever of `keys` has the value's key id; a clear BW_ERR_SECRET_KEY when none has it or the value does not authenticate. */
export function decryptSecret(keys: readonly SecretKey[], name: string, stored: { ciphertext: string; keyId: string }): string {
  const k = keys.find((candidate) => candidate.id === stored.keyId);
  if (!k) {
    const have = keys.length ? keys.map((c) => c.id).join(' and ') : 'none';
    throw new BreakwaterError('BW_ERR_SECRET_KEY', `secret ${name} was encrypted with key ${stored.keyId}, but the key in use is ${have}: start the control plane with the key it was encrypted with (BREAKWATER_SECRET_KEY or secret.key in the data directory), or set the secret again`, { secret: name, keyId: stored.keyId });
  }
  const raw = Buffer.from(stored.ciphertext, 'base64');
  try {
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw new Error('too short');
    const decipher = createDecipheriv('aes-256-gcm', k.key, raw.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(name, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new BreakwaterError('BW_ERR_SECRET_KEY', `secret ${name} does not decrypt with key ${k.id}: the stored value was altered or belongs to another name; set it again`, { secret: name, keyId: k.id }, { cause: err });
  }
}
