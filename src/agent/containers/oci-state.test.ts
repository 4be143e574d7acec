import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOciState, readOciState } from './oci-state.js';

const STATE = readFileSync(new URL('./fixtures/runc-state.json', import.meta.url), 'utf8');
const ID = '611bd1a08e060e318d06339ca1b540a3d20bca0f2b9d7db791790d4813031411';

describe('OCI state', () => {
  it('reads runc’s real state.json: created, and its labels without runc’s `bundle`', () => {
    const state = parseOciState(STATE);
    expect(state?.created).toBe(Math.floor(Date.parse('2026-12-06T06:19:44.652797574Z') / 1000));
    expect(state?.labels['io.container.manager']).toBe('libpod');
    expect(state?.labels.bundle).toBeUndefined();
    expect(state?.state).toBe('running');
  });

  it('finds the file under the first directory that has it', () => {
    const root = mkdtempSync(join(tmpdir(), 'bw-oci-'));
    try {
      mkdirSync(join(root, 'b', ID), { recursive: true });
      writeFileSync(join(root, 'b', ID, 'state.json'), STATE);
      expect(readOciState(ID, [join(root, 'a'), join(root, 'b')])?.labels['io.container.manager']).toBe('libpod');
      expect(readOciState('c'.repeat(64), [join(root, 'b')])).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('never throws on hostile text (bounded fuzz)', () => {
    const body = fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.array(fc.string({ maxLength: 40 }), { maxLength: 20 }).map((labels) => JSON.stringify({ created: 'x', config: { labels } })));
    fc.assert(
      fc.property(body, (text) => {
        const state = parseOciState(text);
        if (state) expect(Object.values(state.labels).every((v) => typeof v === 'string')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
