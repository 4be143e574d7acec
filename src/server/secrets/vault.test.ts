import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecretDefinition } from '../../definitions/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { Store } from '../store/index.js';
import { openSqliteStore } from '../store/index.js';
import { decryptSecret, encryptSecret, newSecretKey, parseSecretKey } from './crypto.js';
import { SecretVault } from './vault.js';

const VALUE = 'hunter2-correct-horse';
const def = (name: string, from?: SecretDefinition['from']): SecretDefinition => ({ kind: 'secret', name, description: '', hosts: 'host | role = "db"', ...(from ? { from } : {}) });
const silent = pino({ level: 'silent' });

let dirs: string[] = [];
let stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
  stores = [];
});

async function fresh(): Promise<{ dir: string; store: Store }> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-vault-'));
  dirs.push(dir);
  const store = openSqliteStore(join(dir, 'breakwater.db'));
  stores.push(store);
  await store.migrate();
  return { dir, store };
}

async function expectKeyError(p: Promise<unknown> | (() => unknown), message: RegExp): Promise<void> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(BreakwaterError);
  expect((err as BreakwaterError).code).toBe('BW_ERR_SECRET_KEY');
  expect((err as BreakwaterError).message).toMatch(message);
}

describe('secret crypto', () => {
  it('round-trips; the name is bound to the ciphertext; a random nonce makes each encryption differ', async () => {
    const k = newSecretKey();
    const a = encryptSecret(k, 'db-password', VALUE);
    expect(decryptSecret([k], 'db-password', a)).toBe(VALUE);
    expect(encryptSecret(k, 'db-password', VALUE).ciphertext).not.toBe(a.ciphertext);
    expect(Buffer.from(a.ciphertext, 'base64').toString('latin1')).not.toContain(VALUE);
    await expectKeyError(() => decryptSecret([k], 'other-name', a), /does not decrypt with key/);
    await expectKeyError(() => decryptSecret([newSecretKey()], 'db-password', a), new RegExp(`was encrypted with key ${a.keyId}`));
  });

  it('takes a key as base64 of 32 bytes only, and says what it expected', async () => {
    expect(parseSecretKey(Buffer.alloc(32, 7).toString('base64'), 'X').key).toEqual(Buffer.alloc(32, 7));
    await expectKeyError(() => parseSecretKey('short', 'BREAKWATER_SECRET_KEY'), /BREAKWATER_SECRET_KEY: expected a key of 32 bytes in base64/);
  });
});

describe('SecretVault', () => {
  it('stores values encrypted under a 0600 key file made on first use, and reads them back after a restart', async () => {
    const { dir, store } = await fresh();
    const vault = await SecretVault.open(store, dir, {}, silent);
    await vault.load([def('db-password')]);
    expect(vault.list()[0]).toMatchObject({ name: 'db-password', value: '(not set)', source: 'store' });
    await vault.set('db-password', VALUE, 'alice');
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    const [row] = await store.listSecrets();
    expect(row?.ciphertext).not.toContain(VALUE);
    expect(readFileSync(join(dir, 'breakwater.db')).includes(VALUE)).toBe(false);

    const again = await SecretVault.open(store, dir, {}, silent);
    await again.load([def('db-password')]);
    expect(again.valuesOf(['db-password'])).toEqual({ 'db-password': VALUE });
    expect(again.list()[0]).toMatchObject({ value: '(set)', updatedBy: 'alice' });
    expect(JSON.stringify(again.list())).not.toContain(VALUE);
    expect(again.redactValue({ stdout: `pw=${VALUE}\n`, n: 1 })).toEqual({ stdout: 'pw=[secret:db-password]\n', n: 1 });
  });

  it('refreshes: a value another replica set (same store, same key) is taken, delivered anew and redacted', async () => {
    const { dir, store } = await fresh();
    const key = { BREAKWATER_SECRET_KEY: newSecretKey().key.toString('base64') };
    const [a, b] = [await SecretVault.open(store, dir, key, silent), await SecretVault.open(store, dir, key, silent)];
    for (const v of [a, b]) await v.load([def('db-password'), def('api-token', { env: 'API_TOKEN' })]);
    expect(await b.refresh()).toBe(false);
    await a.set('db-password', VALUE, 'alice');
    const before = b.revision('db-password');
    expect(await b.refresh()).toBe(true);
    expect(b.valuesOf(['db-password'])).toEqual({ 'db-password': VALUE });
    expect(b.revision('db-password')).toBeGreaterThan(before);
    expect(b.list()[0]).toMatchObject({ value: '(set)', updatedBy: 'alice' });
    expect(b.redact(`pw=${VALUE}`)).toBe('pw=[secret:db-password]');
    // Nothing new: no change, no new revision (agents are not sent the same value again).
    expect(await b.refresh()).toBe(false);
    await a.set('db-password', 'a-new-value-2', 'bob');
    expect(await b.refresh()).toBe(true);
    expect(b.valuesOf(['db-password'])).toEqual({ 'db-password': 'a-new-value-2' });
    // The same value set again (a new ciphertext: a fresh nonce) is no change for the agents.
    const revision = b.revision('db-password');
    await a.set('db-password', 'a-new-value-2', 'carol');
    expect(await b.refresh()).toBe(false);
    expect(b.revision('db-password')).toBe(revision);
    expect(b.valuesOf(['db-password'])).toEqual({ 'db-password': 'a-new-value-2' });
  });

  it('refreshes past a value under a key it does not have yet (replicas restarted one by one): the value it held stays, redacted', async () => {
    const { dir, store } = await fresh();
    const b = await SecretVault.open(store, dir, { BREAKWATER_SECRET_KEY: newSecretKey().key.toString('base64') }, silent);
    await b.load([def('db-password')]);
    await b.set('db-password', VALUE, 'alice');
    // A replica already restarted with the new key sets it anew.
    const rotated = await SecretVault.open(store, dir, { BREAKWATER_SECRET_KEY: newSecretKey().key.toString('base64') }, silent);
    await rotated.load([def('db-password')]).catch(() => undefined);
    await rotated.set('db-password', 'the-next-value-1', 'bob');
    const revision = b.revision('db-password');
    expect(await b.refresh()).toBe(false);
    expect(b.valuesOf(['db-password'])).toEqual({ 'db-password': VALUE });
    expect(b.revision('db-password')).toBe(revision);
    expect(b.redact(`pw=${VALUE}`)).toBe('pw=[secret:db-password]');
    expect(b.list()[0]).toMatchObject({ value: '(set)', problem: expect.stringMatching(/encrypted with key/) });
  });

  it('rotates the key: values stay readable, the old key no longer reads them, the previous-key file is gone', async () => {
    const { dir, store } = await fresh();
    const vault = await SecretVault.open(store, dir, {}, silent);
    await vault.load([def('a'), def('b')]);
    await vault.set('a', VALUE, 'alice');
    await vault.set('b', `${VALUE}-b`, 'alice');
    const oldKey = readFileSync(join(dir, 'secret.key'), 'utf8');
    expect(await vault.rotateKey()).toBe(2);
    const newKey = readFileSync(join(dir, 'secret.key'), 'utf8');
    expect(newKey).not.toBe(oldKey);
    expect(() => statSync(join(dir, 'secret.key.previous'))).toThrow();

    const after = await SecretVault.open(store, dir, {}, silent);
    await after.load([def('a'), def('b')]);
    expect(after.valuesOf(['a', 'b'])).toEqual({ a: VALUE, b: `${VALUE}-b` });
    const withOld = await SecretVault.open(store, dir, { BREAKWATER_SECRET_KEY: oldKey.trim() }, silent);
    await withOld.load([def('a')]);
    expect(withOld.list()[0]).toMatchObject({ value: '(unreadable)', problem: expect.stringMatching(/^secret a was encrypted with key [0-9a-f]{16}, but the key in use is [0-9a-f]{16}/) });
  });

  it('finishes an interrupted rotation at start: values under the previous key are re-encrypted', async () => {
    const { dir, store } = await fresh();
    const vault = await SecretVault.open(store, dir, {}, silent);
    await vault.load([def('a')]);
    await vault.set('a', VALUE, 'alice');
    // As a crash right after the new key was written: the old key waits in secret.key.previous.
    writeFileSync(join(dir, 'secret.key.previous'), readFileSync(join(dir, 'secret.key')));
    writeFileSync(join(dir, 'secret.key'), `${newSecretKey().key.toString('base64')}\n`, { mode: 0o600 });
    const after = await SecretVault.open(store, dir, {}, silent);
    await after.load([def('a')]);
    expect(after.valuesOf(['a'])).toEqual({ a: VALUE });
    expect(() => statSync(join(dir, 'secret.key.previous'))).toThrow();
    const current = parseSecretKey(readFileSync(join(dir, 'secret.key'), 'utf8'), 'key');
    expect((await store.listSecrets())[0]?.keyId).toBe(current.id);
  });

  it('with the key in the environment: a wrong key is a clear error, rotation explains the restart it needs', async () => {
    const { dir, store } = await fresh();
    const key = newSecretKey().key.toString('base64');
    const vault = await SecretVault.open(store, dir, { BREAKWATER_SECRET_KEY: key }, silent);
    await vault.load([def('a')]);
    await vault.set('a', VALUE, 'alice');
    expect(() => statSync(join(dir, 'secret.key'))).toThrow();
    const err = await vault.rotateKey().catch((e: unknown) => e);
    expect((err as BreakwaterError).message).toContain('restart it with BREAKWATER_SECRET_KEY_PREVIOUS set to the current key');
    const rotated = await SecretVault.open(store, dir, { BREAKWATER_SECRET_KEY: newSecretKey().key.toString('base64'), BREAKWATER_SECRET_KEY_PREVIOUS: key }, silent);
    await rotated.load([def('a')]);
    expect(rotated.valuesOf(['a'])).toEqual({ a: VALUE });
    await expectKeyError(SecretVault.open(store, dir, { BREAKWATER_SECRET_KEY: 'not-a-key' }, silent), /BREAKWATER_SECRET_KEY: expected a key of 32 bytes/);
  });

  it('reads `from` sources, refuses to set those and undefined secrets, and bad values', async () => {
    const { dir, store } = await fresh();
    const etc = mkdtempSync(join(tmpdir(), 'bw-vault-etc-'));
    dirs.push(etc);
    writeFileSync(join(etc, 'token'), `${VALUE}\n`);
    const vault = await SecretVault.open(store, dir, { DB_PW: 'from-env-value' }, silent);
    await vault.load([def('e', { env: 'DB_PW' }), def('f', { file: join(etc, 'token') }), def('m', { env: 'MISSING' }), def('s')]);
    expect(vault.valuesOf(['e', 'f', 'm'])).toEqual({ e: 'from-env-value', f: VALUE });
    expect(vault.list().map((s) => [s.name, s.source, s.value])).toEqual([
      ['e', 'env DB_PW', '(set)'],
      ['f', `file ${join(etc, 'token')}`, '(set)'],
      ['m', 'env MISSING', '(not set)'],
      ['s', 'store', '(not set)'],
    ]);
    await expect(vault.set('e', 'x', 'alice')).rejects.toThrow(/is read from env DB_PW/);
    await expect(vault.set('nope', 'x', 'alice')).rejects.toThrow(/no secret nope in the applied definitions/);
    await expect(vault.set('s', 'a\u0000b', 'alice')).rejects.toThrow(/NUL/);
    await expect(vault.set('s', 'x'.repeat(64 * 1024 + 1), 'alice')).rejects.toThrow(/longer than 64 KiB/);
  });

  it('never reads the key file (or anything of the data directory) as a `from: {file}` secret, even through a link', async () => {
    const { dir, store } = await fresh();
    const vault = await SecretVault.open(store, dir, {}, silent);
    await vault.load([def('s')]);
    await vault.set('s', VALUE, 'alice');
    const outside = mkdtempSync(join(tmpdir(), 'bw-vault-link-'));
    dirs.push(outside);
    symlinkSync(join(dir, 'secret.key'), join(outside, 'innocent'));
    await vault.load([def('k', { file: join(dir, 'secret.key') }), def('l', { file: join(outside, 'innocent') })]);
    expect(vault.valuesOf(['k', 'l'])).toEqual({});
    expect(vault.list().map((s) => [s.name, s.value, s.problem])).toEqual([
      ['k', '(unreadable)', `file ${join(dir, 'secret.key')} is in the control plane's data directory (its store and secret key), which cannot be read as a secret`],
      ['l', '(unreadable)', `file ${join(outside, 'innocent')} is in the control plane's data directory (its store and secret key), which cannot be read as a secret`],
    ]);
  });
});
