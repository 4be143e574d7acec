/**
 * The CA and server certificate a control plane makes for itself on its first start without
 * certificates of the operator's own, kept in `<data>/tls/` and reused on later starts.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { KeyAndCert } from './issue.js';
import { createCa, issueCertificate, stillGood } from './issue.js';

export const TLS_DIR = 'tls';

export interface GeneratedTls {
  readonly ca: KeyAndCert;
  readonly server: KeyAndCert;
  readonly caFile: string;
  /** What this start did: made a new CA, renewed the server certificate, or reused both. */
  readonly action: 'created' | 'renewed' | 'reused';
}

/** A server certificate closer than this to its expiry is replaced at start. */
const RENEW_MARGIN_DAYS = 30;

async function readPair(dir: string, name: string): Promise<KeyAndCert | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(join(dir, `${name}.pem`), 'utf8'), readFile(join(dir, `${name}-key.pem`), 'utf8')]);
    return { cert, key };
  } catch {
    return undefined;
  }
}

/** Temporary file + rename: a crash never leaves half a key; the key is 0600 from its first byte. */
async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode, flag: 'w' });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

async function writePair(dir: string, name: string, pair: KeyAndCert): Promise<void> {
  await writeAtomic(join(dir, `${name}-key.pem`), pair.key, 0o600);
  await writeAtomic(join(dir, `${name}.pem`), pair.cert, 0o644);
}

function usableCa(pair: KeyAndCert | undefined): pair is KeyAndCert {
  if (!pair) return false;
  try {
    const cert = new X509Certificate(pair.cert);
    return cert.ca && cert.checkPrivateKey(createPrivateKey(pair.key)) && stillGood(pair.cert, pair.cert, RENEW_MARGIN_DAYS);
  } catch {
    return false;
  }
}

/**
 * Reuses `<dataDir>/tls/{ca,server}.pem` when they still fit (signed by that CA, not near expiry,
 * exactly these names); otherwise makes what is missing: a new CA only when there is no usable
 * one (a new CA means agents must trust it again), a new server certificate whenever the names
 * change. Key files are 0600.
 */
export async function ensureGeneratedTls(dataDir: string, sans: readonly string[]): Promise<GeneratedTls> {
  const dir = join(dataDir, TLS_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let action: GeneratedTls['action'] = 'reused';
  let ca = await readPair(dir, 'ca');
  if (!usableCa(ca)) {
    ca = createCa();
    await writePair(dir, 'ca', ca);
    action = 'created';
  }
  let server = await readPair(dir, 'server');
  if (!server || action === 'created' || !stillGood(server.cert, ca.cert, RENEW_MARGIN_DAYS, sans)) {
    server = issueCertificate(ca, { commonName: sans.find((s) => s !== 'localhost') ?? 'localhost', sans, usage: 'server' });
    await writePair(dir, 'server', server);
    if (action === 'reused') action = 'renewed';
  }
  // Keys copied in by hand or restored from a backup keep the mode we promise.
  await Promise.all([chmod(join(dir, 'ca-key.pem'), 0o600), chmod(join(dir, 'server-key.pem'), 0o600)]);
  return { ca, server, caFile: resolve(dir, 'ca.pem'), action };
}

