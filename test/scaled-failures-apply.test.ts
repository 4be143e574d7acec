import { expect, it } from 'vitest';
import { PG_URL, describeWithService, probePostgres } from './helpers.js';
import { NATS_URL, probeNats } from './nats-services.js';
import type { Lab } from './scaled-failures-bed.js';
import { applyThrough, replicaApi, sigkill, sql, scaledLabForTests, waitFor } from './scaled-failures-bed.js';

/*
 * Failure of the scaled mode: a replica is SIGKILLed right after a large definitions set is
 * POSTed to it, and another one as soon as its large set is committed. What an operator checks: every stored version is whole (the new one complete, or
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
  const started = scaledLabForTests({ hosts: 1, replicas: 3 });

  /** POSTs a large set to `replica` and SIGKILLs it once `killWhen` says so; the caller's outcome. */
  const applyAndKill = async (replica: Lab['replicas'][0], tag: string, killWhen: () => Promise<unknown>) => {
    const base = (await sql<{ v: number | null }>(started(), 'select max(version)::int as v from definition_versions'))[0]?.v ?? 0;
    const files = Object.entries(actions(LARGE, tag)).map(([path, text]) => ({ path, text }));
    const posted = started()
      .fetch(`${replica.server}/api/v1/definitions/apply`, {
        method: 'POST',
        headers: { authorization: `Bearer ${started().token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ files, baseVersion: base }),
      })
      .then((res) => `HTTP ${res.status}`, (err: unknown) => (err as Error).message);
    await killWhen();
    await sigkill(replica.process);
    return posted;
  };
  /** Every stored version with its number of definitions, oldest first. */
  const versions = () => sql<{ version: number; n: number }>(started(), 'select version, jsonb_array_length(definitions)::int as n from definition_versions order by version');

  it('keeps every stored version whole, and the survivor serves the store\'s version', async () => {
    const [early, late, survivor] = started().replicas as [Lab['replicas'][0], Lab['replicas'][0], Lab['replicas'][0]];
    const first = await applyThrough(started(), survivor, actions(1, 'small'));
    await waitFor('the other replicas to have the first version', async () => {
      for (const r of [early, late]) if ((await replicaApi<{ version: number }>(started(), r, '/api/v1/definitions')).version !== first.version) return false;
      return true;
    });

    // Killed once the request is on its way, while the replica parses, stores and installs it.
    const earlyOutcome = await applyAndKill(early, 'early', () => new Promise((r) => setTimeout(r, 50)));
    // Killed as soon as its version is committed: before it has installed it, told the others, or answered.
    const lateOutcome = await applyAndKill(late, 'late', () => waitFor('the late version to be stored', async () => (await versions()).some((v) => v.n === LARGE)));

    const stored = await versions();
    // Whole: the first version with its one action, every later one complete.
    expect(stored[0]).toEqual({ version: first.version, n: 1 });
    expect(stored.slice(1).every((v) => v.n === LARGE), JSON.stringify(stored)).toBe(true);
    const current = stored.at(-1)!.version;
    console.info(`apply killed early: the caller saw ${earlyOutcome}; killed once committed: ${lateOutcome}; the store holds versions ${stored.map((v) => v.version).join(', ')}`);
    await waitFor(`the survivor to serve version ${current}`, async () => (await replicaApi<{ version: number }>(started(), survivor, '/api/v1/definitions')).version === current);

    // The kill between storing a version and announcing it, which the polling above rarely hits,
    // made certain: a version written straight to the store, as a replica dying right after its
    // commit leaves it. The survivor catches up without an announcement (DefinitionsFeed, 30 s).
    await sql(started(), 'insert into definition_versions (version, created_at, created_by, definitions, summary_create, summary_update, summary_delete) select version + 1, $1, created_by, definitions, 0, 0, 0 from definition_versions where version = $2', [Date.now(), current]);
    await waitFor(`the survivor to serve the unannounced version ${current + 1}`, async () => (await replicaApi<{ version: number }>(started(), survivor, '/api/v1/definitions')).version === current + 1, 45_000);

    const next = await applyThrough(started(), survivor, actions(2, 'after'));
    expect(next.version).toBe(current + 2);
    expect((await versions()).at(-1)).toEqual({ version: next.version, n: 2 });
  }, 120_000);
});
