/**
 * Mutual TLS for agents (`--client-ca FILE`): an agent's WebSocket must present a client
 * certificate signed by that CA and naming the agent, besides its `bwa_` credential. When the
 * client CA is the control plane's own generated CA, enrollment issues that certificate.
 */
import { X509Certificate, createPublicKey } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { BreakwaterError } from '../../protocol/index.js';
import type { KeyAndCert } from './issue.js';
import { issueCertificate } from './issue.js';

export interface ClientAuth {
  /** Extra options of the HTTPS server: ask for a client certificate, verify it against the client CA. */
  readonly https: { readonly ca: string; readonly requestCert: true; readonly rejectUnauthorized: false };
  /**
   * Why this connection may not speak for agent `name`, or undefined when its certificate is
   * signed by the client CA and its common name is the agent's name.
   */
  check(socket: Socket, name: string): string | undefined;
  /** Signs a client certificate for `name` (present when the control plane holds the client CA's key). */
  readonly issue: ((name: string, publicKeyPem: string) => string) | undefined;
}

/**
 * The API, the web UI and enrollment stay reachable without a client certificate (the server asks
 * for one but does not demand it at the handshake); the agent gateway demands it, through `check`.
 */
export function clientAuth(clientCaPem: string, ownCa: KeyAndCert | undefined): ClientAuth {
  let clientCa: X509Certificate;
  try {
    clientCa = new X509Certificate(clientCaPem);
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--client-ca: not a PEM certificate: ${(err as Error).message}`, { option: 'clientCa' });
  }
  const canIssue = ownCa !== undefined && new X509Certificate(ownCa.cert).fingerprint256 === clientCa.fingerprint256;
  return {
    https: { ca: clientCaPem, requestCert: true, rejectUnauthorized: false },
    check(socket, name) {
      const tls = socket as TLSSocket;
      if (typeof tls.getPeerCertificate !== 'function') return 'mutual TLS is required: connect over https:// with a client certificate';
      const peer = tls.getPeerCertificate();
      if (!peer || !peer.raw) return `no client certificate: this control plane requires one signed by its --client-ca (enroll again to be issued one${canIssue ? '' : ', or configure the agent with one'})`;
      if (!tls.authorized) return `the client certificate is not accepted: ${String(tls.authorizationError)}`;
      const cn = peer.subject?.CN;
      if (cn !== name) return `the client certificate names ${JSON.stringify(cn)}, not the agent \`${name}\``;
      return undefined;
    },
    issue: canIssue
      ? (name, publicKeyPem) => {
          let spki: string;
          try {
            spki = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'pem' }).toString();
          } catch {
            throw new BreakwaterError('BW_ERR_INVALID_REQUEST', 'publicKey: expected a PEM public key (SPKI)', { field: 'publicKey' });
          }
          return issueCertificate(ownCa as KeyAndCert, { commonName: name, usage: 'client', publicKey: spki }).cert;
        }
      : undefined,
  };
}
