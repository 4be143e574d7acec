import { describe, expect, it } from 'vitest';
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
