import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { onTestFinished } from 'vitest';

import type { CollectorContext, HostCollector } from '../src/agent/metrics/collectors/collector.js';
import { Reader } from '../src/agent/metrics/proc-read.js';
import type { Sample, Snapshot } from '../src/agent/metrics/types.js';

/*
 * Test support for the agent's metric collectors and ProcSource (src/agent/metrics/**.test.ts):
 * the fixture tree in src/agent/metrics/fixtures is a small fake /proc and /etc whose values the
 * tests assert exactly. Here, not beside them, so that the build (which compiles every non-test
 * file of src/) does not ship it.
 * Each test works on a private copy, which it rewrites between passes to make counters move.
 */

/** The fixture tree: `proc/` (a fake procfs) and `etc/` (passwd, machine-id, os-release). */
export const FIXTURES = fileURLToPath(new URL('../src/agent/metrics/fixtures/', import.meta.url));

export interface FixtureTree {
  readonly procRoot: string;
  /** Replaces a file of the copy (`path` relative to procRoot). */
  write(path: string, text: string): void;
  read(path: string): string;
  /** A collector context reading the copy, with a monotonic clock that only {@link advance} moves. */
  readonly ctx: CollectorContext;
  advance(ms: number): void;
  /** Deletes the copy now (it is deleted anyway when the test finishes). */
  remove(): void;
}

/**
 * A private copy of the fixture /proc for the running test, deleted when it finishes.
 * @example
 * const tree = fixtureTree();
 * tree.write('loadavg', '1.00 2.00 3.00 1/1 1\n');
 * expect(collectPass(new LoadCollector(tree.ctx), 1)[0]).toEqual({ name: 'load1', value: 1 });
 */
export function fixtureTree(): FixtureTree {
  const dir = mkdtempSync(join(os.tmpdir(), 'bw-procfix-'));
  const procRoot = join(dir, 'proc');
  cpSync(join(FIXTURES, 'proc'), procRoot, { recursive: true });
  let mono = 10_000;
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  onTestFinished(remove);
  return {
    procRoot,
    write: (path, text) => writeFileSync(join(procRoot, path), text),
    read: (path) => readFileSync(join(procRoot, path), 'utf8'),
    ctx: { procRoot, reader: new Reader(), monotonic: () => mono },
    advance: (ms) => {
      mono += ms;
    },
    remove,
  };
}

/** The samples one pass of `collector` pushes. */
export function collectPass(collector: HostCollector, pass: number): Sample[] {
  const host: Sample[] = [];
  collector.collect(host, pass);
  return host;
}

/** A host sample's value in a snapshot (with these labels, when given). */
export const hostValue = (snap: Snapshot, name: string, labels?: Record<string, string>): number | undefined =>
  snap.host.find((s) => s.name === name && (!labels || Object.entries(labels).every(([k, v]) => s.labels?.[k] === v)))?.value;

/** A process of a snapshot, by pid. */
export const procOf = (snap: Snapshot, pid: number) => snap.processes.find((p) => p.info.pid === pid);

/** A sample's value by name. */
export const sampleOf = (samples: readonly Sample[], name: string): number | undefined => samples.find((s) => s.name === name)?.value;
