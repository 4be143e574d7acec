import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromSeed } from '@nats-io/nkeys';
import { afterAll, describe, expect, it } from 'vitest';
import { BreakwaterError } from '../protocol/index.js';
import { enroll } from './credentials.js';
import { NATS_CREDS_FILE, natsCredsRenewAt, renewNatsCreds, saveNatsCreds } from './nats-creds.js';
import { newNatsUserKey } from './nats-user-key.js';

const root = await mkdtemp(join(tmpdir(), 'bw-nats-creds-'));
afterAll(() => rm(root, { recursive: true, force: true }));
let seq = 0;
const dir = () => join(root, `d${++seq}`);
const JWT = 'eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJVIn0.c2ln';

/** A control plane that answers every enrollment with `answer`, recording what it was sent. */
async function fakeControlPlane(answer: unknown, status = 200): Promise<{ url: URL; sent: unknown[]; headers: string[]; close(): void }> {
  const sent: unknown[] = [];
  const headers: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      sent.push(JSON.parse(body));
      headers.push(req.headers.authorization ?? '');
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), sent, headers, close: () => server.close() };
}

describe('the agent\'s NATS credentials', () => {
  it('keeps the JWT with the seed as a standard creds file, 0600, with no temporary file left', async () => {
    const d = dir();
    const key = newNatsUserKey();
    await saveNatsCreds(d, JWT, key.seed);
    const text = await readFile(join(d, NATS_CREDS_FILE), 'utf8');
    expect(text.split('\n').slice(0, 3)).toEqual(['-----BEGIN NATS USER JWT-----', JWT, '------END NATS USER JWT------']);
    expect(text).toContain(`-----BEGIN USER NKEY SEED-----\n${key.seed}\n------END USER NKEY SEED------`);
    expect((await stat(join(d, NATS_CREDS_FILE))).mode & 0o777).toBe(0o600);
    expect(await readdir(d)).toEqual([NATS_CREDS_FILE]);
  });

  it('with no JWT (a control plane that issues none), removes the creds of an earlier enrollment', async () => {
    const d = dir();
    await saveNatsCreds(d, JWT, newNatsUserKey().seed);
    await saveNatsCreds(d, undefined, newNatsUserKey().seed);
    expect(await readdir(d)).toEqual([]);
    await expect(saveNatsCreds(join(d, 'never-made'), undefined, 'x')).resolves.toBeUndefined();
  });

  it('enroll sends the public key only, and returns the JWT the control plane signed', async () => {
    const cp = await fakeControlPlane({ agentId: 'a-1', credential: 'bwa_x', natsJwt: JWT });
    try {
      const key = newNatsUserKey();
      const got = await enroll(cp.url, 'bwj_join', 'web-1', 'host-1', { natsPublicKey: key.publicKey });
      expect(got).toMatchObject({ agentId: 'a-1', credential: 'bwa_x', natsJwt: JWT });
      expect(cp.sent).toEqual([{ token: 'bwj_join', name: 'web-1', hostId: 'host-1', natsPublicKey: key.publicKey }]);
      expect(JSON.stringify(cp.sent)).not.toContain(key.seed);
    } finally {
      cp.close();
    }
  });

  it('refuses an enrollment answer whose JWT is not a JWT (BW_ERR_PROTOCOL), so nothing bad is written', async () => {
    for (const natsJwt of ['not a jwt', 42, 'a.b.c\n-----BEGIN USER NKEY SEED-----', `${'a'.repeat(20_000)}.b.c`]) {
      const cp = await fakeControlPlane({ agentId: 'a-1', credential: 'bwa_x', natsJwt });
      try {
        const err = await enroll(cp.url, 'bwj_join', 'web-1', 'host-1', { natsPublicKey: newNatsUserKey().publicKey }).catch((e: unknown) => e);
        expect(err, String(natsJwt).slice(0, 40)).toBeInstanceOf(BreakwaterError);
        expect((err as BreakwaterError).code).toBe('BW_ERR_PROTOCOL');
      } finally {
        cp.close();
      }
    }
  });

  /** A creds file whose JWT has these claims (the signature is not the agent's business). */
  async function credsWith(claims: object): Promise<string> {
    const d = dir();
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    await saveNatsCreds(d, `${part({ typ: 'JWT', alg: 'ed25519-nkey' })}.${part(claims)}.c2ln`, newNatsUserKey().seed);
    return d;
  }

  it('is due for renewal two thirds into the JWT\'s life; never without creds or an expiry', async () => {
    expect(await natsCredsRenewAt(await credsWith({ iat: 1_000, exp: 4_000 }))).toBe(3_000_000);
    expect(await natsCredsRenewAt(await credsWith({ iat: 1_000 }))).toBeUndefined();
    expect(await natsCredsRenewAt(await credsWith({ iat: 5_000, exp: 4_000 }))).toBeUndefined();
    expect(await natsCredsRenewAt(dir())).toBeUndefined();
    const garbled = dir();
    await mkdir(garbled, { recursive: true });
    await writeFile(join(garbled, NATS_CREDS_FILE), '-----BEGIN NATS USER JWT-----\nnot.base64!.x\n');
    expect(await natsCredsRenewAt(garbled)).toBeUndefined();
  });

  it('renews with the agent\'s credential and a new key, replacing the creds only with a well-formed answer', async () => {
    const d = await credsWith({ iat: 1, exp: 2 });
    const before = await readFile(join(d, NATS_CREDS_FILE), 'utf8');
    const bad = await fakeControlPlane({ natsJwt: 'nope' });
    try {
      expect(((await renewNatsCreds(bad.url, 'bwa_mine', d, undefined).catch((e: unknown) => e)) as BreakwaterError).code).toBe('BW_ERR_PROTOCOL');
      expect(await readFile(join(d, NATS_CREDS_FILE), 'utf8')).toBe(before);
    } finally {
      bad.close();
    }
    const refused = await fakeControlPlane({ code: 'BW_ERR_UNAUTHENTICATED', message: 'revoked' }, 401);
    try {
      expect(((await renewNatsCreds(refused.url, 'bwa_mine', d, undefined).catch((e: unknown) => e)) as BreakwaterError).code).toBe('BW_ERR_UNAUTHENTICATED');
    } finally {
      refused.close();
    }
    const cp = await fakeControlPlane({ natsJwt: JWT });
    try {
      await renewNatsCreds(cp.url, 'bwa_mine', d, undefined);
      expect(cp.headers).toEqual(['Bearer bwa_mine']);
      const sentKey = (cp.sent[0] as { natsPublicKey: string }).natsPublicKey;
      const text = await readFile(join(d, NATS_CREDS_FILE), 'utf8');
      expect(text.split('\n')[1]).toBe(JWT);
      const seed = /^SU[A-Z2-7]+$/m.exec(text)?.[0] ?? '';
      expect(fromSeed(new TextEncoder().encode(seed)).getPublicKey()).toBe(sentKey);
    } finally {
      cp.close();
    }
  });
});
