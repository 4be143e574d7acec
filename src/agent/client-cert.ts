/**
 * The agent's client certificate for mutual TLS: a key pair made here (the private key never
 * leaves the host), its public half sent at enrollment, and the certificate the control plane
 * signs kept beside the credential, both mode 0600.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BreakwaterError } from '../protocol/index.js';

const CERT = 'client.pem';
const KEY = 'client-key.pem';

export interface ClientKeyPair {
  /** PKCS#8 PEM. */
  readonly key: string;
  /** SPKI PEM, sent at enrollment. */
  readonly publicKey: string;
}

/** RSA, since the control plane's certificate library signs RSA keys only. */
export function newClientKeyPair(): ClientKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

/** Keeps the issued certificate and its key; with no certificate, removes any left from before (another CA's). */
export async function saveClientCertificate(dataDir: string, key: string, cert: string | undefined): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (!cert) {
    await Promise.all([rm(join(dataDir, CERT), { force: true }), rm(join(dataDir, KEY), { force: true })]);
    return;
  }
  await writePrivate(join(dataDir, KEY), key);
  await writePrivate(join(dataDir, CERT), cert);
}

/** A certificate and key of the operator's own (`--client-cert`/`--client-key`); unreadable files are a configuration error. */
export async function readProvidedCertificate(certFile: string, keyFile: string): Promise<{ cert: string; key: string }> {
  const read = async (flag: string, path: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new BreakwaterError('BW_ERR_CONFIG', `${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { option: flag.slice(2) });
    }
  };
  return { cert: await read('--client-cert', certFile), key: await read('--client-key', keyFile) };
}

/** The stored certificate and key, when the agent was issued one. */
export async function loadClientCertificate(dataDir: string): Promise<{ cert: string; key: string } | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(join(dataDir, CERT), 'utf8'), readFile(join(dataDir, KEY), 'utf8')]);
    return { cert, key };
  } catch {
    return undefined;
  }
}
