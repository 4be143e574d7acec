import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { BreakwaterError } from '../protocol/index.js';
import type { AgentOptions } from './config.js';
import { MAX_TIMER_MS } from '../protocol/index.js';
import { AGENT_DEFAULTS, durationMs, listenAddress, resolveAgentConfig } from './config.js';

const SERVER = 'http://127.0.0.1:7070';
const ENV = { HOME: '/home/ops' };

/** The bad value, for the test's name (JSON would show NaN and Infinity as null). */
function show(options: Record<string, unknown>): string {
  const v = Object.values(options)[0];
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** The BreakwaterError thrown for these options (fails the test if they are accepted). */
function configError(options: Record<string, unknown>): BreakwaterError {
  let thrown: unknown = 'nothing: the options were accepted';
  try {
    resolveAgentConfig({ server: SERVER, ...options } as AgentOptions, ENV);
  } catch (err) {
    thrown = err;
  }
  expect(thrown, JSON.stringify(options)).toBeInstanceOf(BreakwaterError);
  return thrown as BreakwaterError;
}

describe('resolveAgentConfig', () => {
  it('scaled mode: --bus with its NATS options (prefix bw by default); those options alone, or a bad URL or prefix, are refused', () => {
    expect(resolveAgentConfig({ server: SERVER }, ENV).bus).toBeUndefined();
    expect(resolveAgentConfig({ server: SERVER, bus: 'nats://10.0.0.5:4222' }, ENV).bus).toEqual({ servers: ['nats://10.0.0.5:4222'], creds: undefined, prefix: 'bw', ca: undefined });
    expect(resolveAgentConfig({ server: SERVER, bus: 'tls://a:4222, tls://b:4222', natsCreds: '/etc/bw/agent.creds', natsPrefix: 'prod.eu', natsCa: '/etc/bw/ca.pem' }, ENV).bus).toEqual({
      servers: ['tls://a:4222', 'tls://b:4222'],
      creds: '/etc/bw/agent.creds',
      prefix: 'prod.eu',
      ca: '/etc/bw/ca.pem',
    });
    expect(configError({ natsCreds: '/x', natsPrefix: 'p' }).message).toMatch(/--nats-creds: only with --bus; --nats-prefix: only with --bus/);
    expect(configError({ bus: 'http://10.0.0.5:4222' }).message).toMatch(/bus: expected nats:\/\/HOST:PORT/);
    expect(configError({ bus: 'nats://a:4222', natsPrefix: 'b w' }).message).toMatch(/natsPrefix: expected tokens of letters/);
  });

  it('discovers containers unless told not to, or unless it is a lab host (--process-root); a socket path is absolute', () => {
    expect(resolveAgentConfig({ server: SERVER }, ENV)).toMatchObject({ containers: true, containerSocket: undefined });
    expect(resolveAgentConfig({ server: SERVER, processRoot: '/srv/lab/web-1' }, ENV).containers).toBe(false);
    expect(resolveAgentConfig({ server: SERVER, processRoot: '/srv/lab/web-1', containers: true, containerSocket: '/run/podman/podman.sock' }, ENV)).toMatchObject({ containers: true, containerSocket: '/run/podman/podman.sock' });
    expect(resolveAgentConfig({ server: SERVER, containers: false }, ENV).containers).toBe(false);
    expect(configError({ containerSocket: 'podman.sock' }).message).toMatch(/containerSocket.*expected an absolute path/);
    expect(resolveAgentConfig({ server: SERVER, criSocket: '/run/crio/crio.sock' }, ENV).criSocket).toBe('/run/crio/crio.sock');
    expect(configError({ criSocket: 'crio.sock' }).message).toMatch(/criSocket.*expected an absolute path/);
  });

  it('reads the host\'s /proc where it is mounted (--host-proc, default /proc); the path is absolute', () => {
    expect(resolveAgentConfig({ server: SERVER }, ENV).hostProc).toBe('/proc');
    expect(resolveAgentConfig({ server: SERVER, hostProc: '/host/proc' }, ENV).hostProc).toBe('/host/proc');
    expect(configError({ hostProc: 'host/proc' }).message).toMatch(/hostProc.*expected an absolute path/);
    expect(resolveAgentConfig({ server: SERVER }, ENV).hostCgroup).toBe('/sys/fs/cgroup');
    expect(resolveAgentConfig({ server: SERVER, hostCgroup: '/host/sys/fs/cgroup' }, ENV).hostCgroup).toBe('/host/sys/fs/cgroup');
    expect(resolveAgentConfig({ server: SERVER, healthFile: '/tmp/h' }, ENV).healthFile).toBe('/tmp/h');
    expect(configError({ healthFile: 'h' }).message).toMatch(/healthFile.*expected an absolute path/);
  });

  it('takes any absolute path for --host-proc, --host-cgroup and --health-file and refuses anything else by name (bounded fuzz)', () => {
    fc.assert(
      fc.property(fc.constantFrom('hostProc', 'hostCgroup', 'healthFile'), fc.oneof(fc.string({ maxLength: 64 }), fc.anything()), (option, value) => {
        let config: ReturnType<typeof resolveAgentConfig> | undefined;
        try {
          config = resolveAgentConfig({ server: SERVER, [option]: value } as AgentOptions, ENV);
        } catch (err) {
          expect((err as BreakwaterError).code).toBe('BW_ERR_CONFIG');
          expect((err as Error).message).toContain(option);
        }
        // Absent (undefined) is the default; present, it must be an absolute path.
        const acceptable = value === undefined || (typeof value === 'string' && value.startsWith('/'));
        expect(config === undefined).toBe(!acceptable);
        if (config && value !== undefined) expect(config[option]).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses plain http:// to a host that is not loopback unless --insecure, naming the flag', () => {
    for (const server of ['http://10.0.0.5:7070', 'http://bw.example.com', 'http://[fe80::1]:7070']) {
      const err = configError({ server });
      expect(err.code).toBe('BW_ERR_CONFIG');
      expect(err.message).toMatch(/refusing plain http:\/\/ to .*pass --insecure/);
    }
    for (const server of ['http://127.0.0.1:7070', 'http://127.8.9.1', 'http://localhost:7070', 'http://[::1]:7070', 'https://10.0.0.5:7070']) {
      expect(resolveAgentConfig({ server }, ENV).insecure).toBe(false);
    }
    expect(resolveAgentConfig({ server: 'http://10.0.0.5:7070', insecure: true }, ENV).insecure).toBe(true);
  });

  it('takes a CA file or a fingerprint (normalised), not both', () => {
    const fp = 'ab:'.repeat(31) + 'ab';
    expect(resolveAgentConfig({ server: SERVER, caFingerprint: fp }, ENV).caFingerprint).toBe('AB'.repeat(32));
    expect(resolveAgentConfig({ server: SERVER, ca: '/etc/bw/ca.pem' }, ENV).ca).toBe('/etc/bw/ca.pem');
    expect(configError({ caFingerprint: 'abc' }).message).toContain('--ca-fingerprint: expected a SHA-256 fingerprint');
    expect(configError({ ca: '/x.pem', caFingerprint: fp }).message).toContain('--ca and --ca-fingerprint: give one of them');
  });

  it('fills the defaults for everything but the server', () => {
    const c = resolveAgentConfig({ server: SERVER }, ENV);
    expect(c.server.href).toBe('http://127.0.0.1:7070/');
    expect(c.token).toBeUndefined();
    expect(c.name).toBeUndefined();
    expect(c.tags).toEqual({});
    expect(c.collectIntervalMs).toBe(1000);
    expect(c.drainTimeoutMs).toBe(10_000);
    expect(c.commandTimeoutMs).toBe(60_000);
    expect(c.maxOutputBytes).toBe(AGENT_DEFAULTS.maxOutputBytes);
    expect(c.maxConcurrentCommands).toBe(AGENT_DEFAULTS.maxConcurrentCommands);
    expect(c.mounts).toBeUndefined();
    expect(c.logLevel).toBe('info');
  });

  it('keeps what was given, durations as text or milliseconds', () => {
    const c = resolveAgentConfig(
      {
        server: 'https://cp.example.com:8443',
        token: 'bwt_x',
        name: 'web-1',
        tags: { env: 'prod', 'team.name': 'ops' },
        dataDir: '/srv/agent',
        collectInterval: '500ms',
        drainTimeout: 2500,
        commandTimeout: '2m',
        maxOutputBytes: 4096,
        maxConcurrentCommands: 2,
        mounts: { '/srv/lab/data': '/data' },
        logLevel: 'debug',
      },
      ENV,
    );
    expect(c.server.origin).toBe('https://cp.example.com:8443');
    expect(c).toMatchObject({ token: 'bwt_x', name: 'web-1', tags: { env: 'prod', 'team.name': 'ops' }, dataDir: '/srv/agent', collectIntervalMs: 500, drainTimeoutMs: 2500, commandTimeoutMs: 120_000, maxOutputBytes: 4096, maxConcurrentCommands: 2, mounts: { '/srv/lab/data': '/data' }, logLevel: 'debug' });
  });

  it('is frozen: a running agent\'s config cannot be changed by accident', () => {
    const c = resolveAgentConfig({ server: SERVER, tags: { env: 'prod' } }, ENV);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.tags)).toBe(true);
  });

  it('puts the credential in a per-user state directory, or /var/lib as root', () => {
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    const home = resolveAgentConfig({ server: SERVER }, { HOME: '/home/ops' }).dataDir;
    const xdg = resolveAgentConfig({ server: SERVER }, { HOME: '/home/ops', XDG_STATE_HOME: '/state' }).dataDir;
    if (root) {
      expect(home).toBe('/var/lib/breakwater-agent');
      expect(xdg).toBe('/var/lib/breakwater-agent');
    } else {
      expect(home).toBe('/home/ops/.local/state/breakwater-agent');
      expect(xdg).toBe('/state/breakwater-agent');
    }
  });

  describe('every bad option is a BW_ERR_CONFIG that names it', () => {
    const cases: [option: string, options: Record<string, unknown>][] = [
      ['server', { server: 'ftp://cp.example.com' }],
      ['server', { server: '127.0.0.1:7070' }],
      ['token', { token: '' }],
      ['name', { name: 'web 1; rm -rf /' }],
      ['name', { name: '-web' }],
      ['tags', { tags: { 'bad key': 'x' } }],
      ['tags', { tags: { env: 42 } }],
      ['dataDir', { dataDir: '' }],
      ['collectInterval', { collectInterval: 'soon' }],
      ['collectInterval', { collectInterval: 0 }],
      // Beyond 2^31-1 ms Node's setInterval fires every millisecond.
      ['collectInterval', { collectInterval: '30d' }],
      ['drainTimeout', { drainTimeout: 2 ** 31 }],
      ['drainTimeout', { drainTimeout: '-5s' }],
      ['drainTimeout', { drainTimeout: Number.POSITIVE_INFINITY }],
      ['commandTimeout', { commandTimeout: '10 parsecs' }],
      ['commandTimeout', { commandTimeout: Number.NaN }],
      ['maxOutputBytes', { maxOutputBytes: 10 }],
      ['maxOutputBytes', { maxOutputBytes: 1.5e3 + 0.5 }],
      ['maxConcurrentCommands', { maxConcurrentCommands: 0 }],
      ['maxConcurrentCommands', { maxConcurrentCommands: 5000 }],
      ['mounts', { mounts: { 'relative/path': '/data' } }],
      ['mounts', { mounts: { '/srv/data': 'data' } }],
      ['logLevel', { logLevel: 'verbose' }],
    ];
    it.each(cases.map(([option, options]) => [option, show(options), options] as const))('%s = %s', (option, _shown, options) => {
      const err = configError(options);
      expect(err.code).toBe('BW_ERR_CONFIG');
      expect(err.status).toBe(400);
      expect(err.message).toMatch(new RegExp(`(^|[ ;:])${option}(\\.|:)`));
    });
  });

  it('a bad tag or env name says what names may be', () => {
    const err = configError({ tags: { 'bad key': 'x' }, env: { BW_AGENT: '1' } });
    expect(err.message).toContain('tags.bad key: tag names are letters');
    expect(err.message).toContain('env.BW_AGENT: BW_*, PATH and LD_* are set by the agent');
  });

  it('a missing server is named too', () => {
    const err = configError({ server: undefined });
    expect(err.code).toBe('BW_ERR_CONFIG');
    expect(err.message).toContain('server');
  });

  it('reports every problem at once, each naming its option', () => {
    const err = configError({ server: 'nope', logLevel: 'loud', maxConcurrentCommands: -1, commandTimeout: 'forever' });
    for (const option of ['server', 'logLevel', 'maxConcurrentCommands', 'commandTimeout']) expect(err.message).toContain(`${option}:`);
  });
});

describe('durationMs', () => {
  it('reads text durations and plain milliseconds', () => {
    expect(durationMs('x', '250ms')).toBe(250);
    expect(durationMs('x', '1.5s')).toBe(1500);
    expect(durationMs('x', '5m')).toBe(300_000);
    expect(durationMs('x', 42)).toBe(42);
  });

  it('refuses a duration longer than the given maximum, saying what the maximum is', () => {
    expect(durationMs('x', '24d', MAX_TIMER_MS)).toBe(24 * 86_400_000);
    expect(durationMs('x', '30d')).toBe(30 * 86_400_000);
    expect(() => durationMs('collectInterval', '30d', MAX_TIMER_MS)).toThrow('collectInterval: expected at most 24d, found "30d"');
  });

  it('names the option and quotes the bad value', () => {
    try {
      durationMs('drainTimeout', 'later');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'BW_ERR_CONFIG', details: { option: 'drainTimeout' } });
      expect((err as Error).message).toBe('drainTimeout: expected a duration such as 500ms, 30s or 5m, found "later"');
    }
  });
});

describe('--metrics-listen', () => {
  const config = (o: Partial<AgentOptions>) => resolveAgentConfig({ server: SERVER, ...o }, ENV);

  it('takes a loopback HOST:PORT (IPv4, [IPv6], localhost); off when not given', () => {
    expect(config({}).metricsListen).toBeUndefined();
    expect(config({ metricsListen: '127.0.0.1:9464' }).metricsListen).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config({ metricsListen: '[::1]:0' }).metricsListen).toEqual({ host: '::1', port: 0 });
    expect(config({ metricsListen: 'localhost:9100' }).metricsListen).toEqual({ host: 'localhost', port: 9100 });
  });

  it('refuses another address unless --metrics-allow-remote, saying why; the allowance alone is refused too', () => {
    expect(() => config({ metricsListen: '0.0.0.0:9464' })).toThrow(/--metrics-listen 0\.0\.0\.0: not a loopback address, and the exporter has no token; add --metrics-allow-remote/);
    expect(() => config({ metricsListen: '10.1.2.3:9464' })).toThrow(/not a loopback address/);
    expect(config({ metricsListen: '0.0.0.0:9464', metricsAllowRemote: true }).metricsListen).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(() => config({ metricsAllowRemote: true })).toThrow('--metrics-allow-remote: only with --metrics-listen');
  });

  it('refuses what is not HOST:PORT with an IP address: a name to resolve, no port, a port out of range', () => {
    for (const bad of ['9464', '127.0.0.1', 'prometheus.example.com:9464', '127.0.0.1:65536', '127.0.0.1:-1', '::1:9464', '[::1]', '127.0.0.1:94 64', '']) {
      expect(() => listenAddress(bad, true), bad).toThrow(/--metrics-listen: expected HOST:PORT with an IP address or localhost/);
    }
  });

  it('fuzz: any text is an address it can listen on or a BW_ERR_CONFIG naming the option, with a bounded message', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.tuple(fc.ipV4(), fc.integer({ min: -10, max: 70_000 })).map(([h, p]) => `${h}:${p}`), fc.tuple(fc.ipV6(), fc.nat(70_000)).map(([h, p]) => `[${h}]:${p}`)), fc.boolean(), (text, remote) => {
        try {
          const at = listenAddress(text, remote);
          expect(at.port).toBeGreaterThanOrEqual(0);
          expect(at.port).toBeLessThanOrEqual(65535);
          if (!remote) expect(['127.', '::1', 'localhost'].some((p) => at.host.startsWith(p))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(BreakwaterError);
          expect((err as BreakwaterError).details).toEqual({ option: 'metricsListen' });
          expect((err as Error).message.length).toBeLessThan(400);
        }
      }),
      { numRuns: 500 },
    );
  });
});
