import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCa, issueCertificate, stillGood } from './issue.js';

describe('private CA', () => {
  const ca = createCa();
  const sans = ['localhost', '127.0.0.1', '::1', 'bw.example.com'];
  const server = issueCertificate(ca, { commonName: 'bw', sans, usage: 'server' });

  it('makes a CA that may sign and a server certificate it signed, for exactly the names asked', () => {
    const caCert = new X509Certificate(ca.cert);
    const leaf = new X509Certificate(server.cert);
    expect(caCert.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(caCert) && leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkHost('bw.example.com')).toBe('bw.example.com');
    expect(leaf.checkIP('::1')).toBe('::1');
    expect(leaf.checkHost('other.example.com')).toBeUndefined();
    expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
  });

  it('tells a certificate that must be renewed: other names, another CA, too close to expiry', () => {
    expect(stillGood(server.cert, ca.cert, 30, sans)).toBe(true);
    expect(stillGood(server.cert, ca.cert, 30, sans.slice(0, 3))).toBe(false);
    expect(stillGood(server.cert, ca.cert, 30, [...sans, 'new.example.com'])).toBe(false);
    expect(stillGood(server.cert, createCa().cert, 30, sans)).toBe(false);
    expect(stillGood(server.cert, ca.cert, 400)).toBe(false);
    expect(stillGood('not a certificate', ca.cert, 30)).toBe(false);
  });

  it('signs a client certificate for a public key it was given, returning no key', () => {
    const holder = issueCertificate(ca, { commonName: 'holder', usage: 'client' });
    const pub = new X509Certificate(holder.cert).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const client = issueCertificate(ca, { commonName: 'web-1', usage: 'client', publicKey: pub });
    expect(client.key).toBe('');
    const leaf = new X509Certificate(client.cert);
    expect(leaf.subject).toContain('CN=web-1');
    expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.2');
    expect(leaf.publicKey.export({ type: 'spki', format: 'pem' }).toString()).toBe(pub);
  });
});
