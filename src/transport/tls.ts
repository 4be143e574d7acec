/**
 * How clients of the control plane (agents, the CLI) decide to trust it: a CA file, or the SHA-256
 * fingerprint of a certificate in the server's chain (usually its private CA), or the system's
 * public CAs. And the one rule about plain HTTP: only to loopback, unless the operator insists.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { connect } from 'node:tls';
import { BreakwaterError } from '../protocol/index.js';

/** What a client was told to trust; both empty means the system's CAs. */
export interface ClientTrust {
  /** Path of a PEM file with the CA certificate(s) to trust. */
  readonly caFile?: string | undefined;
  /** SHA-256 fingerprint (hex, colons optional) of a certificate in the server's chain. */
  readonly caFingerprint?: string | undefined;
}

/** 64 hex digits, upper case, no colons; `sha256:`/`SHA256=` prefixes and colons are accepted. */
export function normalizeFingerprint(text: string, option = '--ca-fingerprint'): string {
  const hex = text.trim().replace(/^sha-?256[:=]/i, '').replaceAll(':', '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new BreakwaterError('BW_ERR_CONFIG', `${option}: expected a SHA-256 fingerprint (64 hex digits, colons allowed), found ${JSON.stringify(text)}`, { option });
  return hex;
}

/** localhost, 127.0.0.0/8 and ::1: the only places plain HTTP may go without `--insecure`. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/**
 * Refuses plain http:// to anything but loopback unless `insecure`: join tokens, credentials and
 * the commands an agent runs as root would otherwise cross the network in clear text.
 */
export function requireEncrypted(url: URL, insecure: boolean, flag = '--insecure'): void {
  if (url.protocol === 'https:' || url.protocol === 'wss:' || insecure || isLoopback(url.hostname)) return;
  throw new BreakwaterError(
    'BW_ERR_CONFIG',
    `refusing plain ${url.protocol}// to ${url.hostname}: credentials and commands would travel unencrypted. Use https:// (the control plane serves TLS by default), or pass ${flag} if a TLS-terminating proxy or a private network carries it`,
    { option: flag.replace(/^--/, '') },
  );
}

const SHA256 = (der: Buffer) => createHash('sha256').update(der).digest('hex').toUpperCase();

/** The DER certificates the server sent, leaf first (Node links each to its issuer; the root to itself). */
function chainOf(peer: PeerCertificate & { issuerCertificate?: PeerCertificate }): Buffer[] {
  const out: Buffer[] = [];
  let cert: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = peer;
  while (cert?.raw && out.length < 10 && !out.some((d) => d.equals(cert?.raw as Buffer))) {
    out.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return out;
}

/**
 * Finds, in the chain the server presents, the certificate whose SHA-256 fingerprint is `pin` and
 * returns it as PEM, to be used as the only trusted CA of every later connection. This first
 * connection sends nothing: it only reads the server's certificates, so an impostor learns
 * nothing, and the real connections then verify the chain and the host name as usual.
 */
export function fetchPinnedCa(url: URL, pin: string, timeoutMs = 10_000): Promise<string> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no TLS answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      const chain = chainOf(socket.getPeerCertificate(true));
      const match = chain.find((der) => SHA256(der) === pin);
      clearTimeout(timer);
      socket.destroy();
      if (!match) {
        reject(new BreakwaterError('BW_ERR_UNAUTHENTICATED', `the server at ${host}:${port} presented no certificate with fingerprint ${pin} (it sent ${chain.map(SHA256).join(', ') || 'none'}): wrong --ca-fingerprint, or not the control plane you meant`));
        return;
      }
      resolve(new X509Certificate(match).toString());
    });
  });
}

/** The CA PEM a client should trust for `url`: from the file, from the pinned fingerprint, or undefined (system CAs). */
export async function trustedCa(trust: ClientTrust, url: URL): Promise<string | undefined> {
  if (trust.caFile) {
    try {
      return await readFile(trust.caFile, 'utf8');
    } catch (err) {
      throw new BreakwaterError('BW_ERR_CONFIG', `--ca: cannot read ${trust.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { option: 'ca' });
    }
  }
  if (trust.caFingerprint && (url.protocol === 'https:' || url.protocol === 'wss:')) return fetchPinnedCa(url, normalizeFingerprint(trust.caFingerprint));
  return undefined;
}

/**
 * Base64 SHA-256 of the public key (SPKI) of the certificate an https:// server presents, read
 * without trusting it: the form Chromium's --ignore-certificate-errors-spki-list and HPKP-style
 * pins take (the browser tests trust the lab's server key alone this way).
 */
export function serverKeySpki(url: string | URL, timeoutMs = 10_000): Promise<string> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const host = target.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(target.port || 443), rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS answer from ${target.host} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const der = new X509Certificate(socket.getPeerCertificate().raw).publicKey.export({ type: 'spki', format: 'der' });
      socket.destroy();
      resolve(createHash('sha256').update(der).digest('base64'));
    });
  });
}

const UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_SIGNATURE_FAILURE']);

/**
 * A sentence saying what went wrong with TLS and what to do, or undefined when `err` is not a TLS
 * problem. With `url`, a plain-HTTP request hung up on is explained too. `trustHint` names the way this program takes a CA (e.g. `pass --ca FILE or set BREAKWATER_CA`).
 */
export function explainTlsError(err: unknown, trustHint: string, url?: URL): string | undefined {
  const e = (err as { cause?: unknown }).cause && !(err as { code?: unknown }).code ? (err as { cause: unknown }).cause : err;
  const code = (e as { code?: string } | undefined)?.code ?? '';
  const message = (e as Error | undefined)?.message ?? '';
  if (UNTRUSTED.has(code)) return `certificate signed by an unknown CA (${code}): ${trustHint}`;
  if (code === 'CERT_HAS_EXPIRED') return 'the server certificate has expired: renew it (a generated one is renewed when the control plane restarts)';
  if (code === 'CERT_NOT_YET_VALID') return "the server certificate is not valid yet: check this machine's clock";
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the server certificate does not name this host (${message}): connect by a name it carries, or restart the control plane with --tls-san <name>`;
  if (code === 'EPROTO' && /wrong version number|packet length too long|http request/i.test(message)) return 'the server does not speak TLS here: use http:// if it runs with --no-tls';
  // A TLS server hangs up on plain HTTP without a word.
  if (url?.protocol === 'http:' && (code === 'ECONNRESET' || message === 'socket hang up')) return `${message || code} (the control plane serves TLS unless started with --no-tls: try https://${url.host})`;
  return undefined;
}
