import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.js';
import type { AuditRow, RunDetail } from '../scenarios/scenario-helpers.js';
import { botTimeline, cli, events, installPack, labHost, packLab } from './pack-lab.js';

/*
 * The disk-full-logs pack on a real lab: installed with the real CLI and --set values, a runaway
 * log really filling a host's /data (a tmpfs), the bot deleting it and nothing else.
 */

describe('pack disk-full-logs', () => {
  let lab: Lab;
  packLab({ hosts: 2 }, (l) => (lab = l)); // web-1, web-2
  const values = { hosts: 'host | role = "web"', directory: 'data/logs', min_size: '1MiB', cooldown: '5s' };

  it('installs through the plan, shows its provenance, and refuses hostile values', async () => {
    const hostile = await cli(lab, ['pack', 'install', 'disk-full-logs', '--set', 'directory=$(touch /tmp/x)', '--set', 'treshold=50', '--yes']);
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toContain('directory: parameter `directory` (string): expected a string matching');
    expect(hostile.stderr).toContain('unknown parameter `treshold` of pack disk-full-logs: expected one of `mount`, `hosts`, `threshold`');
    expect(hostile.stderr).toContain('nothing was installed');
    expect((await lab.api<{ version: number }>('/api/v1/definitions')).version).toBe(0);

    const installed = await installPack(lab, 'disk-full-logs', values);
    expect(installed.plan.map((l) => `${l.op} ${l.kind} ${l.name}`)).toEqual(['create action delete_runaway_logs', 'create alarm disk-full-logs', 'create bot disk-full-logs']);
    expect(installed.runbooks).toEqual([{ name: 'disk-full-logs', op: 'create' }]);
    expect(installed.applied).toBe(1);

    const alarms = await cli(lab, ['get', 'alarms']);
    expect(alarms.stdout).toMatch(/PACK/);
    expect(alarms.stdout).toMatch(/disk-full-logs .*disk-full-logs@1\.0\.0/);
    const bots = JSON.parse((await cli(lab, ['get', 'bots', '--json'])).stdout) as { name: string; pack?: string; cooldownSeconds: number }[];
    expect(bots).toEqual([expect.objectContaining({ name: 'disk-full-logs', pack: 'disk-full-logs@1.0.0', cooldownSeconds: 5 })]);
    const list = await cli(lab, ['pack', 'list']);
    expect(list.stdout).toMatch(/disk-full-logs\s+1\.0\.0\s+1\.0\.0/);
    const runbooks = await lab.api<{ name: string; description: string }[]>('/api/v1/runbooks');
    expect(runbooks).toContainEqual(expect.objectContaining({ name: 'disk-full-logs', description: expect.stringContaining('under data/logs') }));

    // The same values again change nothing; a new value plans an update of that field only.
    expect((await installPack(lab, 'disk-full-logs', values)).applied).toBeNull();
    const dry = await cli(lab, ['pack', 'install', 'disk-full-logs', ...Object.entries({ ...values, max_runs: 2 }).flatMap(([k, v]) => ['--set', `${k}=${v}`]), '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('~ bot disk-full-logs: circuit_breaker.max 3 -> 2');
    expect(dry.stdout).toContain('Plan: 0 to create, 1 to change, 0 to delete.');
    expect((await lab.api<{ version: number }>('/api/v1/definitions')).version).toBe(1);
  }, 60_000);

  it('deletes the runaway log when /data fills, and nothing outside its directory or below its size', async () => {
    const web1 = labHost(lab, 'web-1');
    const other = join(web1.dataDir, 'other');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'big.log'), Buffer.alloc(4 * 1024 * 1024, 120)); // outside the directory
    writeFileSync(join(web1.dataDir, 'logs', 'small.log'), Buffer.alloc(64 * 1024, 120)); // under min_size
    const started = Date.now();
    await lab.fillDisk(web1, 95);

    const timeline = await botTimeline(lab, { host: 'web-1', alarm: 'disk-full-logs', bot: 'disk-full-logs', since: started });
    expect(timeline.map((e) => e.type)).toEqual(['alarm_fired', 'bot_ran', 'alarm_cleared']);
    const [fired, ran, cleared] = timeline as [(typeof timeline)[0], (typeof timeline)[0], (typeof timeline)[0]];
    expect(fired.value).toBeGreaterThan(90);
    expect(cleared.value).toBeLessThan(80);
    expect(ran).toMatchObject({ bot: 'disk-full-logs', action: 'delete_runaway_logs', principal: 'bot:disk-full-logs@web-1' });
    expect(ran.details).toMatchObject({ ok: true, exitCode: 0, args: { dir: 'data/logs', glob: '*.log', min_size: '1MiB' } });

    expect(existsSync(join(web1.dataDir, 'logs', 'runaway.log'))).toBe(false);
    expect(existsSync(join(web1.dataDir, 'logs', 'small.log'))).toBe(true);
    expect(existsSync(join(other, 'big.log'))).toBe(true);

    // The run record and its audit entry, as for any run.
    const run = await lab.api<RunDetail>(`/api/v1/runs/${String(ran.runId)}`);
    expect(run.run).toMatchObject({ principal: 'bot:disk-full-logs@web-1', status: 'succeeded', targets: 1, failures: 0 });
    expect(run.results[0]?.stdout).toContain('runaway.log');
    expect(run.results[0]?.stdout).not.toContain('small.log');
    const audit = await lab.api<AuditRow[]>(`/api/v1/audit?principal=${encodeURIComponent('bot:disk-full-logs@web-1')}&limit=10`);
    expect(audit).toContainEqual(expect.objectContaining({ action: 'run', runId: ran.runId, outcome: 'ok' }));

    // The other web host was never full: nothing happened there.
    expect((await events(lab, { host: 'web-2', since: started })).filter((e) => e.bot === 'disk-full-logs' || e.alarm === 'disk-full-logs')).toEqual([]);
  }, 60_000);

  it("refuses to replace a runbook of the same name that it did not install, installing nothing", async () => {
    const mine = 'kind: runbook\nname: log-growth\ndescription: our own notes on log growth\ncells:\n  - markdown: Call the storage team first.\n';
    await lab.api('/api/v1/runbooks/import', { text: mine });
    const before = (await lab.api<{ version: number }>('/api/v1/definitions')).version;
    const r = await cli(lab, ['pack', 'install', 'log-growth', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pack log-growth has runbook log-growth, and a different runbook of that name exists already (not from this pack)');
    expect((await lab.api<{ version: number }>('/api/v1/definitions')).version).toBe(before);
    const runbooks = await lab.api<{ name: string; description: string }[]>('/api/v1/runbooks');
    expect(runbooks.filter((b) => b.name === 'log-growth')).toEqual([expect.objectContaining({ description: 'our own notes on log growth' })]);
  }, 30_000);
});
