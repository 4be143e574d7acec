import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryOutput } from '../../test/helpers.js';
import { BUILTIN_CATALOGUE, analyze } from '../lang/index.js';
import type { ExplainEntry } from './explain-entries.js';
import { explainEntries } from './explain-entries.js';
import { main } from './index.js';

async function explain(...args: string[]) {
  const { stdout, stderr, out, err } = memoryOutput();
  const code = await main(['explain', ...args], { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1' } });
  return { code, out: out(), err: err() };
}

describe('breakwater explain', () => {
  it('a metric: what it measures on each resource type, its unit, labels and examples', async () => {
    const r = await explain('disk_usage');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^disk_usage {2}metric\n {2}Space used on a mounted filesystem/);
    expect(r.out).toMatch(/^ {2}Synopsis +disk_usage\{mount, device, fstype\}$/m);
    expect(r.out).toMatch(/^ {2}Unit +a percentage \(literals: %\)$/m);
    expect(r.out).toContain('host | disk_usage{mount="/"} > 90');
    const cpu = await explain('cpu_usage');
    expect(cpu.out).toMatch(/^ {2}On +host, process, container, pod$/m);
    expect(cpu.out).toContain('on process: CPU time used over the last second');
  });

  it('a stage: its kind, arguments and related stages', async () => {
    const r = await explain('top');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}Synopsis +top\(n, x\)$/m);
    expect(r.out).toMatch(/^ {4}n +integer, required +How many rows to keep\.$/m);
    expect(r.out).toMatch(/^ {4}x +numeric, required +A numeric column/m);
    expect(r.out).toMatch(/^ {2}Related +sort, limit, sample$/m);
    expect((await explain('rolling')).out).toMatch(/^ {4}pause +duration, default 0s/m);
  });

  it('a function, and a name that is both a function and a stage shows both', async () => {
    const rate = await explain('rate');
    expect(rate.out).toMatch(/^rate {2}function\n/);
    expect(rate.out).toMatch(/^ {2}Returns +the range's unit per second$/m);
    const count = await explain('count');
    expect(count.out).toMatch(/^count {2}stage$/m);
    expect(count.out).toMatch(/^count {2}function$/m);
  });

  it('a resource type: its attributes, metrics and where it traverses to', async () => {
    const r = await explain('process');
    expect(r.out).toMatch(/^process {2}resource\n {2}A process on a host/);
    expect(r.out).toMatch(/^ {2}Metrics +cpu_usage, mem_rss_bytes, fd_count, fd_limit, fd_usage, thread_count, uptime_seconds$/m);
    expect(r.out).toMatch(/^ {2}Related +host, container$/m);
  });

  it('a typo fails with exit 2 and the near names, on stderr only', async () => {
    const r = await explain('disk_usge');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe('error: nothing in the catalogue is called "disk_usge"; did you mean disk_usage? [BW_ERR_CONFIG]\n');
    expect((await explain('cpu')).err).toContain('did you mean cpu_iowait, cpu_limit_usage, cpu_usage?');
    expect((await explain('zzzzzzzz')).err).toContain('`breakwater explain` lists every name');
  });

  it('no name lists every name, grouped by kind', async () => {
    const r = await explain();
    expect(r.code).toBe(0);
    const headings = r.out.split('\n').filter((l) => /^\S/.test(l));
    expect(headings.slice(0, 6)).toEqual(['Resource types', 'Stages', 'Metrics', 'Attributes', 'Functions', 'Event fields']);
    expect(r.out).toMatch(/^Stages\n {2}avg count distinct events group_by limit max min rolling sample sort sum top\n/m);
  });

  it('--json prints the entries for scripts', async () => {
    const r = await explain('quantile', '--json');
    const entries = JSON.parse(r.out) as ExplainEntry[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ name: 'quantile', kind: 'function', synopsis: 'quantile(q, x)' });
    expect(entries[0]?.arguments.map((a) => a.name)).toEqual(['q', 'x']);
  });

  it('every entry of the catalogue explains, with a description and an example that names it', async () => {
    const entries = explainEntries(BUILTIN_CATALOGUE);
    expect(entries.length).toBeGreaterThan(60);
    for (const e of entries) {
      const r = await explain(e.name);
      expect(r.code, e.name).toBe(0);
      expect(r.out, e.name).toMatch(new RegExp(`^${e.name} {2}${e.kind}$`, 'm'));
      expect(e.description.join('').length, e.name).toBeGreaterThan(5);
      expect(e.examples.some((x) => x.includes(e.name)), e.name).toBe(true);
      for (const x of e.examples) expect(analyze(x, BUILTIN_CATALOGUE).diagnostics.filter((d) => d.severity === 'error'), `${e.name}: ${x}`).toEqual([]);
    }
  });

  it('any name at all: a page (exit 0) or the near names (exit 2), never a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 30 }), fc.string({ minLength: 200, maxLength: 2000 }), fc.constantFrom('constructor', '__proto__', 'toString', '', '-', 'cpu_usage')), async (name) => {
        const r = await explain('--', name);
        expect([0, 2]).toContain(r.code);
        if (r.code === 2) expect(r.err).toMatch(/^error: nothing in the catalogue is called .* \[BW_ERR_CONFIG\]\n$/s);
        expect(r.err).not.toContain('    at ');
      }),
      { seed: 12, numRuns: 100 },
    );
  });
});
