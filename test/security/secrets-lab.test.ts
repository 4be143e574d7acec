import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import type { ResultRow } from '../../src/protocol/index.js';
import { runCli } from '../helpers.js';
import type { RunDetail, RunRow } from '../scenarios/scenario-helpers.js';
import { cli, cliEnv, events, labForFile, query, waitFor } from '../scenarios/scenario-helpers.js';

/*
 * Secrets end to end, with the real control plane and four real agent
 * processes (web-1, web-2, db-3, cache-4; build first: `npm run build`): the
 * value is set through the CLI's standard input, reaches the action's
 * environment on the db host only, comes back as [secret:NAME], and is found
 * in none of the places it could leak to: the processes' logs, the store's
 * files, the agents' data directories, the export and the API.
 */

const VALUE = 'Xyzzy-Plugh-0123456789';
const DEFS = `
kind: secret
name: db-password
hosts: host | role = "db"
---
kind: action
name: show_secret
description: prints the password it is given, as a careless script would
command: 'echo "pw=$BW_SECRET_DB_PASSWORD len=\${#BW_SECRET_DB_PASSWORD}"'
secrets: [db-password]
---
kind: file
name: db-conf
path: /etc/db/db.conf
content: "listen = 5432\\n"
query: host | role = "db"
`;

let lab: Lab;
let db: LabHost;
labForFile(
  { hosts: 4 },
  { 'secrets.yaml': DEFS },
  (l) => {
    lab = l;
    db = l.hosts.find((h) => h.tags.role === 'db') as LabHost;
  },
  90_000,
);

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path) : e.isFile() ? [path] : [];
  });
}

/** Runs show_secret on every host; rows by host name. */
async function showSecret(): Promise<Map<string, ResultRow>> {
  const rows = await query(lab, 'host | show_secret()');
  return new Map(rows.map((r) => [r.resource?.host ?? '?', r]));
}

describe('a secret, end to end', () => {
  it('is set from standard input, reaches the action on the db host only, and comes back redacted', async () => {
    const set = await runCli(['secret', 'set', 'db-password'], { env: cliEnv(lab), input: `${VALUE}\n` });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toContain('Set secret db-password');

    const rows = await waitFor('the value on the db host', async () => {
      const r = await showSecret();
      return r.get(db.name)?.status === 'ok' ? r : undefined;
    });
    expect(rows.get(db.name)?.values.stdout).toBe(`pw=[secret:db-password] len=${VALUE.length}\n`);
    for (const h of lab.hosts.filter((x) => x !== db)) {
      expect(rows.get(h.name), h.name).toMatchObject({ status: 'error', error: expect.stringContaining('secret db-password is not available on this host') });
    }
    // The scoped file is in place on the db host only.
    await waitFor('db.conf on the db host', () => existsSync(join(db.dir, 'etc', 'db', 'db.conf')));
    for (const h of lab.hosts.filter((x) => x !== db)) expect(existsSync(join(h.dir, 'etc', 'db', 'db.conf')), h.name).toBe(false);
  });

  it('is in no log, store file, agent data directory, export or API answer', async () => {
    const runs = await lab.api<RunRow[]>('/api/v1/runs?limit=5');
    const detail = await lab.api<RunDetail>(`/api/v1/runs/${runs[0]?.id ?? ''}`);
    expect(detail.results.find((r) => r.host === db.name)?.stdout).toBe(`pw=[secret:db-password] len=${VALUE.length}\n`);
    const answers = [detail, runs, await events(lab), await lab.api('/api/v1/audit?limit=100'), await lab.api('/api/v1/definitions'), await lab.api('/api/v1/secrets')];
    for (const a of answers) expect(JSON.stringify(a)).not.toContain(VALUE);
    const exported = await cli(lab, ['export']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('kind: secret');
    expect(exported.stdout).not.toContain(VALUE);

    const files = [...filesUnder(join(lab.dir, 'logs')), ...filesUnder(join(lab.dir, 'server')), ...lab.hosts.flatMap((h) => filesUnder(join(h.dir, 'agent')))];
    expect(files.some((f) => f.endsWith('.db'))).toBe(true);
    expect(files.filter((f) => f.includes(join('agent', ''))).length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(f).includes(VALUE), f).toBe(false);
    expect(statSync(join(lab.dir, 'server', 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it('stays readable after the key is rotated and the control plane restarts', async () => {
    const keyBefore = readFileSync(join(lab.dir, 'server', 'secret.key'), 'utf8');
    const rotated = await cli(lab, ['secret', 'rotate-key']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stderr).toContain('1 value(s) re-encrypted');
    expect(readFileSync(join(lab.dir, 'server', 'secret.key'), 'utf8')).not.toBe(keyBefore);
    await lab.restartServer();
    await lab.waitConnected();
    const list = await cli(lab, ['secret', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'db-password', value: '(set)' })]);
    const rows = await waitFor('the value on the db host after the restart', async () => {
      const r = await showSecret();
      return r.get(db.name)?.status === 'ok' ? r : undefined;
    });
    expect(rows.get(db.name)?.values.stdout).toBe(`pw=[secret:db-password] len=${VALUE.length}\n`);
  });

  it('is taken back from a host whose tags leave the scope', async () => {
    // A run-time tag, as a quarantine action writes it: the agent announces it, the control plane re-scopes.
    await mkdir(join(db.dir, 'agent', 'tags'), { recursive: true });
    await writeFile(join(db.dir, 'agent', 'tags', 'role'), 'quarantined\n');
    const rows = await waitFor('the db host without the value', async () => {
      const r = await showSecret();
      return r.get(db.name)?.status === 'error' ? r : undefined;
    });
    expect(rows.get(db.name)?.error).toContain('secret db-password is not available on this host');
  });
});
