import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memoryOutput } from '../../test/helpers.js';
import { EXIT, EXIT_MEANINGS } from './exit-codes.js';
import { main } from './index.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The rows of the exit-code table in docs/cli.md: `| 0 | meaning |`. */
function documentedCodes(): Map<number, string> {
  const doc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Exit codes'));
  const rows = [...section.matchAll(/^\| (\d+) \| (.+) \|$/gm)];
  return new Map(rows.map((m) => [Number(m[1]), (m[2] ?? '').trim().replace(/\\\|/g, '|')]));
}

/**
 * The exit codes the CLI's sources return as literals: `return 2;`, `? 0 : 1`, `exitCode: 3`.
 * A command that starts returning a new code fails this test until the table has it.
 */
function codesInSources(): Set<number> {
  const dir = join(ROOT, 'src', 'cli');
  const codes = new Set<number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/\breturn (\d+);|\? (\d+) : (\d+);/g)) for (const n of m.slice(1)) if (n !== undefined) codes.add(Number(n));
  }
  return codes;
}

describe('exit codes', () => {
  it('docs/cli.md has one table of them, the same as EXIT_MEANINGS', () => {
    const documented = documentedCodes();
    expect([...documented.keys()]).toEqual(Object.values(EXIT));
    for (const [code, meaning] of documented) expect(meaning).toBe(EXIT_MEANINGS[code as keyof typeof EXIT_MEANINGS]);
  });

  it('every code the CLI returns is in the table', () => {
    const found = codesInSources();
    expect(found.size).toBeGreaterThan(1);
    for (const code of found) expect(Object.values(EXIT), `src/cli returns ${code}`).toContain(code);
  });

  it.each([
    [EXIT.ok, ['--version']],
    [EXIT.ok, ['check', 'host | count']],
    [EXIT.failed, ['check', 'host | cpu_usge > 1']],
    [EXIT.failed, ['get', 'runs']], // nothing listens at the server's address
    [EXIT.usage, ['check']],
    [EXIT.usage, ['run', '--no-such-flag', 'host']],
    [EXIT.usage, ['get', 'runs', '--limit', '0']],
  ] as const)('%i for %j', async (code, argv) => {
    const { stdout, stderr } = memoryOutput();
    const io = { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1', BREAKWATER_SERVER: 'http://127.0.0.1:9', BREAKWATER_TOKEN: 'bwt_x' } };
    expect(await main(argv, io)).toBe(code);
  });
});
