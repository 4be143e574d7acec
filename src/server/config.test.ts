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
      httpLimits: HTTP_LIMITS,
    });
  });

  it('keeps what was given; durations as text or milliseconds', () => {
    const c = resolveServerConfig({ port: 0, host: '::1', dataDir: '/var/lib/bw', store: 'postgresql://bw@db/bw', heartbeat: '200ms', queryTimeout: 90_000, logLevel: 'silent', maxTargets: 3, webhooks: ['http://127.0.0.1:9/hook'] });
    expect(c).toEqual({ port: 0, host: '::1', dataDir: '/var/lib/bw', store: 'postgresql://bw@db/bw', heartbeatMs: 200, queryTimeoutMs: 90_000, logLevel: 'silent', maxTargets: 3, webhooks: ['http://127.0.0.1:9/hook'], httpLimits: HTTP_LIMITS });
    expect(resolveServerConfig({ heartbeat: '1m' }).heartbeatMs).toBe(60_000);
    expect(resolveServerConfig({ httpLimits: { headersTimeoutMs: 2000 } }).httpLimits).toEqual({ ...HTTP_LIMITS, headersTimeoutMs: 2000 });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(resolveServerConfig({}))).toBe(true);
  });

  describe('every bad option is a BW_ERR_CONFIG that names it', () => {
    const cases: [option: string, options: Record<string, unknown>][] = [
      ['maxTargets', { maxTargets: 0 }],
      ['httpLimits.maxUnauthenticatedPerAddress', { httpLimits: { maxUnauthenticatedPerAddress: 0 } }],
      ['httpLimits.headersTimeoutMs', { httpLimits: { headersTimeoutMs: 60_000 } }],
      ['webhooks.0', { webhooks: ['ftp://x'] }],
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
});
