import { expect, it } from 'vitest';
import { PG_URL, describeWithService, probePostgres, runCli } from './helpers.js';
import { NATS_URL, probeNats } from './nats-services.js';
import type { Lab } from './scaled-failures-bed.js';
import { sigkill, sql, scaledLabForTests, waitFor } from './scaled-failures-bed.js';

/*
 * Failure of the scaled mode: a replica is SIGKILLed while a query it started runs on every host.
 * What an operator checks: the CLI that was talking to the dead replica ends with a clear error
 * (no hang), and the same query through the surviving replica answers for every host. Needs
 * `npm run build`.
 */

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };

describeWithService(needed, 'scaled mode: a replica killed mid-query', 'test/scaled-failures-query.test.ts', () => {
  const started = scaledLabForTests({ hosts: 3, replicas: 2 });
  const cliEnv = (server: string) => ({ BREAKWATER_SERVER: server, BREAKWATER_CA: started().ca, BREAKWATER_TOKEN: started().token });

  it('ends the dead replica\'s CLI with a clear error, and the survivor answers for every host', async () => {
    const [doomed, survivor] = started().replicas as [Lab['replicas'][0], Lab['replicas'][0]];
    const statement = 'host | `sleep 3; echo slept`';
    const caller = runCli(['run', '--json', statement], { env: cliEnv(doomed.server), timeoutMs: 60_000 });
    // Killed once the run is under way on the fleet: stored as running by the replica that dispatched it.
    await waitFor('the run to be running', async () => (await sql(started(), 'select id from runs where statement = $1 and status = $2', [statement, 'running'])).length > 0);
    await sigkill(doomed.process);

    const ended = await caller;
    expect(ended.code, ended.stdout).not.toBe(0);
    // The CLI says what went wrong, in one line an operator can act on, not a stack trace.
    expect(ended.stderr).toMatch(/^error: the connection to the control plane was lost before its answer was complete \(aborted, ECONNRESET\).* \[BW_ERR_UNAVAILABLE\]\n$/);

    // Nothing marks the dead replica's run interrupted until a replica liveness sweep does (W3's
    // part, not landed here): reported, not asserted.
    const [dead] = await sql<{ status: string }>(started(), 'select status from runs where statement = $1 order by started_at limit 1', [statement]);
    console.info(`the dead replica's run is ${dead?.status} after its replica died`);

    const again = await runCli(['run', '--json', statement], { env: cliEnv(survivor.server), timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    const rows = again.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; row?: { status: string; resource: { host: string } } })
      .filter((l) => l.type === 'row');
    expect(rows.map((r) => `${r.row!.resource.host} ${r.row!.status}`).sort()).toEqual(['db-3 ok', 'web-1 ok', 'web-2 ok']);
  }, 120_000);
});
