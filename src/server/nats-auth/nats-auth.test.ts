import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, createUser, fromPublic, fromSeed } from '@nats-io/nkeys';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { BreakwaterError, natsSubjects } from '../../protocol/index.js';
import { AGENT_JWT_TTL_MS, AgentNatsIssuer, SigningKeyFile, agentPermissions, decodeUserJwt, natsAccountSetup, replicaPermissions, responseAllowance, writeNatsSetup } from './index.js';
import { setupFile } from './nats-auth.test-support.js';

const T = 1_800_000_000_000;
const clock = { now: () => T };
const allowance = responseAllowance(65_000, 600_000);
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'bw-nats-auth-'));
  dirs.push(d);
  return d;
}
async function signingKey(prefix = 'bw'): Promise<SigningKeyFile> {
  return SigningKeyFile.parse(JSON.parse(setupFile(await natsAccountSetup(prefix), 'account-signing-key.json')));
}

describe('NATS permissions', () => {
  it('an agent publishes its presence, its three requests and its events, and hears its own subjects and inboxes only', () => {
    const p = agentPermissions(natsSubjects('bw'), 'web-1.prod', allowance);
    expect(p.pub.allow).toEqual(['$KV.BW_PRESENCE.web-1~prod', 'bw.cp.web-1~prod.hello', 'bw.cp.web-1~prod.permit', 'bw.cp.web-1~prod.approval', 'bw.events.web-1~prod']);
    expect(p.sub.allow).toEqual(['bw.agent.web-1~prod.>', '_INBOX_BW_web-1~prod.>']);
  });

  it('an agent may answer the longest query: its rows quota over the timeout and a minute, plus the done', () => {
    expect(responseAllowance(65_000, 600_000)).toEqual({ max: 600_000 * 3 + 1, ttlMs: 125_000 });
    expect(agentPermissions(natsSubjects('bw'), 'a', responseAllowance(1_000, 10)).resp).toEqual({ max: 10 * 2 + 1, ttlMs: 61_000 });
  });

  it('a replica uses the whole prefix, inboxes, the JetStream API and acks, and the presence bucket', () => {
    const p = replicaPermissions(natsSubjects('fleet.eu'));
    expect(p.pub.allow).toEqual(['fleet.eu.>', '_INBOX.>', '$JS.API.>', '$KV.FLEET_EU_PRESENCE.>', '$JS.ACK.>', '$JS.FC.>']);
    expect(p.sub.allow).toEqual(['fleet.eu.>', '_INBOX.>', '$KV.FLEET_EU_PRESENCE.>']);
  });
});

describe('AgentNatsIssuer', () => {
  it('signs a JWT for the agent\'s public key, with its permissions, under the account, valid for 30 days', async () => {
    const key = await signingKey();
    const user = createUser().getPublicKey();
    const claims = decodeUserJwt(await new AgentNatsIssuer(key, { allowance, clock }).issue('web-1', user));
    expect([claims.sub, claims.name, claims.exp]).toEqual([user, 'web-1', (T + AGENT_JWT_TTL_MS) / 1000]);
    const perms = agentPermissions(natsSubjects('bw'), 'web-1', allowance);
    expect(claims.nats).toMatchObject({ type: 'user', version: 2, issuer_account: key.account, pub: { allow: perms.pub.allow }, sub: { allow: perms.sub.allow }, resp: { max: allowance.max, ttl: allowance.ttlMs * 1e6 } });
    // Signed by the signing key (the account names it), not the account's identity key.
    expect(claims.iss).toBe(fromSeed(new TextEncoder().encode(key.seed)).getPublicKey());
  });

  it('refuses what is not a user public key with a valid checksum, as a 400 that does not echo it', async () => {
    const issuer = new AgentNatsIssuer(await signingKey(), { allowance, clock });
    const valid = createUser().getPublicKey();
    const badChecksum = `${valid.slice(0, 54)}${valid[54] === 'A' ? 'B' : 'A'}${valid[55]}`;
    for (const key of ['', 'hello', createAccount().getPublicKey(), badChecksum, `${valid}A`, valid.toLowerCase()]) {
      const err = await issuer.issue('web-1', key).catch((e: unknown) => e);
      expect(err, key).toBeInstanceOf(BreakwaterError);
      expect([(err as BreakwaterError).code, (err as BreakwaterError).message.includes(key || '\u0000')]).toEqual(['BW_ERR_INVALID_REQUEST', false]);
    }
  });

  it('under fuzzing, issues only for valid user keys and otherwise throws only BW_ERR_INVALID_REQUEST', async () => {
    const issuer = new AgentNatsIssuer(await signingKey(), { allowance, clock });
    const nearKeys = fc.stringMatching(/^U[A-Z2-7]{55}$/);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 80, unit: 'binary' }), nearKeys), async (key) => {
        const outcome = await issuer.issue('web-1', key).then(() => 'issued', (e: unknown) => (e instanceof BreakwaterError ? e.code : e));
        let valid = true;
        try {
          valid = fromPublic(key).getPublicKey().startsWith('U');
        } catch {
          valid = false;
        }
        expect(outcome).toBe(valid ? 'issued' : 'BW_ERR_INVALID_REQUEST');
      }),
      { seed: 20261205, numRuns: 60 },
    );
  });

  it('reads the signing key file, and says what is wrong with a bad one without showing the seed', async () => {
    const dir = await tempDir();
    const key = await signingKey();
    const cases: [string, string, RegExp][] = [
      ['missing.json', '', /cannot read it: ENOENT/],
      ['text.json', key.seed, /not JSON/],
      ['wrong.json', JSON.stringify({ ...key, seed: `${key.seed}X` }), /seed: expected an account signing key seed/],
      // One character in the middle: the last one holds padding bits too, so changing it may decode to the same seed.
      ['checksum.json', JSON.stringify({ ...key, seed: `${key.seed.slice(0, 20)}${key.seed[20] === 'A' ? 'B' : 'A'}${key.seed.slice(21)}` }), /checksum/],
      ['extra.json', JSON.stringify({ ...key, operator: 'x' }), /Unrecognized key/],
    ];
    for (const [name, text, why] of cases) {
      if (text) await writeFile(join(dir, name), text);
      const err = await AgentNatsIssuer.fromFile(join(dir, name), { allowance, clock }).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(BreakwaterError);
      expect((err as BreakwaterError).code).toBe('BW_ERR_CONFIG');
      expect((err as BreakwaterError).message).toMatch(why);
      expect((err as BreakwaterError).message).not.toContain(key.seed.slice(2, 20));
    }
    await writeFile(join(dir, 'good.json'), JSON.stringify(key));
    expect((await AgentNatsIssuer.fromFile(join(dir, 'good.json'), { allowance, clock })).prefix).toBe('bw');
  });
});

describe('nats-setup files', () => {
  it('writes the include (no secrets), the signing key and the creds and seeds mode 0600, and never replaces a file', async () => {
    const dir = join(await tempDir(), 'nats');
    const files = await natsAccountSetup('fleet.eu');
    await writeNatsSetup(dir, files);
    const modes = Object.fromEntries(await Promise.all(files.map(async (f) => [f.name, (await stat(join(dir, f.name))).mode & 0o777] as const)));
    expect(modes).toEqual({ 'nats-accounts.conf': 0o644, 'account-signing-key.json': 0o600, 'replica.creds': 0o600, 'offline/operator.nk': 0o600, 'offline/account.nk': 0o600, 'offline/system-account.nk': 0o600 });
    const include = await readFile(join(dir, 'nats-accounts.conf'), 'utf8');
    expect(include).toMatch(/^operator: eyJ/m);
    expect(include).toMatch(/^resolver: MEMORY$/m);
    expect(include).not.toMatch(/\bS[AOU][A-Z2-7]{56}\b/); // no seed of any kind
    const key = SigningKeyFile.parse(JSON.parse(await readFile(join(dir, 'account-signing-key.json'), 'utf8')));
    expect([key.prefix, include.includes(`${key.account}: eyJ`)]).toEqual(['fleet.eu', true]);
    const replica = decodeUserJwt((await readFile(join(dir, 'replica.creds'), 'utf8')).split('\n')[1] ?? '');
    expect(replica.nats).toMatchObject({ issuer_account: key.account, pub: { allow: replicaPermissions(natsSubjects('fleet.eu')).pub.allow } });

    const before = await readFile(join(dir, 'account-signing-key.json'), 'utf8');
    const again = await writeNatsSetup(dir, await natsAccountSetup('fleet.eu')).catch((e: unknown) => e);
    expect((again as BreakwaterError).code).toBe('BW_ERR_CONFLICT');
    expect(await readFile(join(dir, 'account-signing-key.json'), 'utf8')).toBe(before);
    expect((await readdir(dir)).sort()).toEqual(['account-signing-key.json', 'nats-accounts.conf', 'offline', 'replica.creds']);
    // Only the last file there: still refused before anything is written.
    const late = await tempDir();
    await writeFile(join(late, 'replica.creds'), 'mine');
    expect(((await writeNatsSetup(late, files).catch((e: unknown) => e)) as BreakwaterError).code).toBe('BW_ERR_CONFLICT');
    expect(await readdir(late)).toEqual(['replica.creds']);
  });
});
