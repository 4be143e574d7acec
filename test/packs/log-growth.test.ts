import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.js';
import type { RunDetail } from './pack-lab.js';
import { PACK, applyDefinitions } from '../scenarios/scenario-helpers.js';
import { botTimeline, cli, events, installPack, labHost, packLab, waitFor } from './pack-lab.js';

/*
 * The log-growth pack on a real lab: a real process keeps appending to a log in web-1's /data; the
 * directory's size (the pack's custom metric) passes max_size, the bot rotates the log in place
 * (copy-truncate, gzip, keep N) while the process keeps writing to the same open file.
 */

/**
 * A writer that appends numbered lines of ~1 KiB to `file` (O_APPEND, as loggers open it): 2.5 MB
 * at once (the log it had), then 32 lines every 100 ms (~320 KB/s).
 */
function startWriter(file: string): ChildProcess {
  const script = `const fs = require('node:fs'); const fd = fs.openSync(process.argv[1], 'a'); let n = 0;
const write = (lines) => { let s = ''; for (let i = 0; i < lines; i++) s += 'line ' + (n++) + ' ' + 'x'.repeat(1000) + '\\n'; fs.writeSync(fd, s); };
write(2500); setInterval(() => write(32), 100);`;
  return spawn(process.execPath, ['-e', script, file], { stdio: 'ignore' });
}

describe('pack log-growth', () => {
  let lab: Lab;
  packLab({ hosts: 2 }, (l) => (lab = l)); // web-1, web-2
  let writer: ChildProcess | undefined;
  const valuesDir = mkdtempSync(join(tmpdir(), 'bw-log-growth-'));
  afterAll(() => {
    writer?.kill('SIGKILL');
    rmSync(valuesDir, { recursive: true, force: true });
  });

  it('rotates a log a real process keeps writing when its directory grows past max_size', async () => {
    const web1 = labHost(lab, 'web-1');
    const dir = join(web1.dataDir, 'applog');
    mkdirSync(dir, { recursive: true });
    const log = join(dir, 'app.log');
    // Values as an operator keeps them in a file; --set wins over the file.
    const values = join(valuesDir, 'values.yaml');
    writeFileSync(values, 'directory: data/applog\nlog_file: app.log\nmax_size: 64MiB\nclear_below: 2MiB\nkeep: 2\nsample_every: 1s\ncooldown: 1m\n');
    // Installed beside definitions applied by hand (the lab pack): the plan adds the pack's only.
    await applyDefinitions(lab, PACK);
    const installed = await installPack(lab, 'log-growth', { hosts: 'host | role = "web"', max_size: '3MiB' }, ['--values', values]);
    expect(installed.values).toMatchObject({ directory: 'data/applog', max_size: '3MiB', keep: 2, journal_vacuum_size: '' });
    expect(installed.plan.map((l) => `${l.op} ${l.kind} ${l.name}`)).toEqual(['create action rotate_log', 'create metric log_growth_dir_bytes', 'create alarm log-growth', 'create bot log-growth']);
    const alarms = JSON.parse((await cli(lab, ['get', 'alarms', '--json'])).stdout) as { name: string; pack?: string }[];
    expect(alarms).toContainEqual(expect.objectContaining({ name: 'log-growth', pack: 'log-growth@1.0.0' }));
    expect(alarms).toContainEqual(expect.objectContaining({ name: 'data-disk-full' }));
    expect(alarms.find((a) => a.name === 'data-disk-full')?.pack).toBeUndefined();

    const started = Date.now();
    writer = startWriter(log);
    const timeline = await botTimeline(lab, { host: 'web-1', alarm: 'log-growth', bot: 'log-growth', since: started, timeoutMs: 45_000 });
    // The writer goes on, so the alarm may fire again later (the bot then waits out its cooldown).
    expect(timeline.slice(0, 3).map((e) => e.type)).toEqual(['alarm_fired', 'bot_ran', 'alarm_cleared']);
    const [fired, ran, cleared] = timeline as [(typeof timeline)[0], (typeof timeline)[0], (typeof timeline)[0]];
    expect(fired.value).toBeGreaterThan(3 * 1024 * 1024);
    expect(cleared.value).toBeLessThan(2 * 1024 * 1024);
    expect(ran).toMatchObject({ action: 'rotate_log', principal: 'bot:log-growth@web-1' });
    expect(ran.details).toMatchObject({ ok: true, exitCode: 0, args: { dir: 'data/applog', file: 'app.log', keep: 2 } });
    const run = await lab.api<RunDetail>(`/api/v1/runs/${String(ran.runId)}`);
    expect(run.run).toMatchObject({ principal: 'bot:log-growth@web-1', status: 'succeeded' });
    expect(run.results[0]?.stdout).toContain('rotated data/applog/app.log into data/applog/app.log.1.gz, keeping 2');

    // The rotated copy holds the writer's lines; the log was truncated in place and the same
    // process still writes to it, from its start (no hole of zeros: it appends).
    const rotated = gunzipSync(readFileSync(`${log}.1.gz`)).toString('utf8');
    expect(rotated.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(rotated.startsWith('line 0 ')).toBe(true);
    expect(writer.exitCode).toBeNull();
    const after = statSync(log).size;
    expect(after).toBeLessThan(3 * 1024 * 1024);
    await waitFor('the writer to keep writing to the rotated log', () => statSync(log).size > after, 5000, 50);
    expect(readFileSync(log).subarray(0, 5).toString('utf8')).toBe('line ');
    writer.kill('SIGKILL');

    // Keep N: two more rotations (run by hand, as an operator would) keep app.log.1.gz and .2.gz only.
    for (let i = 0; i < 2; i++) {
      const r = await cli(lab, ['run', 'host | name = "web-1" | rotate_log(dir = "data/applog", file = "app.log", keep = 2)', '--yes']);
      expect(r.code, r.stderr).toBe(0);
    }
    expect([1, 2, 3].map((n) => existsSync(`${log}.${n}.gz`))).toEqual([true, true, false]);

    expect((await events(lab, { host: 'web-2', since: started })).filter((e) => e.bot === 'log-growth' || e.alarm === 'log-growth')).toEqual([]);
  }, 90_000);

  it('refuses to rotate outside its directory or through a link, whatever it is asked', async () => {
    symlinkSync('/etc/hostname', join(labHost(lab, 'web-1').dataDir, 'applog', 'link.log'));
    for (const args of ['dir = "data/../../etc", file = "passwd"', 'dir = "data/applog", file = "../x"', 'dir = "/", file = "x"', 'dir = "data/applog", file = "link.log"']) {
      const r = await cli(lab, ['run', `host | name = "web-1" | rotate_log(${args}, keep = 2)`, '--yes', '--json']);
      expect(r.stdout, args).toContain('refusing');
    }
  }, 30_000);
});
