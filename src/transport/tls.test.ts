import { describe, expect, it } from 'vitest';
import { explainTlsError, isLoopback, normalizeFingerprint, requireEncrypted, trustedCa } from './tls.js';

describe('client trust', () => {
  it('normalises SHA-256 fingerprints in the forms people paste, and refuses anything else', () => {
    const hex = 'ab'.repeat(32);
    for (const form of [hex, hex.toUpperCase(), hex.match(/../g)?.join(':') ?? '', `sha256:${hex}`, ` SHA256=${hex} `]) expect(normalizeFingerprint(form)).toBe('AB'.repeat(32));
    for (const bad of ['', 'ab'.repeat(31), `${hex}00`, 'zz'.repeat(32)]) expect(() => normalizeFingerprint(bad)).toThrow(/--ca-fingerprint: expected a SHA-256 fingerprint/);
  });

  it('tells loopback from everything else', () => {
    for (const h of ['localhost', 'LOCALHOST', 'a.localhost', '127.0.0.1', '127.255.0.9', '[::1]', '::1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['10.0.0.1', '128.0.0.1', 'localhost.example.com', '[fe80::1]', '0.0.0.0', 'bw.example.com']) expect(isLoopback(h), h).toBe(false);
  });

  it('lets plain HTTP go to loopback, or anywhere with --insecure; never elsewhere', () => {
    expect(() => requireEncrypted(new URL('http://127.0.0.1:7070'), false)).not.toThrow();
    expect(() => requireEncrypted(new URL('https://10.0.0.1:7070'), false)).not.toThrow();
    expect(() => requireEncrypted(new URL('http://10.0.0.1:7070'), true)).not.toThrow();
    expect(() => requireEncrypted(new URL('ws://10.0.0.1:7070'), false)).toThrow(/refusing plain ws:\/\/ to 10\.0\.0\.1: .*pass --insecure/);
  });

  it('explains certificate errors with what to do, and leaves other errors alone', () => {
    const err = (code: string, message = code) => Object.assign(new Error(message), { code });
    expect(explainTlsError(err('SELF_SIGNED_CERT_IN_CHAIN'), 'pass --ca FILE')).toBe('certificate signed by an unknown CA (SELF_SIGNED_CERT_IN_CHAIN): pass --ca FILE');
    expect(explainTlsError(new TypeError('fetch failed', { cause: err('UNABLE_TO_VERIFY_LEAF_SIGNATURE') }), 'hint')).toContain('unknown CA');
    expect(explainTlsError(err('ERR_TLS_CERT_ALTNAME_INVALID', "Host: x. is not in the cert's altnames"), 'hint')).toContain('--tls-san');
    expect(explainTlsError(err('CERT_HAS_EXPIRED'), 'hint')).toContain('expired');
    expect(explainTlsError(err('ECONNRESET', 'socket hang up'), 'hint', new URL('http://127.0.0.1:7070'))).toContain('try https://127.0.0.1:7070');
    expect(explainTlsError(err('ECONNREFUSED'), 'hint', new URL('https://127.0.0.1:7070'))).toBeUndefined();
  });

  it('reads the CA file, naming it when it cannot', async () => {
    await expect(trustedCa({ caFile: '/nonexistent/ca.pem' }, new URL('https://127.0.0.1:1'))).rejects.toThrow('--ca: cannot read /nonexistent/ca.pem: ENOENT');
    expect(await trustedCa({}, new URL('https://127.0.0.1:1'))).toBeUndefined();
  });
});
