import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { certificateNames, pemCertificates } from './index.js';

describe('certificateNames', () => {
  it('names loopback, this machine, a specific listen address and the extras, once each', () => {
    const names = certificateNames('10.1.2.3', ['bw.example.com', 'BW.example.com', '192.0.2.7']);
    expect(names.slice(0, 3)).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(names).toContain(hostname().toLowerCase());
    expect(names).toContain('10.1.2.3');
    expect(names.filter((n) => n === 'bw.example.com')).toHaveLength(1);
    expect(names).toContain('192.0.2.7');
  });

  it('leaves out wildcard listen addresses and refuses a SAN that is neither a DNS name nor an IP', () => {
    expect(certificateNames('0.0.0.0')).not.toContain('0.0.0.0');
    expect(certificateNames('::')).not.toContain('::');
    for (const bad of ['bad name', '-x.example', 'x_y.example', '`id`']) expect(() => certificateNames('127.0.0.1', [bad])).toThrow(/--tls-san: expected a DNS name or an IP address/);
  });

  it('splits a PEM bundle into its certificates', () => {
    const one = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
    expect(pemCertificates(`${one}\n${one}\n`)).toHaveLength(2);
    expect(pemCertificates('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).toEqual([]);
  });
});
