import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BreakwaterError } from '../protocol/index.js';
import type { Io } from './io.js';
import { labOptions, progressPrinter } from './lab-command.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261205);

function configError(run: () => unknown): BreakwaterError {
  try {
    run();
  } catch (err) {
    if (err instanceof BreakwaterError && err.code === 'BW_ERR_CONFIG') return err;
    throw err;
  }
  throw new Error('expected a BW_ERR_CONFIG');
}

describe('breakwater lab flags', () => {
  it('the embedded lab by default; --scaled with 2 replicas unless --replicas says otherwise', () => {
    expect(labOptions({ hosts: '3' })).toEqual({ hosts: 3 });
    expect(labOptions({ hosts: '3', scaled: true })).toEqual({ hosts: 3, scaled: { replicas: 2 } });
    expect(labOptions({ hosts: '5', port: '7070', dir: '/tmp/l', scaled: true, replicas: '3' })).toEqual({ hosts: 5, port: 7070, dir: '/tmp/l', scaled: { replicas: 3 } });
  });

  it('3 hosts by default; --agents is --hosts; no service unless --services; --max-targets and --no-tls go to the control plane', () => {
    expect(labOptions({})).toEqual({ hosts: 3 });
    expect(labOptions({ agents: '200' })).toEqual({ hosts: 200 });
    expect(labOptions({ hosts: '12', agents: '12' })).toEqual({ hosts: 12 });
    expect(labOptions({ hosts: '4', services: true, maxTargets: '2', tls: false })).toEqual({ hosts: 4, apps: true, maxTargets: 2, noTls: true });
    expect(labOptions({ hosts: '4', services: false, tls: true })).toEqual({ hosts: 4 });
  });

  it('refuses --hosts and --agents that disagree, and a --max-targets that is not a count, naming the flag', () => {
    expect(configError(() => labOptions({ hosts: '3', agents: '4' })).message).toMatch(/^--hosts "3" and --agents "4" disagree/);
    expect(configError(() => labOptions({ agents: 'many' })).message).toMatch(/^--agents: expected a whole number/);
    for (const maxTargets of ['0', '-1', '2.5', '', 'ten', '1e3']) {
      expect(configError(() => labOptions({ maxTargets })).message).toMatch(/^--max-targets: expected a whole number of at least 1/);
    }
  });

  it('refuses --replicas without --scaled, and counts out of range, naming the flag', () => {
    expect(configError(() => labOptions({ hosts: '3', replicas: '2' })).message).toMatch(/--replicas needs --scaled/);
    for (const replicas of ['0', '10', '-1', '2.5', '', ' 2', '1e1', 'two']) {
      expect(configError(() => labOptions({ hosts: '3', scaled: true, replicas })).message).toMatch(/^--replicas: expected a whole number from 1 to 9/);
    }
    expect(configError(() => labOptions({ hosts: '0' })).message).toMatch(/^--hosts/);
    expect(configError(() => labOptions({ hosts: '3', port: '70000' })).message).toMatch(/^--port/);
  });

  it('any text in any flag gives options in range or a BW_ERR_CONFIG, nothing else (bounded fuzz)', () => {
    const text = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -5, max: 100_000 }).map(String));
    fc.assert(
      fc.property(text, fc.option(text, { nil: undefined }), fc.boolean(), fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), (hosts, port, scaled, replicas, maxTargets) => {
        let options;
        try {
          options = labOptions({ hosts, ...(port === undefined ? {} : { port }), scaled, ...(replicas === undefined ? {} : { replicas }), ...(maxTargets === undefined ? {} : { maxTargets }) });
        } catch (err) {
          expect(err).toBeInstanceOf(BreakwaterError);
          expect((err as BreakwaterError).code).toBe('BW_ERR_CONFIG');
          return;
        }
        expect(Number.isInteger(options.hosts) && options.hosts >= 1).toBe(true);
        if (options.port !== undefined) expect(options.port >= 0 && options.port <= 65535).toBe(true);
        if (options.maxTargets !== undefined) expect(Number.isInteger(options.maxTargets) && options.maxTargets >= 1).toBe(true);
        if (options.scaled) expect(options.scaled.replicas >= 1 && options.scaled.replicas <= 9).toBe(true);
        else expect(replicas).toBeUndefined();
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('the lab\'s start-up progress', () => {
  const at = (connected: number, elapsedMs: number) => ({ connected, total: 12, elapsedMs });
  /** A stream that keeps what is written, a terminal or not. */
  const memoryOutput = (isTTY = false) => {
    let text = '';
    const stream = { isTTY, write: (chunk: string) => ((text += chunk), true) } as unknown as Io['stderr'];
    return { stream, text: () => text };
  };

  it('off a terminal: a line when the count changed, at most every 2 s, and always the last', () => {
    const out = memoryOutput();
    const progress = progressPrinter(out.stream, {});
    for (const p of [at(0, 0), at(0, 250), at(3, 500), at(5, 2100), at(5, 3500), at(11, 4000), at(12, 4900)]) progress.update(p);
    progress.done();
    expect(out.text()).toBe('agents: 0/12 connected (0 s)\nagents: 5/12 connected (2 s)\nagents: 12/12 connected (5 s)\n');
  });

  it('on a terminal: one line rewritten in place, ended by done(); coloured unless NO_COLOR', () => {
    const out = memoryOutput(true);
    const progress = progressPrinter(out.stream, { NO_COLOR: '1' });
    progress.update(at(3, 1000));
    progress.update(at(12, 2000));
    progress.done();
    expect(out.text()).toBe('\r\u001b[2Kagents: 3/12 connected (1 s)\r\u001b[2Kagents: 12/12 connected (2 s)\n');

    const coloured = memoryOutput(true);
    progressPrinter(coloured.stream, {}).update(at(3, 1000));
    expect(coloured.text()).toContain('\u001b[1m3/12\u001b[22m');
  });
});
