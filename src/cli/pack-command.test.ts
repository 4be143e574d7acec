import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryOutput } from '../../test/helpers.js';
import { main } from './index.js';

/*
 * `breakwater pack` in-process, without a control plane: list and show work offline; install checks
 * the values before it asks the control plane anything (the one configured here does not exist).
 */
function cli() {
  const { stdout, stderr, out, err } = memoryOutput();
  return { io: { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1' } as NodeJS.ProcessEnv }, out, err };
}
const offline = { BREAKWATER_SERVER: 'http://127.0.0.1:9', BREAKWATER_TOKEN: 'bw_nothing' };

describe('breakwater pack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-pack-cmd-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the packs offline, without the INSTALLED column', async () => {
    const m = cli();
    expect(await main(['pack', 'list'], m.io)).toBe(0);
    expect(m.out()).toMatch(/^NAME\s+VERSION\s+DESCRIPTION\n/);
    expect(m.out()).toMatch(/disk-full-logs\s+1\.0\.0\s+Frees a filesystem/);
    expect(m.out()).toMatch(/log-growth\s+1\.0\.0/);
    expect(m.out()).not.toContain('INSTALLED');
  });

  it('shows a pack: parameters with types and defaults, files, README', async () => {
    const m = cli();
    expect(await main(['pack', 'show', 'disk-full-logs', '--json'], m.io)).toBe(0);
    const shown = JSON.parse(m.out()) as { name: string; replaces: string; parameters: { name: string; type: string; default: unknown }[]; files: string[]; readme: string };
    expect(shown).toMatchObject({ name: 'disk-full-logs', version: '1.0.0', files: ['disk-full-logs/disk-full-logs.yaml', 'disk-full-logs/runbook.yaml'] });
    expect(shown.parameters).toContainEqual({ name: 'max_runs', type: 'integer', default: 3, description: expect.any(String) });
    expect(shown.readme).toMatch(/packs\/disk-full-logs\/README\.md$/);
    const unknown = cli();
    expect(await main(['pack', 'show', 'disk-ful-logs'], unknown.io)).toBe(1);
    expect(unknown.err()).toContain('no pack "disk-ful-logs"');
    expect(unknown.err()).toContain('expected one of disk-full-logs');
  });

  it('refuses bad values before asking the control plane, each with where and expected vs found', async () => {
    const values = join(dir, 'values.yaml');
    writeFileSync(values, 'min_size: 500\ncooldown: 10m\n');
    const m = cli();
    Object.assign(m.io.env, offline);
    expect(await main(['pack', 'install', 'disk-full-logs', '--values', values, '--set', 'directory=/data/logs; rm -rf /', '--set', 'max_run=2', '--yes'], m.io)).toBe(1);
    expect(m.err()).toContain(`${values}:1:11 min_size: parameter \`min_size\` (size): expected a size such as 100MiB or 2GB, found "500"; add a unit, e.g. 500MiB [BWD_PACK_BAD_VALUE]`);
    expect(m.err()).toContain('--set:1:1 directory: parameter `directory` (string): expected a string matching');
    expect(m.err()).toContain('--set:1:2 max_run: unknown parameter `max_run` of pack disk-full-logs: expected one of');
    expect(m.err()).toContain('did you mean `max_runs`? [BWD_PACK_UNKNOWN_PARAM]');
    expect(m.err()).toContain('pack disk-full-logs: nothing was installed.');
  });

  it('finds packs in another folder with --dir', async () => {
    const m = cli();
    expect(await main(['pack', 'list', '--dir', dir], m.io)).toBe(0);
    expect(m.out()).toContain('(none)');
  });
});
