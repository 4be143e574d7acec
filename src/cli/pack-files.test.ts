import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PackManifest } from '../definitions/index.js';
import { formatDefinitionDiagnostic, parseDefinitions, readPackManifest, renderPack, resolvePackValues, runbookFromYaml } from '../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import { DEFAULT_PACKS_DIR, listPackNames, readPackFolder } from './pack-files.js';

/*
 * Every pack the package ships renders with its defaults into definitions that check with no
 * diagnostic (so `pack install NAME` works out of the box), and has its README and a runbook.
 */
describe('the packs in packs/', () => {
  const names = listPackNames(DEFAULT_PACKS_DIR);

  it('are found in the package folder', () => {
    expect(names).toContain('disk-full-logs');
    expect(names).not.toContain('lab'); // a folder without pack.yaml is no pack
  });

  it.each(names)('%s renders with its defaults and checks clean', (name) => {
    const folder = readPackFolder(DEFAULT_PACKS_DIR, name);
    const m = readPackManifest(folder.manifest, name);
    expect(m.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
    const manifest = m.manifest as PackManifest;
    const values = resolvePackValues(manifest, {});
    expect(values.diagnostics.map(formatDefinitionDiagnostic), 'every parameter has a default').toEqual([]);
    const r = renderPack(manifest, folder.files, values.values ?? {});
    expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
    const parsed = parseDefinitions(r.rendered?.files ?? [], BUILTIN_CATALOGUE);
    expect(parsed.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
    expect(parsed.definitions.length).toBeGreaterThan(0);
    expect(parsed.definitions.every((d) => d.pack === `${name}@${manifest.version}`)).toBe(true);
    expect(folder.readme, 'README.md').toBeDefined();
    expect(r.rendered?.runbooks.length, 'a runbook').toBeGreaterThan(0);
    for (const rb of r.rendered?.runbooks ?? []) expect(() => runbookFromYaml(rb.text)).not.toThrow();
  });

  it.each(names.filter((n) => readPackManifest(readPackFolder(DEFAULT_PACKS_DIR, n).manifest, n).manifest?.parameters.some((p) => p.name === 'hosts')))(
    '%s takes a hosts selection that leaves quarantined hosts out, and refuses one that is no tag test',
    (name) => {
      const manifest = readPackManifest(readPackFolder(DEFAULT_PACKS_DIR, name).manifest, name).manifest as PackManifest;
      const good = resolvePackValues(manifest, { sets: ['hosts=host | role = "web" | quarantine != "true"'] });
      expect(good.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
      const rendered = renderPack(manifest, readPackFolder(DEFAULT_PACKS_DIR, name).files, good.values ?? {});
      const parsed = parseDefinitions(rendered.rendered?.files ?? [], BUILTIN_CATALOGUE);
      expect(parsed.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
      const bad = resolvePackValues(manifest, { sets: ['hosts=host | role = "web" | `id`'] });
      expect(bad.diagnostics.map((d) => d.code)).toEqual(['BWD_PACK_BAD_VALUE']);
    },
  );
});

describe('reading a pack folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-packs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses names that could leave the folder, and names the packs there', () => {
    mkdirSync(join(dir, 'one'));
    writeFileSync(join(dir, 'one', 'pack.yaml'), 'kind: pack\n');
    expect(() => readPackFolder(dir, '../etc')).toThrow(/expected a pack name/);
    expect(() => readPackFolder(dir, 'two')).toThrow(/no pack "two" .*expected one of one/);
  });

  it('refuses a file over the size limit', () => {
    mkdirSync(join(dir, 'big'));
    writeFileSync(join(dir, 'big', 'pack.yaml'), 'kind: pack\n');
    writeFileSync(join(dir, 'big', 'defs.yaml'), `# ${'x'.repeat(300 * 1024)}\n`);
    expect(() => readPackFolder(dir, 'big')).toThrow(/big\/defs.yaml: expected at most 262144 bytes/);
  });
});
