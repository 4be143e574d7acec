import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { CollectorContext } from './collectors/collector.js';
import { Reader } from './proc-read.js';

/*
 * Test support for the collectors and ProcSource (used by *.test.ts only, never bundled): the
 * fixture tree in ./fixtures is a small fake /proc and /etc whose values the tests assert exactly.
 * Each test works on a private copy, which it rewrites between passes to make counters move.
 */

/** The fixture tree: `proc/` (a fake procfs) and `etc/` (passwd, machine-id, os-release). */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface FixtureTree {
  readonly procRoot: string;
  /** Replaces a file of the copy (`path` relative to procRoot). */
  write(path: string, text: string): void;
  read(path: string): string;
  /** A collector context reading the copy, with a monotonic clock that only {@link advance} moves. */
  readonly ctx: CollectorContext;
  advance(ms: number): void;
  /** Deletes the copy. */
  remove(): void;
}

/**
 * A private copy of the fixture /proc.
 * @example
 * const tree = fixtureTree();
 * tree.write('loadavg', '1.00 2.00 3.00 1/1 1\n');
 * new LoadCollector(tree.ctx).collect(host, 1);
 * tree.remove();
 */
export function fixtureTree(): FixtureTree {
  const dir = mkdtempSync(join(os.tmpdir(), 'bw-procfix-'));
  const procRoot = join(dir, 'proc');
  cpSync(join(FIXTURES, 'proc'), procRoot, { recursive: true });
  let mono = 10_000;
  return {
    procRoot,
    write: (path, text) => writeFileSync(join(procRoot, path), text),
    read: (path) => readFileSync(join(procRoot, path), 'utf8'),
    ctx: { procRoot, reader: new Reader(), monotonic: () => mono },
    advance: (ms) => {
      mono += ms;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
