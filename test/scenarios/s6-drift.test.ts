import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import type { DriftRow } from './scenario-helpers.js';
import { PACK, applyDefinitions, cli, labForFile, tempDefinitions, waitFor, waitNoDrift } from './scenario-helpers.js';
import { describeInModes } from '../modes.js';

/*
 * S6 drift: scripts on some boxes and not on others, new installs without
 * them. Definitions are central and versioned; every agent gets the current
 * set on connect, new hosts included; the drift report shows who runs what.
 */

await describeInModes('S6 drift', 'test/scenarios/s6-drift.test.ts', (mode) => {
  let lab: Lab;
  const cleanups = labForFile(mode.lab({ hosts: 4 }), PACK, (l) => (lab = l)); // web-1, web-2, db-3, cache-4
  const logrotate = (h: LabHost) => join(h.dir, 'etc', 'logrotate.d', 'app');

  /** The content the pack's file definition app-logrotate puts in place, read from the pack itself. */
  function packContent(text: string): string {
    const file = parseAllDocuments(text)
      .map((d) => d.toJS() as { kind?: string; name?: string; content?: string })
      .find((d) => d.kind === 'file' && d.name === 'app-logrotate');
    if (typeof file?.content !== 'string') throw new Error('the pack has no file app-logrotate');
    return file.content;
  }

  describe('S6: one versioned set of definitions, on every host', () => {
    /** The late host, joined once by whichever test needs it first (each test sets up its own state). */
    let joining: Promise<LabHost> | undefined;
    const lateHost = () =>
      (joining ??= (async () => {
        const late = await lab.addHost(); // the fifth host: web-5
        await lab.waitConnected([late.name]);
        return late;
      })());

    it('puts the pack\'s file on a host that joins late, within seconds, and only on web hosts', async () => {
      const content = packContent(await readFile(join(PACK, 's6-files.yaml'), 'utf8'));
      expect(content).toContain('/data/logs/*.log');
      const late = await lateHost();
      expect(late.tags.role).toBe('web');

      await waitFor(`${logrotate(late)} on the late host`, () => existsSync(logrotate(late)) && readFileSync(logrotate(late), 'utf8') === content, 15_000, 100);
      expect(statSync(logrotate(late)).mode & 0o7777).toBe(0o644);

      for (const h of lab.hosts) {
        if (h.tags.role === 'web') {
          expect(readFileSync(logrotate(h), 'utf8'), h.name).toBe(content);
          expect(statSync(logrotate(h)).mode & 0o7777, h.name).toBe(0o644);
        } else {
          expect(existsSync(logrotate(h)), h.name).toBe(false);
        }
      }
    });

    it('reports zero drift, the late host included', async () => {
      const late = await lateHost();
      const rows = await waitNoDrift(lab, 1);
      expect(rows.map((r) => r.name)).toContain(late.name);
      expect(rows.map((r) => r.name).sort()).toEqual(lab.hosts.map((h) => h.name).sort());
      const r = await cli(lab, ['drift']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('current version 1: 0 host(s) drifting');
      for (const h of lab.hosts) expect(r.stdout).toMatch(new RegExp(`^${h.name}\\s+connected\\s+1\\s+no$`, 'm'));
      const json = JSON.parse((await cli(lab, ['drift', '--json'])).stdout) as DriftRow[];
      expect(json.filter((x) => x.drift !== false)).toEqual([]);
    });

    it('moves every host to version 2 when the definitions change, and the file follows', async () => {
      const original = await readFile(join(PACK, 's6-files.yaml'), 'utf8');
      const changed = original.replace('rotate 6', 'rotate 12');
      expect(changed).not.toBe(original);
      const defs = await tempDefinitions({ 's6-files.yaml': changed }, PACK);
      cleanups.push(defs.cleanup);
      const before = await lab.api<{ version: number }>('/api/v1/definitions');
      expect(before.version).toBe(1);

      const applied = await applyDefinitions(lab, defs.dir);
      expect(applied.stdout).toContain('~ file app-logrotate');
      expect(applied.stdout).toContain('Applied version 2.');
      expect((await lab.api<{ version: number }>('/api/v1/definitions')).version).toBe(2);

      const rows = await waitNoDrift(lab, 2);
      expect(rows.map((x) => [x.name, x.version]).sort()).toEqual(lab.hosts.map((h) => [h.name, 2]).sort());
      const content = packContent(changed);
      for (const h of lab.hosts.filter((x) => x.tags.role === 'web')) {
        await waitFor(`the new content on ${h.name}`, () => readFileSync(logrotate(h), 'utf8') === content, 15_000);
      }
      const r = await cli(lab, ['drift']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('current version 2: 0 host(s) drifting');

      // Applying the same folder again changes nothing and keeps version 2.
      const again = await cli(lab, ['apply', '-f', defs.dir, '--yes']);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('No changes: the fleet already runs these definitions (version 2).');
    });
  });
});
