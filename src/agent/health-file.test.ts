import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reportHealth } from './health-file.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('reportHealth', () => {
  it('writes the state on each change and touches the file after each collection pass', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bw-health-'));
    const path = join(dir, 'health');
    const daemon = new EventEmitter();
    reportHealth(daemon, path, 'starting', (m) => expect.fail(m));
    expect(readFileSync(path, 'utf8')).toBe('starting\n');
    daemon.emit('state', 'connected');
    expect(readFileSync(path, 'utf8')).toBe('connected\n');

    const old = new Date(Date.now() - 3_600_000);
    utimesSync(path, old, old);
    daemon.emit('collected');
    expect(Date.now() - statSync(path).mtimeMs).toBeLessThan(60_000);
    const passed = statSync(path).mtimeMs;
    await new Promise((r) => setTimeout(r, 30));
    // A state change keeps the time of the last pass: a flapping connection hides no stuck collection.
    daemon.emit('state', 'backoff');
    expect(readFileSync(path, 'utf8')).toBe('backoff\n');
    expect(statSync(path).mtimeMs).toBe(passed);
  });

  it('a file it cannot write is reported once, and the agent goes on', () => {
    dir = mkdtempSync(join(tmpdir(), 'bw-health-'));
    const problems: string[] = [];
    const daemon = new EventEmitter();
    reportHealth(daemon, join(dir, 'missing', 'health'), 'starting', (m) => problems.push(m));
    daemon.emit('collected');
    daemon.emit('state', 'connected');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`health file ${join(dir, 'missing', 'health')} not written`);
  });
});
