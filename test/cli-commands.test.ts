import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { ROOT, runCli, waitUntil } from './helpers.js';
import type { DriftRow } from './scenarios/scenario-helpers.js';
import { cliEnv, labHost } from './scenarios/scenario-helpers.js';

/*
 * The listing and definitions commands of the real `breakwater` CLI against a real lab (TLS, real
 * agent processes): `get agents|alarms|bots|events`, `export` (and applying its files back), and
 * `drift` with its exit code. Needs `npm run build`.
 */

const FIXTURE = join(ROOT, 'test', 'fixtures', 'approval-bot.yaml');

let lab: Lab;
let work: string;

const env = () => cliEnv(lab);
const cli = (args: readonly string[]) => runCli(args, { env: env() });
const host = (name: string): LabHost => labHost(lab, name);
const driftRows = () => lab.api<DriftRow[]>('/api/v1/drift');
/** Waits until every host is connected and on `version`. */
const waitOnVersion = (version: number) => waitUntil(`every host on definitions version ${version}`, async () => (await driftRows()).every((r) => r.connected && r.version === version));

beforeAll(async () => {
  lab = await startLab({ hosts: 3 }); // web-1, web-2, db-3
  work = await mkdtemp(join(tmpdir(), 'bw-cli-commands-'));
  const applied = await cli(['apply', '-f', FIXTURE, '--yes']);
  expect(applied.code, applied.stderr).toBe(0);
  await waitOnVersion(1);
}, 90_000);

afterAll(async () => {
  await lab?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 30_000);

describe('breakwater get', () => {
  it('get agents lists every host with its state; --json is the same, machine-readable', async () => {
    const r = await cli(['get', 'agents']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+LAST SEEN\s+IP\s+TAGS$/);
    for (const name of ['web-1', 'web-2', 'db-3']) expect(r.stdout).toMatch(new RegExp(`^${name}\\s+connected\\s+now\\s`, 'm'));
    expect(r.stdout).toMatch(/^db-3\s.*role=db/m);

    const json = await cli(['get', 'agents', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const agents = JSON.parse(json.stdout) as { name: string; status: string; tags: Record<string, string> }[];
    expect(agents.map((a) => [a.name, a.status]).sort()).toEqual([
      ['db-3', 'connected'],
      ['web-1', 'connected'],
      ['web-2', 'connected'],
    ]);
    expect(agents.find((a) => a.name === 'web-2')?.tags.role).toBe('web');

    // A host whose agent stopped is listed as disconnected, with when it was last seen.
    const db3 = host('db-3');
    const exited = new Promise((resolve) => db3.process.once('exit', resolve));
    db3.process.kill('SIGTERM');
    await exited;
    try {
      await waitUntil('db-3 to be disconnected', async () => (await lab.api<{ name: string; status: string }[]>('/api/v1/agents')).some((a) => a.name === 'db-3' && a.status !== 'connected'));
      const down = await cli(['get', 'agents']);
      expect(down.stdout).toMatch(/^db-3\s+disconnected\s+\d+[smh] ago\s/m);
      expect(down.stdout).toMatch(/^web-1\s+connected\s+now\s/m);
    } finally {
      lab.startAgent(db3);
      await lab.waitConnected(['db-3']);
    }
  }, 60_000);

  it('get alarms and get bots list the applied definitions with what they do (bots with their state)', async () => {
    const alarms = await cli(['get', 'alarms']);
    expect(alarms.code, alarms.stderr).toBe(0);
    expect(alarms.stdout).toMatch(/^needs-approval\s+host \| ok\(`test -e "\$HOST_ROOT\/run\/ask"`\)$/m);
    expect(alarms.stdout).toContain('definitions version 1');
    const alarmsJson = JSON.parse((await cli(['get', 'alarms', '--json'])).stdout) as { name: string; query: string }[];
    expect(alarmsJson.map((a) => [a.name, a.query])).toEqual([['needs-approval', 'host']]);

    const bots = await cli(['get', 'bots']);
    expect(bots.code, bots.stderr).toBe(0);
    expect(bots.stdout).toMatch(/^ask-first\s+alarm needs-approval fired\s+mark_approved\s+0\/\d+ used, \d+ left in \d+s\s+\S+\s+never$/m);

    const json = JSON.parse((await cli(['get', 'bots', '--json'])).stdout) as { name: string; action: string; trigger: { alarm?: string } }[];
    expect(json).toEqual([expect.objectContaining({ name: 'ask-first', action: 'mark_approved', trigger: expect.objectContaining({ alarm: 'needs-approval' }) })]);
  });

  it('get events shows the fleet timeline (the apply, the agents joining); --json and --type filter it', async () => {
    const r = await cli(['get', 'events']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^TIME\s+TYPE\s+HOST\s+MESSAGE$/);
    expect(r.stdout).toMatch(/\sdefinitions_applied\s/);

    const all = JSON.parse((await cli(['get', 'events', '--json'])).stdout) as { type: string; host: string | null }[];
    const types = new Set(all.map((e) => e.type));
    expect(types).toContain('definitions_applied');
    expect(types.size).toBeGreaterThan(1);

    const only = await cli(['get', 'events', '--json', '--type', 'definitions_applied']);
    expect(only.code, only.stderr).toBe(0);
    const filtered = JSON.parse(only.stdout) as { type: string }[];
    expect(filtered.length).toBeGreaterThan(0);
    expect(new Set(filtered.map((e) => e.type))).toEqual(new Set(['definitions_applied']));
  });

  it('get events --grep and get audit --grep find rows by a part of a word, in any case', async () => {
    const events = await cli(['get', 'events', '--json', '--grep', 'EB-']);
    expect(events.code, events.stderr).toBe(0);
    const found = JSON.parse(events.stdout) as { host: string | null; alarm: string | null; bot: string | null; message: string }[];
    expect(found.length).toBeGreaterThan(0);
    for (const e of found) expect([e.host, e.alarm, e.bot, e.message].some((v) => v?.toLowerCase().includes('eb-'))).toBe(true);
    expect(found.some((e) => e.host === 'db-3')).toBe(false);

    const audit = await cli(['get', 'audit', '--json', '--grep', 'FINITIONS.APP']);
    expect(audit.code, audit.stderr).toBe(0);
    const entries = JSON.parse(audit.stdout) as { action: string }[];
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((e) => e.action))).toEqual(new Set(['definitions.apply']));

    const refused = await cli(['get', 'runs', '--grep', 'x']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--grep: only get events and get audit can be searched/);
  });
});

describe('breakwater export', () => {
  it('writes the applied definitions as files that apply back with no changes; an edit to them is a change', async () => {
    const out = join(work, 'export');
    const r = await cli(['export', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote \d+ files of definitions version \d+ to /);
    const files = (await readdir(out, { recursive: true })).filter((f) => f.endsWith('.yaml'));
    const texts = await Promise.all(files.map((f) => readFile(join(out, f), 'utf8')));
    const all = texts.join('\n---\n');
    for (const name of ['mark_approved', 'needs-approval', 'ask-first']) expect(all).toContain(name);
    expect(all).toContain('echo "$BW_HOST" > "$HOST_ROOT/run/approved-ran"');

    const back = await cli(['apply', '-f', out, '--plan']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/No changes: the fleet already runs these definitions \(version \d+\)/);

    // The round trip is not vacuous: an edited export is planned as a change.
    const file = files.find((_, i) => texts[i]?.includes('echo "$BW_HOST"'));
    expect(file).toBeDefined();
    const path = join(out, file ?? '');
    await writeFile(path, (await readFile(path, 'utf8')).replace('timeout: 10s', 'timeout: 20s'));
    const edited = await cli(['apply', '-f', out, '--plan']);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).not.toContain('No changes');
    expect(edited.stdout).toContain('mark_approved');
  });
});

describe('breakwater drift', () => {
  it('exits 1 naming the host that is not on the current version, and 0 once it catches up', async () => {
    const before = await cli(['drift']);
    expect(before.code, before.stdout).toBe(0);
    expect(before.stdout).toMatch(/0 host\(s\) drifting/);

    // A paused agent keeps its connection (for up to three heartbeats) but cannot take the new version.
    const web2 = host('web-2');
    const { version } = await lab.api<{ version: number }>('/api/v1/definitions');
    web2.process.kill('SIGSTOP');
    try {
      const next = join(work, 'next');
      await mkdir(next);
      await writeFile(join(next, 'approval-bot.yaml'), await readFile(FIXTURE, 'utf8'));
      await writeFile(join(next, 'extra.yaml'), 'kind: action\nname: say_hi\ncommand: echo hi\n');
      const applied = await cli(['apply', '-f', next, '--yes']);
      expect(applied.code, applied.stderr).toBe(0);
      await waitUntil('web-1 and db-3 on the new version', async () => (await driftRows()).filter((r) => r.name !== 'web-2').every((r) => r.version === version + 1));

      const r = await cli(['drift']);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^web-2\\s+connected\\s+${version}\\s+yes$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^web-1\\s+connected\\s+${version + 1}\\s+no$`, 'm'));
      expect(r.stdout).toContain(`current version ${version + 1}: 1 host(s) drifting`);
      const json = await cli(['drift', '--json']);
      expect(json.code).toBe(1);
      expect((JSON.parse(json.stdout) as DriftRow[]).filter((x) => x.drift).map((x) => x.name)).toEqual(['web-2']);
    } finally {
      web2.process.kill('SIGCONT');
    }
    await waitOnVersion(version + 1);
    const after = await cli(['drift']);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toContain(`current version ${version + 1}: 0 host(s) drifting`);
  }, 60_000);
});
