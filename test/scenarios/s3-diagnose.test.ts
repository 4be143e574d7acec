import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import type { AuditRow, RunRow } from './scenario-helpers.js';
import { BY_NAME, cli } from './scenario-helpers.js';
import { describeInModes } from '../modes.js';

/*
 * S3 diagnose: hand-run scripts, and the typo that hits every server. The
 * blast-radius guard stops a command reaching more hosts than allowed until
 * it is confirmed; a dry run lists the targets.
 */

await describeInModes('S3 diagnose', 'test/scenarios/s3-diagnose.test.ts', (mode) => {
  let lab: Lab;
  const TYPO = 'host | `rm -rf "$HOST_ROOT/data/cache"`';
  const cacheDir = (h: LabHost) => join(h.dataDir, 'cache');
  const allNames = () => lab.hosts.map((h) => h.name).sort(BY_NAME);

  beforeAll(async () => {
    lab = await startLab(mode.lab({ hosts: 5, maxTargets: 3 }));
    for (const h of lab.hosts) {
      await mkdir(cacheDir(h), { recursive: true });
      await writeFile(join(cacheDir(h), 'entry'), `cached on ${h.name}\n`);
    }
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  });

  describe('S3: a destructive command across the fleet', () => {
    it('stops the typo before anything runs: exit 1, says how many and how to confirm, audits the refusal', async () => {
      const runsBefore = await lab.api<RunRow[]>('/api/v1/runs?limit=100');
      const r = await cli(lab, ['run', TYPO]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('stopped: this would run on 5 resources, more than the 3 allowed without confirmation; nothing ran');
      expect(r.stderr).toContain('--yes');
      expect(r.stderr).toContain('--dry-run');
      expect(r.stderr).toContain(`targets: ${allNames().join(', ')}`);
      expect(r.stdout).toBe('');

      for (const h of lab.hosts) expect(existsSync(join(cacheDir(h), 'entry')), `${h.name}'s cache`).toBe(true);
      // No run was recorded, and the refusal is in the audit log.
      expect((await lab.api<RunRow[]>('/api/v1/runs?limit=100')).filter((x) => x.statement === TYPO)).toEqual([]);
      expect((await lab.api<RunRow[]>('/api/v1/runs?limit=100')).length).toBe(runsBefore.length);
      const audit = await lab.api<AuditRow[]>('/api/v1/audit?action=run&limit=100');
      expect(audit).toContainEqual(expect.objectContaining({ principal: 'admin', target: TYPO, outcome: 'denied', detail: expect.objectContaining({ reason: 'confirmation required', targets: 5, limit: 3 }) }));
    });

    it('lists the targets in a dry run and runs nothing', async () => {
      const r = await cli(lab, ['run', '--dry-run', TYPO]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('dry run: nothing was run. 5 targets:');
      for (const n of allNames()) expect(r.stdout).toContain(`  ${n}\n`);
      for (const h of lab.hosts) expect(existsSync(join(cacheDir(h), 'entry')), `${h.name}'s cache`).toBe(true);

      const json = await cli(lab, ['run', '--dry-run', '--json', TYPO]);
      const rows = json.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; row?: { resource?: { name: string } } })
        .filter((l) => l.type === 'row');
      expect(rows.map((l) => l.row?.resource?.name ?? '?').sort(BY_NAME)).toEqual(allNames());
    });

    it('does not let a viewer run it at all, confirmed or not', async () => {
      const created = await cli(lab, ['token', 'create', '--role', 'viewer', '--name', 's3-viewer', '--json']);
      expect(created.code).toBe(0);
      const viewer = (JSON.parse(created.stdout) as { token: string }).token;
      for (const args of [['run', TYPO], ['run', '--yes', TYPO]]) {
        const r = await cli(lab, args, { token: viewer });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('running shell commands needs the admin role; token `s3-viewer` has viewer [BW_ERR_FORBIDDEN]');
      }
      for (const h of lab.hosts) expect(existsSync(join(cacheDir(h), 'entry')), `${h.name}'s cache`).toBe(true);
      const audit = await lab.api<AuditRow[]>('/api/v1/audit?action=run&limit=100');
      expect(audit.filter((a) => a.principal === 's3-viewer' && a.target === TYPO && a.outcome === 'denied')).toHaveLength(2);
    });

    it('runs everywhere once confirmed, with the answers grouped', async () => {
      const r = await cli(lab, ['run', '--yes', TYPO]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`5 hosts (${allNames().join(', ')}) exit 0:\n    (no output)\n`);
      expect(r.stdout).toMatch(/5 rows, 5 ok, 0 failed in \d+\.\d\ds \(run [0-9a-f-]{36}\)/);
      // "About a second" is a benchmark target (`npm run bench -- fleet`), not asserted here.
      for (const h of lab.hosts) expect(existsSync(cacheDir(h)), `${h.name}'s cache`).toBe(false);

      const runs = await lab.api<RunRow[]>('/api/v1/runs?limit=100');
      expect(runs.find((x) => x.statement === TYPO)).toMatchObject({ principal: 'admin', status: 'succeeded', targets: 5, failures: 0 });
    });
  });
});
