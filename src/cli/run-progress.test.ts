import { describe, expect, it } from 'vitest';
import type { ResultRow } from '../protocol/index.js';
import { RunProgress, hostLine, rolloutSummary } from './run-progress.js';
import { styleFor } from './style.js';

const plain = styleFor({ isTTY: false }, {});
const row = (name: string, exit: number, stdout = ''): ResultRow => ({ resource: { type: 'host', id: name, name, host: name }, status: 'ok', values: { exit_code: exit, stdout, stderr: '' } });
const timedOut = (name: string): ResultRow => ({ resource: { type: 'host', id: name, name, host: name }, status: 'timeout', error: 'did not answer in 30s', values: {} });

/** A terminal stand-in: what was written, in order. */
function terminal(columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { isTTY: true, ...(columns === undefined ? {} : { columns }), write: (s: string) => writes.push(s) > 0 } as never };
}

describe('RunProgress', () => {
  it('counts hosts done, ok, failed and pending, and the elapsed time', () => {
    let now = 1000;
    const p = new RunProgress(undefined, plain, () => now);
    p.targets(50);
    for (let i = 1; i <= 11; i++) p.row(row(`web-${i}`, 0));
    p.row(row('db-1', 2));
    now += 4200;
    expect(p.line()).toBe('12/50 done · 11 ok · 1 failed · 38 pending · 4.2 s');
    p.end();
  });

  it('counts a host once however many rows it sends, failed if any failed; shows the batch of a rollout', () => {
    const p = new RunProgress(undefined, plain, () => 0);
    p.row(row('web-1', 0));
    p.row(timedOut('web-1'));
    p.row(row('web-2', 0));
    expect(p.line()).toBe('2 done · 1 ok · 1 failed · 0.0 s');
    p.batch({ type: 'progress', stage: 'batch_started', batch: 2, batches: 5, resources: ['web-3'], message: 'batch 2/5: web-3' });
    expect(p.line()).toBe('batch 2/5 · 2 done · 1 ok · 1 failed · 0.0 s');
    p.batch({ type: 'progress', stage: 'batch_done', batch: 2, batches: 5, resources: ['web-3'], message: 'batch 2/5 done', errors: 1, maxErrors: 2 });
    expect(p.line()).toBe('batch 2/5 · errors 1/2 · 2 done · 1 ok · 1 failed · 0.0 s');
    p.end();
  });

  it('sums up a rollout: why it aborted, then what ran, failed and never started, aligned', () => {
    const aborted = { batches: 3, started: 2, maxErrors: 2, ok: ['h1'], failed: ['h2', 'h3', 'h4'], notStarted: ['h5', 'h6'], aborted: '3 failures > max_errors 2: batch 2 failed on h3, h4' };
    expect(rolloutSummary(aborted, plain)).toBe(
      ['rollout aborted after batch 2/3, errors 3/2: 3 failures > max_errors 2: batch 2 failed on h3, h4', '  ok           1  h1', '  failed       3  h2, h3, h4', '  not started  2  h5, h6', ''].join('\n'),
    );
    expect(rolloutSummary({ batches: 2, started: 2, maxErrors: 0, ok: ['h1', 'h2'], failed: [], notStarted: [], aborted: null }, plain)).toBe('rollout: 2/2 batches\n  ok           2  h1, h2\n');
    // Over the budget in the last batch: nothing left to stop, still not a success.
    expect(rolloutSummary({ batches: 2, started: 2, maxErrors: 1, ok: ['h1'], failed: ['h2', 'h3'], notStarted: [], aborted: null }, plain).split('\n')[0]).toBe('rollout over its error budget: 2/2 batches, errors 2/1');
    expect(rolloutSummary({ batches: 2, started: 2, maxErrors: 0, ok: ['h1'], failed: ['h2'], notStarted: [], aborted: null }, plain).split('\n')[0]).toBe('rollout failed: 2/2 batches');
  });

  it('on a terminal: draws in place, prints lines above the status line, erases it at the end', () => {
    const tty = terminal(80);
    const out: string[] = [];
    const p = new RunProgress(tty.stream, plain, () => 0);
    p.targets(2);
    p.row(row('web-1', 0, 'hi\n'));
    p.print({ write: (s: string) => out.push(s) > 0 } as never, 'line\n');
    p.end();
    expect(tty.writes).toEqual(['\r\u001b[2K0/2 done · 0 ok · 0 failed · 2 pending · 0.0 s', '\r\u001b[2K1/2 done · 1 ok · 0 failed · 1 pending · 0.0 s', '\r\u001b[2K', '\r\u001b[2K1/2 done · 1 ok · 0 failed · 1 pending · 0.0 s', '\r\u001b[2K']);
    expect(out).toEqual(['line\n']);
    // Ended: nothing more is drawn.
    p.row(row('web-2', 0));
    expect(tty.writes).toHaveLength(5);
  });

  it('never draws wider than the terminal (a wrapped line cannot be erased in place)', () => {
    const tty = terminal(20);
    const p = new RunProgress(tty.stream, plain, () => 0);
    p.targets(2);
    p.end();
    expect(tty.writes[0]).toBe('\r\u001b[2K0/2 done · 0 ok · 0');
  });

  it('without a terminal draws nothing and prints lines as they are', () => {
    const out: string[] = [];
    const p = new RunProgress(undefined, plain);
    p.targets(1);
    p.print({ write: (s: string) => out.push(s) > 0 } as never, 'a\n');
    p.end();
    expect(out).toEqual(['a\n']);
  });
});

describe('hostLine', () => {
  it('says ok or failed, the exit code or status, and the first line of output or the reason', () => {
    expect(hostLine(row('web-1', 0, ' 10:01 up 3 days\nmore\n'), plain)).toBe('✓ web-1         exit 0  10:01 up 3 days');
    expect(hostLine(row('web-2', 1), plain)).toBe('✗ web-2         exit 1');
    expect(hostLine(timedOut('db-1'), plain)).toBe('✗ db-1          timeout  did not answer in 30s');
  });

  it('is cut to the terminal width', () => {
    expect(hostLine(row('web-1', 0, 'x'.repeat(100)), plain, 30)).toBe(`✓ web-1         exit 0  ${'x'.repeat(5)}…`);
  });
});
