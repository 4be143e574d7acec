import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

describe('breakwater check (real process)', () => {
  it('prints only ok for a valid statement', async () => {
    const r = await runCli(['check', 'host | avg(cpu_usage[5m]) > 80 | top(5, cpu_usage)']);
    expect(r).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
  });

  it('shows every error with the source line and a caret under the span', async () => {
    const r = await runCli(['check', 'host | disk_usge > 90 | restat(x = 1)']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'error[BW_UNKNOWN_METRIC]: unknown metric `disk_usge` for host; did you mean `disk_usage`?',
        ' --> 1:8',
        '  |',
        '1 | host | disk_usge > 90 | restat(x = 1)',
        '  |        ^^^^^^^^^',
        '  = help: replace with disk_usage',
        '',
        'error[BW_UNKNOWN_ACTION]: unknown action `restat`: no actions are defined',
        ' --> 1:25',
        '  |',
        '1 | host | disk_usge > 90 | restat(x = 1)',
        '  |                         ^^^^^^',
        '',
        '2 errors',
        '',
      ].join('\n'),
    );
  });

  it('prints { ok, diagnostics, plan } with --json', async () => {
    const ok = await runCli(['check', '--json', 'host | env = "prod" | count']);
    expect(ok.code).toBe(0);
    const parsed = JSON.parse(ok.stdout);
    expect(parsed.ok).toBe(true);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.plan.phases.map((p: { where: string }) => p.where)).toEqual(['inventory', 'control']);

    const bad = await runCli(['check', '--json', 'host | cpu_usage > "x"']);
    expect(bad.code).toBe(1);
    const err = JSON.parse(bad.stdout);
    expect(err.plan).toBeNull();
    expect(err.diagnostics[0]).toMatchObject({ code: 'BW_TYPE_MISMATCH', severity: 'error', location: { line: 1, column: 18 } });
  });

  it('reads the statement from stdin with -', async () => {
    const r = await runCli(['check', '-'], { input: 'host\n| zombie_count > 0\n| count\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
    const multi = await runCli(['check', '-'], { input: 'host\n| zombie_count > "0"\n' });
    expect(multi.stderr).toContain(' --> 2:16');
    expect(multi.stderr).toContain('2 | | zombie_count > "0"');
  });

  it('exits 2 with a message for a wrong command line', async () => {
    const r = await runCli(['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'pipeline'");
  });
});

describe('breakwater check --definitions (real process)', () => {
  const root = mkdtempSync(join(tmpdir(), 'bw-check-defs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Writes files (path -> text) under a fresh folder and returns the folder. */
  const folder = (name: string, files: Record<string, string>) => {
    const dir = join(root, name);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };

  const good = folder('good', {
    'actions/restart.yaml': 'kind: action\nname: restart_service\ncommand: systemctl restart "$name"\nparams:\n  name: string\n',
    'metrics/workers.yml': 'kind: metric\nname: busy_workers\nunit: count\ncommand: cat /run/app/busy\n',
    'notes.txt': 'not a definition file',
    '.git/config.yaml': 'not: [valid',
  });

  it("checks a statement against the definitions' actions and metrics", async () => {
    const r = await runCli(['check', '-f', good, 'host | restart_service(name = "api")']);
    expect(r).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
    const long = await runCli(['check', '--definitions', good, 'host | busy_workers > 40 | count']);
    expect(long).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
    const without = await runCli(['check', 'host | restart_service(name = "api")']);
    expect(without.code).toBe(1);
  });

  it('still reports the statement\'s own errors, now knowing the defined actions', async () => {
    const r = await runCli(['check', '-f', good, 'host | restart_servce(name = "api")']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[BW_UNKNOWN_ACTION]: unknown action `restart_servce`: did you mean `restart_service`?');
  });

  it('prints each definition problem as file:line:column field: message [code], and exits 1', async () => {
    const bad = folder('bad', {
      'alarms.yaml': 'kind: alarm\nname: disk\nquery: host\nfire: disk_usge > 90\nfire_fr: 30s\n',
      'bots/clean.yaml': 'kind: bot\nname: clean\ntrigger: { alarm: disc }\naction: restart_service\nargs: { name: x }\n',
    });
    const r = await runCli(['check', '-f', bad, 'host | count']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        `${join(bad, 'alarms.yaml')}:4:7 fire: unknown metric \`disk_usge\` for host; did you mean \`disk_usage\`? (BW_UNKNOWN_METRIC) [BWD_BAD_QUERY]`,
        `${join(bad, 'alarms.yaml')}:5:1 fire_fr: unknown field \`fire_fr\` in an alarm; did you mean \`fire_for\`? [BWD_UNKNOWN_FIELD]`,
        `${join(bad, 'bots/clean.yaml')}:3:19 trigger.alarm: unknown alarm \`disc\`: did you mean \`disk\`? [BWD_UNKNOWN_ALARM]`,
        `${join(bad, 'bots/clean.yaml')}:4:9 action: unknown action \`restart_service\`: the set defines no actions [BWD_UNKNOWN_ACTION]`,
        `4 errors in the definitions under ${bad}`,
        '',
      ].join('\n'),
    );
  });

  it('checks the scenario fixtures, and reports definition problems as JSON with --json', async () => {
    const scenarios = await runCli(['check', '-f', 'src/definitions/fixtures/scenarios', 'host | role = "api" | busy_workers > 40 | apply_patch(port = 8081)']);
    expect(scenarios).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
    const bad = folder('bad-json', { 'x.yaml': 'kind: schedule\nname: x\ncron: "61 * * * *"\nrun: host | count\n' });
    const r = await runCli(['check', '--json', '-f', bad, 'host | count']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, diagnostics: [], plan: null });
    expect(out.definitionDiagnostics).toEqual([expect.objectContaining({ file: join(bad, 'x.yaml'), line: 3, column: 7, field: 'cron', code: 'BWD_BAD_CRON', severity: 'error' })]);
  });

  it('exits 2 when the folder is missing or holds no definition files', async () => {
    const missing = await runCli(['check', '-f', join(root, 'nope'), 'host']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('-f: cannot read');
    const empty = folder('empty', { 'README.md': '# nothing here' });
    const none = await runCli(['check', '-f', empty, 'host']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('-f: no .yaml or .yml files under');
  });
});
