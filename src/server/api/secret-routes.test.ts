import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp, manualClock } from '../../../test/inject-app.js';
import type { SecretDefinition } from '../../definitions/index.js';
import { SecretVault } from '../secrets/index.js';
import { secretRoutes } from './secret-routes.js';

closeAppsAfterEach();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T = 1_810_000_000_000;
const DEFS: SecretDefinition[] = [
  { kind: 'secret', name: 'db-password', description: '', hosts: 'host | role = "db"' },
  { kind: 'secret', name: 'api-key', description: '', hosts: 'host', from: { env: 'BW_TEST_API_KEY' } },
];

/** The routes over a real vault (its key in a temporary directory); remediation's push is counted. */
async function app() {
  const remediation = { secrets: undefined as unknown as SecretVault, pushes: 0, secretChanged: () => void remediation.pushes++ };
  const t = await injectApp((store) => secretRoutes({ store, remediation, clock: manualClock(T) }));
  const keyDir = mkdtempSync(join(tmpdir(), 'bw-secret-routes-'));
  dirs.push(keyDir);
  remediation.secrets = await SecretVault.open(t.store, keyDir, {}, pino({ level: 'silent' }));
  await remediation.secrets.load(DEFS);
  return { t, remediation };
}

describe('secret routes', () => {
  it('sets a secret\'s value for an admin, pushes definitions, and never shows or audits the value', async () => {
    const { t, remediation } = await app();
    const r = await t.call('PUT', '/api/v1/secrets/db-password', 'admin', { value: 'hunter2-long-enough' });
    expect(r.status).toBe(200);
    expect(r.json.name).toBe('db-password');
    expect(r.text).not.toContain('hunter2');
    expect(remediation.pushes).toBe(1);
    const listed = await t.call('GET', '/api/v1/secrets', 'admin');
    expect(listed.json.map((s: { name: string }) => s.name)).toEqual(['db-password', 'api-key']);
    expect(listed.text).not.toContain('hunter2');
    const entries = await t.audit();
    expect(entries.map((e) => [e.time, e.principal, e.action, e.target, e.outcome, e.detail])).toEqual([[T, 'admin', 'secret.set', 'db-password', 'ok', {}]]);
  });

  it('audits a refused set as failed with its code, and pushes nothing', async () => {
    const { t, remediation } = await app();
    const r = await t.call('PUT', '/api/v1/secrets/api-key', 'admin', { value: 'from-the-api' });
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('BW_ERR_CONFLICT');
    expect(remediation.pushes).toBe(0);
    expect((await t.audit()).map((e) => [e.action, e.target, e.outcome, e.detail])).toEqual([['secret.set', 'api-key', 'failed', { error: 'BW_ERR_CONFLICT' }]]);
  });

  it('refuses an operator (403), a bad secret name and an empty value (400)', async () => {
    const { t } = await app();
    expect((await t.call('GET', '/api/v1/secrets', 'operator')).status).toBe(403);
    const badName = await t.call('PUT', '/api/v1/secrets/DB', 'admin', { value: 'x' });
    expect(badName.json.message).toMatch(/^invalid path parameters: name: expected a secret name/);
    expect((await t.call('PUT', '/api/v1/secrets/db-password', 'admin', { value: '' })).json.message).toBe('invalid request body: value: the value is empty');
  });

  it('re-encrypts every stored value with a new key, audited with how many', async () => {
    const { t } = await app();
    await t.call('PUT', '/api/v1/secrets/db-password', 'admin', { value: 'hunter2-long-enough' });
    expect((await t.call('POST', '/api/v1/secrets/rotate-key', 'admin')).json).toEqual({ reencrypted: 1 });
    // Both entries carry the same (hand-held) time: found by action, not by order.
    expect((await t.audit()).find((e) => e.action === 'secret.rotate_key')).toMatchObject({ action: 'secret.rotate_key', target: 'secret key', outcome: 'ok', detail: { reencrypted: 1 } });
  });
});
