import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResultRow } from '../../protocol/index.js';
import { openSqliteStore } from '../store/index.js';
import { resultRecord } from './run-statement.js';

describe('resultRecord', () => {
  it('turns what the store refuses (NUL, unpaired surrogates) into U+FFFD everywhere, so the run is recorded', async () => {
    const row: ResultRow = {
      resource: { type: 'process', id: 'web-1/42', name: 'java', host: 'web-1' },
      status: 'ok',
      values: { cmdline: 'java\u0000-jar\u0000app.jar', stdout: 'a\u0000b', nested: { list: ['\ud800x', 'ok \ud83d\ude00'], 'k\u0000ey': 1 }, exit_code: 0 },
      error: 'half \udc00',
    };
    const rec = resultRecord('run-1', row);
    expect(rec.stdout).toBe('a\uFFFDb');
    expect(rec.error).toBe('half \uFFFD');
    expect(rec.values).toEqual({ cmdline: 'java\uFFFD-jar\uFFFDapp.jar', stdout: 'a\uFFFDb', nested: { list: ['\uFFFDx', 'ok \ud83d\ude00'], 'k\uFFFDey': 1 }, exit_code: 0 });
    // The store takes it as it is (it refuses NUL and unpaired surrogates), and gives it back.
    const dir = await mkdtemp(join(tmpdir(), 'bw-run-record-'));
    const store = openSqliteStore(join(dir, 'breakwater.db'));
    try {
      await store.migrate();
      await store.createRun({ id: 'run-1', principal: 'admin', statement: 'process | `java`', plan: {}, status: 'running', startedAt: 1, finishedAt: null, targets: 1, failures: 0 });
      await store.addRunResults([rec]);
      expect((await store.getRun('run-1'))?.results).toEqual([expect.objectContaining({ stdout: 'a\uFFFDb', error: 'half \uFFFD', values: rec.values })]);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps what JSON keeps: numbers, booleans, nulls; a non-finite number becomes null', () => {
    const rec = resultRecord('run-1', { status: 'ok', values: { n: 1.5, b: true, z: null, nan: Number.NaN } });
    expect(rec.values).toEqual({ n: 1.5, b: true, z: null, nan: null });
    expect(rec.resourceType).toBe('row');
  });
});
