import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import type { ResultRow } from '../src/protocol/index.js';
import { runCli, waitUntil } from './helpers.js';
import { describeInModes } from './modes.js';

/*
 * The running system end to end: a control plane and real agent processes on
 * loopback, driven through the real CLI and the HTTP API.
 */

await describeInModes('end to end', 'test/e2e-fleet.test.ts', (mode) => {
  let lab: Lab;
  const MARKER = join('/tmp', `bw-e2e-injected-${process.pid}`);

  beforeAll(async () => {
    lab = await startLab(mode.lab({ hosts: 4, tags: (i): Record<string, string> => (i === 0 ? { note: `"; touch ${MARKER}; echo $(touch ${MARKER}) \`touch ${MARKER}\`` } : {}) }));
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  });

  const env = () => ({ BREAKWATER_SERVER: lab.server, BREAKWATER_CA: lab.ca, BREAKWATER_TOKEN: lab.token });

  async function query(statement: string, extra: Record<string, unknown> = {}): Promise<{ rows: ResultRow[]; summary: Record<string, unknown>; lines: Record<string, unknown>[] }> {
    const r = await runCli(['run', '--json', statement], { env: { ...env(), ...(extra.env as object) } });
    const lines = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    if (!lines.length) throw new Error(`no output from breakwater run: ${r.stderr}`);
    return { rows: lines.filter((l) => l.type === 'row').map((l) => l.row as ResultRow), summary: lines.find((l) => l.type === 'summary') ?? {}, lines };
  }

  const names = (rows: readonly ResultRow[]) => rows.map((r) => r.resource?.name).sort();

  describe('fleet queries through the CLI', () => {
    it('answers tag filters from the inventory and metric filters on the agents', async () => {
      expect(names((await query('host | role = "web"')).rows)).toEqual(['web-1', 'web-2']);
      // Metrics the first collection already has (CPU usage needs two passes): no race with start-up.
      const metric = await query('host | load1 >= 0 and mem_usage > 0 | mem_usage');
      expect(names(metric.rows)).toEqual(['cache-4', 'db-3', 'web-1', 'web-2']);
      for (const r of metric.rows) expect(r.values.mem_usage).toBeGreaterThan(0);
      expect((await query('host | mem_usage > 101')).rows).toEqual([]);
    });

    it('traverses from hosts to their processes', async () => {
      // The agents themselves, by command line: their name (comm) is `node` on Node 20 but
      // `MainThread` on Node 24, which names its main thread so.
      const { rows } = await query('host | name = "web-1" | process | pid = 1 or cmdline =~ "breakwater-agent" | mem_rss_bytes > 1MB | mem_rss_bytes');
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r.resource).toMatchObject({ type: 'process', host: 'web-1' });
        expect(r.values.mem_rss_bytes).toBeGreaterThan(1e6);
      }
    });

    it('groups identical command outputs for people', async () => {
      const r = await runCli(['run', 'host | `echo same; test $BW_HOST != db-3 || echo different`'], { env: env() });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('3 hosts (cache-4, web-1, web-2) exit 0:\n    same\n');
      expect(r.stdout).toContain('1 host (db-3) exit 0:\n    same\n    different\n');
      expect(r.stdout).toMatch(/4 rows, 4 ok, 0 failed in \d+\.\d\ds \(run [0-9a-f-]{36}\)/);
    });

    it('reduces on the control plane: group_by and count', async () => {
      const { rows } = await query('host | group_by(role) | count');
      expect(rows.map((r) => r.values).sort((a, b) => String(a.role).localeCompare(String(b.role)))).toEqual([
        { role: 'cache', count: 1 },
        { role: 'db', count: 1 },
        { role: 'web', count: 2 },
      ]);
    });

    it('passes tag values with shell metacharacters as data, never as code', async () => {
      const { rows } = await query('host | name = "web-1" | `printf %s "$BW_TAG_NOTE"`');
      expect(rows[0]?.values.stdout).toBe(`"; touch ${MARKER}; echo $(touch ${MARKER}) \`touch ${MARKER}\``);
      expect(existsSync(MARKER)).toBe(false);
    });

    it('kills the whole process group of a command that times out, and leaves no orphan', async () => {
      const pidFile = join(lab.dir, 'orphan.pid');
      const timed = await runCli(['run', '--json', '--timeout', '2s', `host | name = "web-2" | \`sleep 300 & echo $! > ${pidFile}; sleep 302\``], { env: env() });
      const row = timed.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((l) => l.type === 'row').row as ResultRow;
      expect(row.status).toBe('timeout');
      expect(row.error).toMatch(/time budget of 1\.\ds ran out; the command's process group was killed/);
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      expect(pid).toBeGreaterThan(1);
      expect(isAlive(pid)).toBe(false);
    }, 60_000);

    it('truncates a flood of output with a marker and the agent stays healthy', async () => {
      const { rows } = await query('host | name = "cache-4" | `head -c 20000000 /dev/zero | tr "\\0" x`');
      const stdout = String(rows[0]?.values.stdout);
      expect(stdout.length).toBeLessThan(1024 * 1024 + 200);
      // Scaled: a row must fit one NATS message (1 MiB), so the agent cuts the output once more to fit.
      expect(stdout).toMatch(mode.name === 'embedded' ? /\[breakwater: output truncated after 1048576 bytes; \d+ bytes dropped\]/ : /\[breakwater: output cut to \d{6,7} bytes to fit one NATS message; \d+ bytes dropped\]$/);
      const after = await query('host | name = "cache-4" | `echo still here`');
      expect(after.rows[0]?.values.stdout).toBe('still here\n');
    }, 60_000);

    it('reports an agent killed mid-query as offline, and the query still completes', async () => {
      const victim = lab.hosts.find((h) => h.name === 'db-3');
      if (!victim) throw new Error('no db-3');
      const started = join(victim.dir, 'run', 'slow-query-started');
      const running = query('host | `touch "$HOST_ROOT/run/slow-query-started"; sleep 3; echo done`');
      // Kill once db-3 is running the command (not after a guessed delay): the kill then lands mid-query.
      await waitUntil('db-3 to start the slow command', () => existsSync(started));
      victim.process.kill('SIGKILL');
      const { rows, summary } = await running;
      const byName = Object.fromEntries(rows.map((r) => [r.resource?.name, r]));
      expect(byName['db-3']).toMatchObject({ status: 'offline' });
      expect(byName['web-1']).toMatchObject({ status: 'ok', values: { stdout: 'done\n' } });
      expect(summary.failures).toBe(1);

      const offline = await query('host | `true`');
      expect(offline.rows.find((r) => r.resource?.name === 'db-3')).toMatchObject({ status: 'offline', error: expect.stringMatching(/agent offline \(last seen/) });

      lab.startAgent(victim);
      await lab.waitConnected(['db-3']);
      expect((await query('host | name = "db-3" | `echo back`')).rows[0]?.values.stdout).toBe('back\n');
    }, 60_000);
  });

  describe('the REPL', () => {
    it('runs one pipeline per line, with the same grouped output, until exit', async () => {
      const r = await runCli(['repl'], { env: { ...env(), HOME: lab.dir }, input: 'host | role = "web" | `echo from-repl`\nhost | count\nexit\n' });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('2 hosts (web-1, web-2) exit 0:\n    from-repl\n');
      expect(r.stdout).toMatch(/count\n\s*4\n/);
      expect(readFileSync(join(lab.dir, '.breakwater_history'), 'utf8')).toBe('host | role = "web" | `echo from-repl`\nhost | count\n');
    });
  });

  describe('authentication and roles', () => {
    it('refuses a bad API token with a clear error', async () => {
      const r = await runCli(['run', 'host | count'], { env: { ...env(), BREAKWATER_TOKEN: 'bwt_not-a-real-token' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('error: the token is unknown, expired or revoked [BW_ERR_UNAUTHENTICATED]');
    });

    it('refuses agents without a valid join token or credential', async () => {
      const enroll = await lab.fetch('/api/v1/agents/enroll', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: lab.token, name: 'intruder', hostId: 'x' }) });
      expect(enroll.status).toBe(401);
      expect(await enroll.json()).toMatchObject({ code: 'BW_ERR_UNAUTHENTICATED', message: 'token `admin` has role admin; enrollment needs a join token with role agent' });

      const { default: WebSocket } = await import('ws');
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${lab.server.replace('http', 'ws')}/api/v1/agents/connect`, { headers: { authorization: 'Bearer bwa_forged' }, ca: readFileSync(lab.ca!) });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
      });
      // Scaled: agents speak NATS only, so the WebSocket endpoint is not there at all (design-decisions: bus mode).
      expect(status).toBe(mode.name === 'embedded' ? 401 : 404);
    });

    it('lets a viewer query but not run commands, and audits the refusal', async () => {
      const created = await runCli(['token', 'create', '--role', 'viewer', '--name', 'e2e-viewer', '--json'], { env: env() });
      const viewer = JSON.parse(created.stdout).token as string;
      const ok = await runCli(['run', 'host | count'], { env: { ...env(), BREAKWATER_TOKEN: viewer } });
      expect(ok.code).toBe(0);
      const refused = await runCli(['run', 'host | `id`'], { env: { ...env(), BREAKWATER_TOKEN: viewer } });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('running shell commands needs the admin role; token `e2e-viewer` has viewer [BW_ERR_FORBIDDEN]');
      const audit = await runCli(['get', 'audit', '--json', '--limit', '20'], { env: env() });
      expect(JSON.parse(audit.stdout)).toContainEqual(expect.objectContaining({ principal: 'e2e-viewer', action: 'run', outcome: 'denied', target: 'host | `id`' }));
    });

    it('records every command run with its principal and per-host results', async () => {
      const { summary } = await query('host | role = "web" | `echo audited`');
      const run = await lab.fetch(`/api/v1/runs/${String(summary.runId)}`, { headers: { authorization: `Bearer ${lab.token}` } });
      const body = (await run.json()) as { run: { principal: string; status: string; targets: number }; results: { host: string; stdout: string; exitCode: number }[] };
      expect(body.run).toMatchObject({ principal: 'admin', status: 'succeeded', targets: 2 });
      expect(body.results.map((r) => [r.host, r.stdout, r.exitCode]).sort()).toEqual([
        ['web-1', 'audited\n', 0],
        ['web-2', 'audited\n', 0],
      ]);
    });
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is dead for our purposes: it holds no resources and runs nothing.
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
