import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { runCli } from './helpers.js';

/*
 * Typos caught before anything runs (issue 12), with the real `breakwater` CLI against a real lab
 * (TLS, three real agent processes: web-1, web-2, db-3): a filter on a value no host has, near one
 * some have, is named with its near values in `run`, `run --dry-run` and `check --server`; a
 * command it leaves with no target runs nothing (no file made on the hosts, no run recorded, a
 * denied audit entry) and exits 1. Needs `npm run build`.
 */

let lab: Lab;
let work: string;
const env = () => ({ BREAKWATER_SERVER: lab.server, BREAKWATER_CA: lab.ca, BREAKWATER_TOKEN: lab.token });
const cli = (args: readonly string[]) => runCli(args, { env: env() });
/** A command that leaves a file behind on the hosts (the lab's hosts share this machine's /tmp). */
const touch = (name: string) => `\`touch ${join(work, name)}\``;

interface RunEntry {
  readonly statement: string;
}
interface AuditEntry {
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
  readonly detail: Record<string, unknown>;
}

beforeAll(async () => {
  lab = await startLab({ hosts: 3 }); // web-1, web-2 (role web), db-3 (role db)
  work = await mkdtemp(join(tmpdir(), 'bw-cli-typos-'));
}, 90_000);

afterAll(async () => {
  await lab?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 30_000);

const WARNING = 'warning[BW_NO_MATCH]: no host has role = "wbe"; did you mean "web" (2 hosts)?';

describe('a typo in a filter, with a real lab', () => {
  it('run: names the near value first, runs nothing and exits 1, even with --yes', async () => {
    for (const yes of [[], ['--yes']]) {
      const statement = `host | role = "wbe" | ${touch('ran')}`;
      const r = await cli(['run', statement, ...yes]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(WARNING);
      expect(r.stderr).toContain(`1 | ${statement}`);
      expect(r.stderr).toMatch(/^stopped: this would run on no resource: .* Nothing ran\. \[BW_ERR_NO_TARGETS\]$/m);
    }
    expect(existsSync(join(work, 'ran'))).toBe(false);
    const runs = await lab.api<RunEntry[]>('/api/v1/runs');
    expect(runs.filter((x) => x.statement.includes('"wbe"'))).toEqual([]);
    const audit = await lab.api<AuditEntry[]>('/api/v1/audit?action=run');
    expect(audit.filter((a) => a.target.includes('"wbe"')).map((a) => [a.outcome, a.detail.reason])).toEqual([
      ['denied', 'no targets'],
      ['denied', 'no targets'],
    ]);
  });

  it('run --dry-run: the warning, no target, exit 1; --json carries it on the plan line', async () => {
    const statement = `host | role = "wbe" | ${touch('dry')}`;
    const r = await cli(['run', '--dry-run', statement]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(WARNING);
    expect(r.stdout).toBe('dry run: nothing was run. 0 targets:\n');
    const json = await cli(['run', '--dry-run', '--json', statement]);
    expect(json.code).toBe(1);
    const plan = JSON.parse(json.stdout.split('\n')[0] ?? '') as { type: string; warnings: { code: string; found: string; near: unknown }[] };
    expect(plan.type).toBe('plan');
    expect(plan.warnings).toEqual([expect.objectContaining({ code: 'BW_NO_MATCH', found: 'wbe', near: [{ value: 'web', hosts: 2 }] })]);
    expect(existsSync(join(work, 'dry'))).toBe(false);
  });

  it('a read that finds nothing because of it answers normally, with the warning first; so does a negated one that keeps all', async () => {
    const r = await cli(['run', 'host | role = "wbe"']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(WARNING);
    expect(r.stdout).toMatch(/^0 rows, 0 ok, 0 failed/m);
    const all = await cli(['run', 'host | role != "dbb"']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr.split('\n')[0]).toBe('warning[BW_MATCHES_ALL]: no host has role = "dbb", so this filter keeps every host; did you mean "db" (1 host)?');
    expect(all.stdout).toMatch(/^3 rows/m);
  });

  it('a tag key no host has is named too', async () => {
    const r = await cli(['run', `host | rloe = "web" | ${touch('key')}`, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('warning[BW_NO_MATCH]: no host has a tag `rloe`; did you mean `role` (3 hosts)?');
    expect(existsSync(join(work, 'key'))).toBe(false);
  });

  it('check --server warns from the fleet; check offline cannot know', async () => {
    const statement = 'host | role = "wbe" | count';
    const online = await cli(['check', '--server', lab.server, statement]);
    expect(online.code, online.stderr).toBe(0);
    expect(online.stdout.split('\n')[0]).toBe(WARNING);
    expect(online.stdout.endsWith('ok\n')).toBe(true);
    const json = await cli(['check', '--server', lab.server, '--json', statement]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, diagnostics: [{ code: 'BW_NO_MATCH', found: 'wbe', near: [{ value: 'web', hosts: 2 }] }] });
    expect(await cli(['check', statement])).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
    const both = await cli(['check', '--server', lab.server, '-f', work, statement]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--definitions and --server: pass one');
  });

  it('the same command without the typo runs on the hosts (so the file above would have been made)', async () => {
    const r = await cli(['run', `host | role = "web" | ${touch('ran')}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(existsSync(join(work, 'ran'))).toBe(true);
  });
});
