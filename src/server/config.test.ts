import { describe, expect, it } from 'vitest';

import { BreakwaterError } from '../protocol/index.js';
import type { ServerOptions } from './config.js';
import { SERVER_DEFAULTS, resolveServerConfig } from './config.js';
import { HTTP_LIMITS } from './connection-limits.js';

/** The bad value, for the test's name (JSON would show NaN and Infinity as null). */
function show(options: Record<string, unknown>): string {
  const v = Object.values(options)[0];
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** The BreakwaterError thrown for these options (fails the test if they are accepted). */
function configError(options: Record<string, unknown>): BreakwaterError {
  try {
    resolveServerConfig(options as ServerOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(BreakwaterError);
    return err as BreakwaterError;
  }
  throw new Error(`options were accepted: ${JSON.stringify(options)}`);
}

describe('resolveServerConfig', () => {
  it('defaults: loopback on 7070, SQLite in .breakwater, 5 s heartbeat, 65 s query budget, 10 targets without confirmation', () => {
    expect(resolveServerConfig({})).toEqual({
      port: 7070,
      host: '127.0.0.1',
      dataDir: SERVER_DEFAULTS.dataDir,
      store: undefined,
      heartbeatMs: 5000,
      queryTimeoutMs: 65_000,
      logLevel: 'info',
      maxTargets: 10,
      webhooks: [],
      probeAllow: [],
      runOutputVisibility: 'operator',
      metricsAuth: 'token',
      agentQuotas: { eventsPerMinute: 600, rowsPerMinute: 600_000, permitsPerMinute: 60 },
      maxEventsPerHost: 100_000,
      httpLimits: HTTP_LIMITS,
      natsPrefix: 'bw',
    });
  });

  it('keeps what was given; durations as text or milliseconds', () => {
    const given = { probeAllow: ['10.0.0.0/8', 'localhost:8080', '[::1]:9000'], runOutputVisibility: 'all' as const, metricsAuth: 'none' as const };
    const c = resolveServerConfig({ port: 0, host: '::1', dataDir: '/var/lib/bw', store: 'postgresql://bw@db/bw', heartbeat: '200ms', queryTimeout: 90_000, logLevel: 'silent', maxTargets: 3, webhooks: ['http://127.0.0.1:9/hook'], agentQuotas: { eventsPerMinute: 5 }, maxEventsPerHost: 5000, ...given });
    expect(c).toEqual({ port: 0, host: '::1', dataDir: '/var/lib/bw', store: 'postgresql://bw@db/bw', heartbeatMs: 200, queryTimeoutMs: 90_000, logLevel: 'silent', maxTargets: 3, webhooks: ['http://127.0.0.1:9/hook'], agentQuotas: { eventsPerMinute: 5, rowsPerMinute: 600_000, permitsPerMinute: 60 }, maxEventsPerHost: 5000, httpLimits: HTTP_LIMITS, natsPrefix: 'bw', ...given });
    expect(resolveServerConfig({ heartbeat: '1m' }).heartbeatMs).toBe(60_000);
    expect(resolveServerConfig({ httpLimits: { headersTimeoutMs: 2000 } }).httpLimits).toEqual({ ...HTTP_LIMITS, headersTimeoutMs: 2000 });
  });

  it('keeps the public URL for links without its trailing slashes', () => {
    expect(resolveServerConfig({ publicUrl: 'https://bw.example.com/ops//' }).publicUrl).toBe('https://bw.example.com/ops');
  });

  it('is frozen', () => {
    expect(Object.isFrozen(resolveServerConfig({}))).toBe(true);
  });

  describe('every bad option is a BW_ERR_CONFIG that names it', () => {
    const cases: [option: string, options: Record<string, unknown>][] = [
      ['maxTargets', { maxTargets: 0 }],
      ['probeAllow.0', { probeAllow: ['example.com'] }],
      ['probeAllow.0', { probeAllow: ['10.0.0.0/33'] }],
      ['probeAllow.0', { probeAllow: ['300.1.1.1/8'] }],
      ['runOutputVisibility', { runOutputVisibility: 'viewer' }],
      ['metricsAuth', { metricsAuth: 'basic' }],
      ['httpLimits.maxUnauthenticatedPerAddress', { httpLimits: { maxUnauthenticatedPerAddress: 0 } }],
      ['httpLimits.headersTimeoutMs', { httpLimits: { headersTimeoutMs: 60_000 } }],
      ['webhooks.0', { webhooks: ['ftp://x'] }],
      ['publicUrl', { publicUrl: 'bw.example.com' }],
      ['publicUrl', { publicUrl: 'https://bw.example.com/?token=x' }],
      ['publicUrl', { publicUrl: 'https://admin:pw@bw.example.com' }],
      ['port', { port: -1 }],
      ['port', { port: 70_000 }],
      ['port', { port: 80.5 }],
      ['port', { port: '7070' }],
      ['host', { host: '' }],
      ['dataDir', { dataDir: '' }],
      ['store', { store: 'mysql://db/bw' }],
      ['store', { store: '/var/lib/bw.db' }],
      ['heartbeat', { heartbeat: 'often' }],
      ['heartbeat', { heartbeat: '0s' }],
      ['heartbeat', { heartbeat: -100 }],
      ['heartbeat', { heartbeat: Number.NaN }],
      ['heartbeat', { heartbeat: Number.POSITIVE_INFINITY }],
      ['heartbeat', { heartbeat: '30d' }],
      ['queryTimeout', { queryTimeout: '5 minutes' }],
      ['queryTimeout', { queryTimeout: 0 }],
      ['queryTimeout', { queryTimeout: Number.POSITIVE_INFINITY }],
      ['queryTimeout', { queryTimeout: 30 * 86_400_000 }],
      ['logLevel', { logLevel: 'trace' }],
      ['agentQuotas.eventsPerMinute', { agentQuotas: { eventsPerMinute: 0 } }],
      ['agentQuotas.permitsPerMinute', { agentQuotas: { permitsPerMinute: 1.5 } }],
      ['agentQuotas', { agentQuotas: { bytesPerMinute: 10 } }],
      ['maxEventsPerHost', { maxEventsPerHost: 10 }],
    ];
    it.each(cases.map(([option, options]) => [option, show(options), options] as const))('%s = %s', (option, _shown, options) => {
      const err = configError(options);
      expect(err.code).toBe('BW_ERR_CONFIG');
      expect(err.status).toBe(400);
      expect(err.message).toMatch(new RegExp(`(^|[ ;:])${option}:`));
    });
  });

  it('the longest timer (24.8 days) is accepted, not longer: Node would fire a longer timer at once', () => {
    expect(resolveServerConfig({ queryTimeout: 2 ** 31 - 1 }).queryTimeoutMs).toBe(2 ** 31 - 1);
    expect(configError({ queryTimeout: '25d' }).message).toContain('queryTimeout:');
  });

  it('a duration error quotes the bad value', () => {
    const err = configError({ heartbeat: 'often' });
    expect(err.message).toBe('heartbeat: expected a duration such as 5s or 1m, found "often"');
    expect(err.details).toEqual({ option: 'heartbeat' });
  });

  it('refuses a webhook URL with a user name or password, says how to authenticate instead, and does not repeat the password', () => {
    for (const url of ['https://user:s3cret@hooks.example/notify', 'https://s3cret@hooks.example/notify', 'https://:s3cret@hooks.example/']) {
      const err = configError({ webhooks: ['https://ok.example/hook', url] });
      expect(err.code).toBe('BW_ERR_CONFIG');
      expect(err.message).toContain('webhooks.1: a webhook URL must not carry a user name or password');
      expect(err.message).toContain('$BREAKWATER_WEBHOOK_AUTHORIZATION');
      expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain('s3cret');
    }
  });

  it('takes the webhooks\' Authorization header on one line', () => {
    expect(resolveServerConfig({ webhookAuthorization: 'Bearer abc' }).webhookAuthorization).toBe('Bearer abc');
    expect(configError({ webhookAuthorization: 'Bearer abc\r\nX-Evil: 1' }).message).toContain('webhookAuthorization:');
  });

  it('the scaled mode: a NATS URL, creds, a CA and a prefix, on PostgreSQL only', () => {
    const c = resolveServerConfig({ store: 'postgres://db/bw', bus: 'tls://nats.example:4222', natsCreds: '/etc/bw/server.creds', natsPrefix: 'fleet.eu', natsCa: '/etc/bw/nats-ca.pem' });
    expect(c).toMatchObject({ bus: 'tls://nats.example:4222', natsCreds: '/etc/bw/server.creds', natsPrefix: 'fleet.eu', natsCa: '/etc/bw/nats-ca.pem' });
    const sqlite = configError({ bus: 'nats://127.0.0.1:4222' });
    expect(sqlite.code).toBe('BW_ERR_CONFIG');
    expect(sqlite.message).toContain('needs --store postgres://');
    expect(sqlite.message).toContain('SQLite store belongs to one process');
    expect(configError({ store: 'postgres://db/bw', bus: 'http://nats:4222' }).message).toContain('bus: expected one nats:// or tls:// URL');
    expect(configError({ store: 'postgres://db/bw', bus: 'nats://n:4222', natsPrefix: 'bad prefix' }).message).toContain('natsPrefix:');
    expect(configError({ natsCreds: '/x.creds' }).message).toContain('give --bus');
  });
});
