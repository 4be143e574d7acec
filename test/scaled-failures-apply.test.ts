import { afterAll, beforeAll, expect, it } from 'vitest';
import { PG_URL, describeWithService, probePostgres } from './helpers.js';
import { NATS_URL, probeNats } from './nats-services.js';
import type { Lab } from './scaled-failures-bed.js';
import { applyThrough, replicaApi, sigkill, sql, startScaledLab, waitFor } from './scaled-failures-bed.js';

/*
 * Failure of the scaled mode: a replica is SIGKILLed right after a large definitions set is
 * POSTed to it. What an operator checks: every stored version is whole (the new one complete, or
 * not there), the survivor serves the store's current version, and applying through the survivor
 * works afterwards. Needs `npm run build`.
 */

/** `count` actions in one file: big enough that the apply is still under way when the replica dies. */
function actions(count: number, tag: string): Record<string, string> {
  const docs = Array.from({ length: count }, (_, i) => `kind: action\nname: ${tag}_${i}\ndescription: action ${i} of the ${tag} set, to make the apply big\ncommand: echo "${tag} ${i}"\nresources: [host]\n`);
  return { [`${tag}.yaml`]: docs.join('---\n') };
}
const LARGE = 400;

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };

describeWithService(needed, 'scaled mode: a replica killed during an apply', 'test/scaled-failures-apply.test.ts', () => {
  let lab: Lab | undefined;
  const started = () => {
    if (!lab) throw new Error('the lab did not start');
    return lab;
  };

  beforeAll(async () => {
    lab = await startScaledLab({ hosts: 1, replicas: 2 });
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it('keeps every stored version whole, and the survivor serves the store\'s version', async () => {
    const [doomed, survivor] = started().replicas as [Lab['replicas'][0], Lab['replicas'][0]];
    const first = await applyThrough(started(), survivor, actions(1, 'small'));
    await waitFor('the other replica to have the first version', async () => (await replicaApi<{ version: number }>(started(), doomed, '/api/v1/definitions')).version === first.version);

    const files = Object.entries(actions(LARGE, 'large')).map(([path, text]) => ({ path, text }));
    const posted = started()
      .fetch(`${doomed.server}/api/v1/definitions/apply`, {
        method: 'POST',
        headers: { authorization: `Bearer ${started().token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ files, baseVersion: first.version }),
      })
      .then((res) => `HTTP ${res.status}`, (err: unknown) => (err as Error).message);
    // Killed once the request is on its way, while the replica parses, stores and installs it.
    await new Promise((r) => setTimeout(r, 50));
    await sigkill(doomed.process);
    const outcome = await posted;

    const versions = await sql<{ version: number; n: number }>(started(), 'select version, jsonb_array_length(definitions)::int as n from definition_versions order by version');
    // Whole: the first version with its one action, and the large one complete or absent.
    expect(versions[0]).toEqual({ version: first.version, n: 1 });
    expect(versions.slice(1)).toEqual(versions.length > 1 ? [{ version: first.version + 1, n: LARGE }] : []);
    const stored = versions.at(-1)!.version;
    console.info(`apply killed: the caller saw ${outcome}; the store holds version ${stored}`);
    await waitFor(`the survivor to serve version ${stored}`, async () => (await replicaApi<{ version: number }>(started(), survivor, '/api/v1/definitions')).version === stored);

    const next = await applyThrough(started(), survivor, actions(2, 'after'));
    expect(next.version).toBe(stored + 1);
    const [last] = await sql<{ n: number }>(started(), 'select jsonb_array_length(definitions)::int as n from definition_versions where version = $1', [next.version]);
    expect(last).toEqual({ n: 2 });
  }, 120_000);
});
