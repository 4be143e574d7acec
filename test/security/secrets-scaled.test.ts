import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import { PG_URL, describeWithService, probePostgres, runCli } from '../helpers.js';
import { NATS_URL, probeNats } from '../nats-services.js';
import { applyDefinitions, tempDefinitions, waitFor, waitNoDrift } from '../scenarios/scenario-helpers.js';

/*
 * A secret set through one replica of a scaled control plane (two real replicas on PostgreSQL and
 * NATS, one real agent): the other replica knows the new value at once, as it knows an apply. It
 * used to learn it only at the next apply: until then it listed the secret as not set, would hand
 * an agent that reconnected through it the old value, and would not redact the new one.
 * Needs `npm run build`.
 */

const VALUE = 'Plover-Xyzzy-9876543210';
const DEFS = `
kind: secret
name: db-password
hosts: host
---
kind: action
name: show_secret_length
description: prints the length of the password it is given
command: 'echo "len=\${#BW_SECRET_DB_PASSWORD} pw=$BW_SECRET_DB_PASSWORD"'
secrets: [db-password]
`;

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };

describeWithService(needed, 'a secret across the replicas of a scaled control plane', 'test/security/secrets-scaled.test.ts', () => {
  let lab: Lab | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  const started = () => {
    if (!lab) throw new Error('the lab did not start');
    return lab;
  };
  const asAdmin = () => ({ authorization: `Bearer ${started().token}`, 'content-type': 'application/json' });

  beforeAll(async () => {
    lab = await startLab({ hosts: 1, scaled: { replicas: 2, postgres: PG_URL, nats: NATS_URL } });
    const defs = await tempDefinitions({ 'secrets.yaml': DEFS });
    cleanup = defs.cleanup;
    await applyDefinitions(lab, defs.dir);
    await waitNoDrift(lab, 1);
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
    await cleanup?.();
  }, 60_000);

  it('set through the first replica: the second lists it set at once, and a run through it gets the value, redacted', async () => {
    const [first, second] = started().replicas as [Lab['replicas'][number], Lab['replicas'][number]];
    const listed = async () => {
      const res = await started().fetch(`${second.server}/api/v1/secrets`, { headers: asAdmin() });
      return ((await res.json()) as { name: string; value: string; updatedBy: string | null }[]).find((s) => s.name === 'db-password');
    };
    expect(await listed()).toMatchObject({ value: '(not set)' });

    const set = await started().fetch(`${first.server}/api/v1/secrets/db-password`, { method: 'PUT', headers: asAdmin(), body: JSON.stringify({ value: VALUE }) });
    expect(set.status).toBe(200);
    // Well within the 30 s catch-up the replicas also run: the first replica's announcement.
    await waitFor('the second replica to list db-password as set', async () => ((await listed())?.value === '(set)' ? listed() : undefined), 10_000);
    expect(await listed()).toMatchObject({ value: '(set)', updatedBy: 'admin' });

    const run = await runCli(['run', '--json', 'host | show_secret_length()'], { env: { BREAKWATER_SERVER: second.server, BREAKWATER_CA: started().ca, BREAKWATER_TOKEN: started().token }, timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`len=${VALUE.length} pw=[secret:db-password]`);
    expect(run.stdout).not.toContain(VALUE);
  }, 60_000);
});
