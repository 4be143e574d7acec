import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/index.js';
import { startServer } from '../../src/server/index.js';
import { createCa, issueCertificate } from '../../src/server/tls/index.js';
import { fetchTrusting } from '../../src/transport/index.js';
import { AGENT_BIN, BIN, runCli } from '../helpers.js';

/*
 * TLS by default (issue item 5), with the real pieces: a control plane serving HTTPS/WSS with the
 * CA it generated, real `breakwater-agent` processes that must verify it (CA file or pinned
 * fingerprint) and refuse an impostor, the real CLI with and without the CA, and the CLI's server
 * command. Loopback only; every process is stopped at the end.
 */

const HANG_MS = 20_000;
const dirs: string[] = [];
const children = new Set<ChildProcess>();
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

let dataDir: string;
let server: RunningServer;
let ca: string;
let admin: string;
let joinToken: string;

afterAll(async () => {
  await Promise.all([...children].map((c) => stop(c)));
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 30_000);

beforeAll(async () => {
  dataDir = tmp('bw-tls-');
  server = await startServer({ port: 0, dataDir, logLevel: 'silent', tls: {} });
  ca = readFileSync(server.tls?.caFile as string, 'utf8');
  admin = server.initialAdminToken as string;
  joinToken = (await api<{ token: string }>('/api/v1/tokens', { role: 'agent', name: 'tls-join' })).token;
}, 30_000);

async function api<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetchTrusting(`${server.url}${path}`, {
    ca,
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A real process with its output gathered; `until` resolves when the output matches. */
function spawnWatched(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(command, args, { env: { ...process.env, NO_COLOR: '1', BREAKWATER_CA: undefined, BREAKWATER_CA_FINGERPRINT: undefined, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  const waiters: (() => void)[] = [];
  for (const s of [child.stdout, child.stderr]) {
    s.setEncoding('utf8').on('data', (d: string) => {
      output += d;
      for (const w of waiters.splice(0)) w();
    });
  }
  return {
    child,
    get output() {
      return output;
    },
    /** Waits for the output to match (or the process to exit), bounded only to turn a hang into a failure. */
    async until(pattern: RegExp): Promise<string> {
      const deadline = Date.now() + HANG_MS;
      while (!pattern.test(output)) {
        if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before printing ${pattern}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${HANG_MS} ms:\n${output}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 250);
        });
      }
      return (pattern.exec(output) as RegExpExecArray)[0];
    },
  };
}

function agent(name: string, trust: readonly string[], server_ = server.url) {
  return spawnWatched(AGENT_BIN, ['--server', server_, '--token', joinToken, '--name', name, '--data', join(tmp('bw-tls-agent-'), 'agent'), ...trust]);
}

async function waitConnected(name: string): Promise<void> {
  const deadline = Date.now() + HANG_MS;
  for (;;) {
    const agents = await api<{ name: string; status: string }[]>('/api/v1/agents');
    if (agents.some((a) => a.name === name && a.status === 'connected')) return;
    if (Date.now() > deadline) throw new Error(`${name} did not connect within ${HANG_MS} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function enrolled(name: string): Promise<boolean> {
  return (await api<{ name: string }[]>('/api/v1/agents')).some((a) => a.name === name);
}

describe('the control plane over TLS', () => {
  it('serves HTTPS and names the generated CA: its fingerprint, its file, keys readable by the owner only', () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.tls?.action).toBe('created');
    expect(server.tls?.fingerprint).toBe(new X509Certificate(ca).fingerprint256);
    for (const key of ['ca-key.pem', 'server-key.pem']) expect(statSync(join(dataDir, 'tls', key)).mode & 0o777).toBe(0o600);
    const leaf = new X509Certificate(readFileSync(join(dataDir, 'tls', 'server.pem')));
    expect(leaf.checkIssued(new X509Certificate(ca))).toBe(true);
    for (const name of ['localhost', '127.0.0.1', '::1']) expect(leaf.checkHost(name) ?? leaf.checkIP(name)).toBe(name);
  });

  it('an agent given --ca enrolls and connects over HTTPS and WSS', async () => {
    const a = agent('tls-ca', ['--ca', server.tls?.caFile as string]);
    await waitConnected('tls-ca');
    await stop(a.child);
  }, 30_000);

  it('an agent given the CA fingerprint (pinned, any format) enrolls and connects', async () => {
    const pin = (server.tls?.fingerprint as string).toLowerCase();
    const a = agent('tls-pin', ['--ca-fingerprint', pin]);
    await waitConnected('tls-pin');
    await stop(a.child);
  }, 30_000);

  it('an agent refuses a server whose chain does not match its pin, and says why, before sending its join token', async () => {
    const wrong = 'AB'.repeat(32);
    const a = agent('tls-wrong-pin', ['--ca-fingerprint', wrong]);
    await a.until(new RegExp(`presented no certificate with fingerprint ${wrong}.*wrong --ca-fingerprint`));
    expect(await enrolled('tls-wrong-pin')).toBe(false);
    await stop(a.child);
  }, 30_000);

  it('an agent refuses a server signed by another CA, or by any CA it was not given, and says what to pass', async () => {
    const otherCa = join(tmp('bw-tls-other-'), 'ca.pem');
    writeFileSync(otherCa, createCa().cert);
    const other = agent('tls-other-ca', ['--ca', otherCa]);
    const none = agent('tls-no-ca', []);
    for (const a of [other, none]) await a.until(/certificate signed by an unknown CA \(\w+\): pass --ca <the control plane's tls\/ca\.pem> or --ca-fingerprint/);
    expect(await enrolled('tls-other-ca')).toBe(false);
    expect(await enrolled('tls-no-ca')).toBe(false);
    expect(other.output + none.output).not.toContain(joinToken);
    await Promise.all([stop(other.child), stop(none.child)]);
  }, 30_000);

  it('an agent refuses plain http:// to a host that is not loopback without --insecure (nothing is sent: the configuration is refused)', async () => {
    const a = agent('tls-plain', [], 'http://192.0.2.10:7070');
    const code = await new Promise<number | null>((resolve) => a.child.once('exit', resolve));
    expect(code).toBe(2);
    expect(a.output).toMatch(/refusing plain http:\/\/ to 192\.0\.2\.10: .*pass --insecure .*\[BW_ERR_CONFIG\]/);
  }, 30_000);
});

describe('the CLI against a TLS control plane', () => {
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ BREAKWATER_SERVER: server.url, BREAKWATER_TOKEN: admin, BREAKWATER_CA: undefined, BREAKWATER_CA_FINGERPRINT: undefined, ...extra });

  it('without the CA: refuses, saying how to trust it', async () => {
    const r = await runCli(['get', 'agents'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/certificate signed by an unknown CA \(\w+\): pass --ca <data>\/tls\/ca\.pem or set BREAKWATER_CA/);
    expect(r.stderr).not.toContain(admin);
  });

  it('with the CA from --ca, BREAKWATER_CA or a pinned BREAKWATER_CA_FINGERPRINT: works, streaming answers included', async () => {
    for (const [args, extra] of [
      [['--ca', server.tls?.caFile as string], {}],
      [[], { BREAKWATER_CA: server.tls?.caFile }],
      [[], { BREAKWATER_CA_FINGERPRINT: server.tls?.fingerprint }],
    ] as const) {
      const r = await runCli(['run', ...args, 'host | count'], { env: env(extra) });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/count/);
    }
    const wrong = await runCli(['get', 'agents'], { env: env({ BREAKWATER_CA_FINGERPRINT: 'CD'.repeat(32) }) });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`presented no certificate with fingerprint ${'CD'.repeat(32)}`);
  }, 60_000);

  it('plain http:// to the TLS port: says to use https://', async () => {
    const r = await runCli(['get', 'agents'], { env: env({ BREAKWATER_SERVER: server.url.replace('https:', 'http:') }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the control plane serves TLS unless started with --no-tls: try https://${new URL(server.url).host}`);
  });
});

describe('the generated certificates across restarts', () => {
  it('reuses the CA and server certificate; renews the server certificate (same CA) when the names change; keeps keys 0600', async () => {
    const dir = tmp('bw-tls-restart-');
    const first = await startServer({ port: 0, dataDir: dir, logLevel: 'silent', tls: {} });
    await first.close();
    const serverPem = readFileSync(join(dir, 'tls', 'server.pem'), 'utf8');
    chmodSync(join(dir, 'tls', 'server-key.pem'), 0o644); // as after a careless restore from backup

    const second = await startServer({ port: 0, dataDir: dir, logLevel: 'silent', tls: {} });
    await second.close();
    expect(second.tls?.action).toBe('reused');
    expect(second.tls?.fingerprint).toBe(first.tls?.fingerprint);
    expect(readFileSync(join(dir, 'tls', 'server.pem'), 'utf8')).toBe(serverPem);
    expect(statSync(join(dir, 'tls', 'server-key.pem')).mode & 0o777).toBe(0o600);

    const third = await startServer({ port: 0, dataDir: dir, logLevel: 'silent', tls: { sans: ['bw.example.test'] } });
    expect(third.tls?.action).toBe('renewed');
    expect(third.tls?.fingerprint).toBe(first.tls?.fingerprint);
    expect(new X509Certificate(readFileSync(join(dir, 'tls', 'server.pem'))).checkHost('bw.example.test')).toBe('bw.example.test');
    // The renewed certificate is what the server presents: a client trusting the same CA connects.
    const res = await fetchTrusting(`${third.url}/healthz`, { ca: readFileSync(join(dir, 'tls', 'ca.pem'), 'utf8') });
    expect(res.status).toBe(200);
    await third.close();
  }, 60_000);
});

describe('breakwater server', () => {
  it('serves TLS by default, printing the CA fingerprint and BREAKWATER_CA; --no-tls serves plain HTTP', async () => {
    const dir = tmp('bw-tls-cli-');
    const tls = spawnWatched(process.execPath, [BIN, 'server', '--port', '0', '--data', dir]);
    const line = await tls.until(/BREAKWATER_CA=\S+/);
    expect(line).toBe(`BREAKWATER_CA=${join(dir, 'tls', 'ca.pem')}`);
    await tls.until(/BREAKWATER_SERVER=https:\/\/127\.0\.0\.1:\d+/);
    const fingerprint = new X509Certificate(readFileSync(join(dir, 'tls', 'ca.pem'))).fingerprint256;
    expect(tls.output).toContain(`SHA-256 fingerprint of the CA: ${fingerprint}`);
    await stop(tls.child);

    const plain = spawnWatched(process.execPath, [BIN, 'server', '--port', '0', '--data', tmp('bw-tls-plain-'), '--no-tls']);
    const url = (await plain.until(/BREAKWATER_SERVER=\S+/)).slice('BREAKWATER_SERVER='.length);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(plain.output).not.toContain('BREAKWATER_CA=');
    await stop(plain.child);
  }, 60_000);

  it('serves certificates of your own (--tls-cert/--tls-key), and refuses a key that is not the certificate’s', async () => {
    const dir = tmp('bw-tls-own-');
    const ownCa = createCa('Example Corp CA');
    const leaf = issueCertificate(ownCa, { commonName: 'bw', sans: ['localhost', '127.0.0.1'], usage: 'server' });
    writeFileSync(join(dir, 'cert.pem'), `${leaf.cert}${ownCa.cert}`);
    writeFileSync(join(dir, 'key.pem'), leaf.key, { mode: 0o600 });
    writeFileSync(join(dir, 'ca.pem'), ownCa.cert);
    writeFileSync(join(dir, 'other-key.pem'), createCa().key, { mode: 0o600 });

    const own = await startServer({ port: 0, dataDir: join(dir, 'data'), logLevel: 'silent', tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } });
    expect(own.tls).toMatchObject({ action: 'files', caFile: undefined, fingerprint: new X509Certificate(ownCa.cert).fingerprint256 });
    const r = await runCli(['get', 'agents'], { env: { BREAKWATER_SERVER: own.url, BREAKWATER_TOKEN: own.initialAdminToken, BREAKWATER_CA: join(dir, 'ca.pem') } });
    expect(r.code).toBe(0);
    await own.close();

    const bad = await runCli(['server', '--port', '0', '--data', join(dir, 'data2'), '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'other-key.pem')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--tls-cert/--tls-key: the key does not belong to the certificate [BW_ERR_CONFIG]');
    const half = await runCli(['server', '--port', '0', '--data', join(dir, 'data3'), '--tls-cert', join(dir, 'cert.pem')]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--tls-cert and --tls-key go together');
  }, 60_000);
});

describe('mutual TLS (--client-ca)', () => {
  it('issues an enrolling agent a client certificate for its own key, and lets no WebSocket in without it', async () => {
    const dir = tmp('bw-mtls-');
    const mtls = await startServer({ port: 0, dataDir: dir, logLevel: 'silent', tls: { clientCa: join(dir, 'tls', 'ca.pem') } });
    try {
      const caPem = readFileSync(join(dir, 'tls', 'ca.pem'), 'utf8');
      const call = async <T>(path: string, body?: unknown): Promise<T> =>
        (await (
          await fetchTrusting(`${mtls.url}${path}`, { ca: caPem, method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${mtls.initialAdminToken}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })
        ).json()) as T;
      const join_ = (await call<{ token: string }>('/api/v1/tokens', { role: 'agent', name: 'mtls-join' })).token;
      const agentDir = join(tmp('bw-mtls-agent-'), 'agent');
      const a = spawnWatched(AGENT_BIN, ['--server', mtls.url, '--token', join_, '--name', 'mtls-1', '--data', agentDir, '--ca', join(dir, 'tls', 'ca.pem')]);
      await a.until(/"to":"connected"/);
      expect((await call<{ name: string; status: string }[]>('/api/v1/agents')).find((x) => x.name === 'mtls-1')?.status).toBe('connected');

      const cert = new X509Certificate(readFileSync(join(agentDir, 'client.pem')));
      expect(cert.subject).toContain('CN=mtls-1');
      expect(cert.checkIssued(new X509Certificate(caPem))).toBe(true);
      for (const f of ['client.pem', 'client-key.pem']) expect(statSync(join(agentDir, f)).mode & 0o777).toBe(0o600);
      await stop(a.child);

      // The agent's own credential, over verified TLS, but without the certificate: refused before the upgrade.
      const credential = (JSON.parse(readFileSync(join(agentDir, 'credential.json'), 'utf8')) as { credential: string }).credential;
      const { default: WebSocket } = await import('ws');
      const attempt = (extra: { cert?: Buffer; key?: Buffer }) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const ws = new WebSocket(`${mtls.url.replace('https', 'wss')}/api/v1/agents/connect`, { headers: { authorization: `Bearer ${credential}` }, ca: caPem, ...extra });
          ws.on('unexpected-response', (_req, res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          ws.on('open', () => {
            ws.terminate();
            resolve({ status: 101, body: '' });
          });
          ws.on('error', reject);
        });
      const without = await attempt({});
      expect(without.status).toBe(401);
      expect(without.body).toContain('no client certificate: this control plane requires one signed by its --client-ca');
      expect((await attempt({ cert: readFileSync(join(agentDir, 'client.pem')), key: readFileSync(join(agentDir, 'client-key.pem')) })).status).toBe(101);
    } finally {
      await mtls.close();
    }
  }, 60_000);

  it('with a client CA of your own: an agent with a certificate you issued (--client-cert/--client-key) connects, one without is refused and told why', async () => {
    const dir = tmp('bw-mtls-own-');
    const ownCa = createCa('Example Corp agents CA');
    writeFileSync(join(dir, 'agents-ca.pem'), ownCa.cert);
    const mtls = await startServer({ port: 0, dataDir: join(dir, 'data'), logLevel: 'silent', tls: { clientCa: join(dir, 'agents-ca.pem') } });
    try {
      expect(mtls.tls?.clientAuth?.issue).toBeUndefined(); // not its own CA: it cannot sign
      const serverCa = mtls.tls?.caFile as string;
      const res = await fetchTrusting(`${mtls.url}/api/v1/tokens`, { ca: readFileSync(serverCa, 'utf8'), method: 'POST', headers: { authorization: `Bearer ${mtls.initialAdminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'agent', name: 'own-join' }) });
      const join_ = ((await res.json()) as { token: string }).token;
      const leaf = issueCertificate(ownCa, { commonName: 'own-1', usage: 'client' });
      writeFileSync(join(dir, 'own-1.pem'), leaf.cert);
      writeFileSync(join(dir, 'own-1-key.pem'), leaf.key, { mode: 0o600 });

      const withCert = spawnWatched(AGENT_BIN, ['--server', mtls.url, '--token', join_, '--name', 'own-1', '--data', join(dir, 'a1'), '--ca', serverCa, '--client-cert', join(dir, 'own-1.pem'), '--client-key', join(dir, 'own-1-key.pem')]);
      await withCert.until(/"to":"connected"/);
      const without = spawnWatched(AGENT_BIN, ['--server', mtls.url, '--token', join_, '--name', 'own-2', '--data', join(dir, 'a2'), '--ca', serverCa]);
      await without.until(/no client certificate: this control plane requires one signed by its --client-ca \(enroll again to be issued one, or configure the agent with one\)/);
      await Promise.all([stop(withCert.child), stop(without.child)]);
    } finally {
      await mtls.close();
    }
  }, 60_000);
});
