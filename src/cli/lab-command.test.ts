import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BreakwaterError } from '../protocol/index.js';
import { labOptions } from './lab-command.js';

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
      fc.property(text, fc.option(text, { nil: undefined }), fc.boolean(), fc.option(text, { nil: undefined }), (hosts, port, scaled, replicas) => {
        let options;
        try {
          options = labOptions({ hosts, ...(port === undefined ? {} : { port }), scaled, ...(replicas === undefined ? {} : { replicas }) });
        } catch (err) {
          expect(err).toBeInstanceOf(BreakwaterError);
          expect((err as BreakwaterError).code).toBe('BW_ERR_CONFIG');
          return;
        }
        expect(Number.isInteger(options.hosts) && options.hosts >= 1).toBe(true);
        if (options.port !== undefined) expect(options.port >= 0 && options.port <= 65535).toBe(true);
        if (options.scaled) expect(options.scaled.replicas >= 1 && options.scaled.replicas <= 9).toBe(true);
        else expect(replicas).toBeUndefined();
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
