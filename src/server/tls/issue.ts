/**
 * Certificates of Breakwater's own private CA: the CA itself and the certificates it signs (the
 * control plane's server certificate; agents' client certificates for mutual TLS). Keys are made by
 * node:crypto (native, fast); node-forge only assembles and signs the X.509 structure, since Node
 * has no certificate generator.
 */
import { X509Certificate, generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import type { pki } from 'node-forge';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';

export interface KeyAndCert {
  /** PKCS#8 PEM. */
  readonly key: string;
  readonly cert: string;
}

const DAY_MS = 86_400_000;
/** The CA outlives many server certificates: renewing it means re-pinning every agent. */
export const CA_LIFETIME_DAYS = 3650;
export const LEAF_LIFETIME_DAYS = 397;

function newKey(): { key: string; publicPem: string } {
  // RSA because node-forge signs only RSA; 2048 bits is the CA/Browser Forum minimum and quick to make.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function skeleton(publicPem: string, days: number, commonName: string, clock: Clock): pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  // 127 random bits, positive: serials must be unique and unpredictable (RFC 5280, CA/B BR 7.1).
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = clock.now();
  // An hour of slack for clocks a little behind the control plane's.
  cert.validity.notBefore = new Date(now - 3600_000);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
  cert.setSubject([
    { name: 'organizationName', value: 'Breakwater' },
    { name: 'commonName', value: commonName },
  ]);
  return cert;
}

/** A new private CA (self-signed, may sign end-entity certificates only), valid from `clock`'s now. */
export function createCa(commonName = 'Breakwater private CA', clock: Clock = systemClock): KeyAndCert {
  const { key, publicPem } = newKey();
  const cert = skeleton(publicPem, CA_LIFETIME_DAYS, commonName, clock);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(key), forge.md.sha256.create());
  return { key, cert: forge.pki.certificateToPem(cert) };
}

export interface LeafRequest {
  readonly commonName: string;
  /** Server certificates: DNS names and IP addresses the certificate is valid for. */
  readonly sans?: readonly string[];
  readonly usage: 'server' | 'client';
  /** The holder's public key (SPKI PEM) when it made its own key pair; otherwise one is made. */
  readonly publicKey?: string;
}

/**
 * A certificate signed by `ca`. Returns the new private key too unless the request brought its
 * own public key (then `key` is empty).
 */
export function issueCertificate(ca: KeyAndCert, request: LeafRequest, clock: Clock = systemClock): KeyAndCert {
  const made = request.publicKey ? undefined : newKey();
  const cert = skeleton(request.publicKey ?? (made as { publicPem: string }).publicPem, LEAF_LIFETIME_DAYS, request.commonName, clock);
  const caCert = forge.pki.certificateFromPem(ca.cert);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = (request.sans ?? []).map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: request.usage === 'server', clientAuth: request.usage === 'client' },
    ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.key), forge.md.sha256.create());
  return { key: made?.key ?? '', cert: forge.pki.certificateToPem(cert) };
}

/**
 * Whether `certPem` was signed by `caPem`, is valid for at least `marginDays` more days and, when
 * `sans` is given, names exactly those (no more, no fewer). `clock` says when now is.
 */
export function stillGood(certPem: string, caPem: string, marginDays: number, sans?: readonly string[], clock: Clock = systemClock): boolean {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    ca = new X509Certificate(caPem);
  } catch {
    return false;
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  if (Date.parse(cert.validTo) - clock.now() < marginDays * DAY_MS) return false;
  if (!sans) return true;
  const present = (cert.subjectAltName ?? '').split(', ').filter(Boolean);
  return present.length === sans.length && sans.every((name) => (isIP(name) ? cert.checkIP(name) : cert.checkHost(name, { wildcards: false })) !== undefined);
}
