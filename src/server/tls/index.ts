/**
 * HTTPS for the control plane (the API, the web UI and the agents' WebSocket ride one server):
 * certificates of the operator's own, or a private CA and server certificate generated in the
 * data directory.
 *
 * @example
 * const tls = await serverTls({ sans: ['bw.example.com'] }, { dataDir: '/var/lib/breakwater', host: '0.0.0.0' });
 * Fastify({ https: tls.https });
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { BreakwaterError } from '../../protocol/index.js';
import { ensureGeneratedTls } from './generated.js';
import type { KeyAndCert } from './issue.js';
import type { ClientAuth } from './mutual.js';
import { clientAuth } from './mutual.js';

export { TLS_DIR } from './generated.js';
export type { KeyAndCert } from './issue.js';
export type { ClientAuth } from './mutual.js';
export { createCa, issueCertificate } from './issue.js';

/** TLS settings of a control plane; absent means plain HTTP. */
export interface ServerTlsOptions {
  /** PEM file of the server certificate (with its chain); with `key`. Neither: generate. */
  readonly cert?: string;
  readonly key?: string;
  /** Extra names for the generated certificate (`--tls-san`). */
  readonly sans?: readonly string[];
  /** Mutual TLS: PEM file of the CA that signs agents' client certificates (`--client-ca`). */
  readonly clientCa?: string;
}

export interface ServerTls {
  /** For node:https / fastify's `https` option. */
  readonly https: { readonly key: string; readonly cert: string } & Partial<ClientAuth['https']>;
  /** With `clientCa`: what the agent gateway checks, and enrollment's certificate issuer. */
  readonly clientAuth: ClientAuth | undefined;
  /** SHA-256 fingerprint (AA:BB:…) of the top certificate served: the generated CA, or the last of the operator's chain. */
  readonly fingerprint: string;
  /** The generated CA's file, to hand to agents and the CLI; undefined with certificates of the operator's own. */
  readonly caFile: string | undefined;
  readonly action: 'created' | 'renewed' | 'reused' | 'files';
}

const DNS_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** The names a generated certificate carries: loopback, this machine, the listen address, the extras. */
export function certificateNames(host: string, extra: readonly string[] = []): string[] {
  for (const name of extra) {
    if (!isIP(name) && !DNS_NAME.test(name)) throw new BreakwaterError('BW_ERR_CONFIG', `--tls-san: expected a DNS name or an IP address, found ${JSON.stringify(name)}`, { option: 'tlsSan' });
  }
  const own = hostname();
  const names = ['localhost', '127.0.0.1', '::1', ...(DNS_NAME.test(own) ? [own] : []), ...(WILDCARD_HOSTS.has(host) ? [] : [host]), ...extra];
  return [...new Set(names.map((n) => (isIP(n) ? n : n.toLowerCase())))];
}

/** Splits a PEM bundle into its certificates. */
export function pemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

async function readPem(option: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONFIG', `${option}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { option });
  }
}

async function mutualFor(options: ServerTlsOptions, ownCa: KeyAndCert | undefined): Promise<ClientAuth | undefined> {
  return options.clientCa ? clientAuth(await readPem('--client-ca', options.clientCa), ownCa) : undefined;
}

/** Loads the operator's certificate and key, or makes/reuses the generated ones in `<dataDir>/tls`. */
export async function serverTls(options: ServerTlsOptions, where: { dataDir: string; host: string }): Promise<ServerTls> {
  if (Boolean(options.cert) !== Boolean(options.key)) {
    throw new BreakwaterError('BW_ERR_CONFIG', '--tls-cert and --tls-key go together: give both (your own certificate) or neither (a generated one)', { option: options.cert ? 'tlsKey' : 'tlsCert' });
  }
  if (options.cert && options.key) {
    const [cert, key] = await Promise.all([readPem('--tls-cert', options.cert), readPem('--tls-key', options.key)]);
    const chain = pemCertificates(cert);
    if (!chain.length) throw new BreakwaterError('BW_ERR_CONFIG', `--tls-cert: ${options.cert} holds no PEM certificate`, { option: 'tlsCert' });
    let fingerprint: string;
    try {
      const leaf = new X509Certificate(chain[0] as string);
      if (!leaf.checkPrivateKey(createPrivateKey(key))) throw new Error('the key does not belong to the certificate');
      fingerprint = new X509Certificate(chain[chain.length - 1] as string).fingerprint256;
    } catch (err) {
      throw new BreakwaterError('BW_ERR_CONFIG', `--tls-cert/--tls-key: ${(err as Error).message}`, { option: 'tlsKey' });
    }
    const mutual = await mutualFor(options, undefined);
    return { https: { key, cert, ...mutual?.https }, clientAuth: mutual, fingerprint, caFile: undefined, action: 'files' };
  }
  const made = await ensureGeneratedTls(where.dataDir, certificateNames(where.host, options.sans));
  // Read after generating: `--client-ca <data>/tls/ca.pem` works on the very first start.
  const mutual = await mutualFor(options, made.ca);
  return {
    // The chain (server certificate, then the CA), so a client pinning the CA's fingerprint sees it.
    https: { key: made.server.key, cert: `${made.server.cert.trim()}\n${made.ca.cert.trim()}\n`, ...mutual?.https },
    clientAuth: mutual,
    fingerprint: new X509Certificate(made.ca.cert).fingerprint256,
    caFile: made.caFile,
    action: made.action,
  };
}
