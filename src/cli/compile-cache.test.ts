import fc from 'fast-check';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCacheDir, enableCompileCache } from './compile-cache.js';

describe('compileCacheDir', () => {
  it('is under $XDG_CACHE_HOME when it is an absolute path, else under ~/.cache', () => {
    expect(compileCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/breakwater/compile');
    // The XDG base directory spec: a relative path is invalid and ignored.
    expect(compileCacheDir({ XDG_CACHE_HOME: 'cache' })).toBe(join(homedir(), '.cache', 'breakwater', 'compile'));
    expect(compileCacheDir({})).toBe(join(homedir(), '.cache', 'breakwater', 'compile'));
  });
});

describe('enableCompileCache', () => {
  it('is off when NODE_DISABLE_COMPILE_CACHE is set (on runtimes with a compile cache, it would be on otherwise)', () => {
    expect(enableCompileCache({ NODE_DISABLE_COMPILE_CACHE: '1', XDG_CACHE_HOME: '/tmp' })).toBe(false);
  });

});

describe('compileCacheDir with any $XDG_CACHE_HOME', () => {
  it('gives a folder named breakwater/compile, under it when it is absolute, never throwing', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const dir = compileCacheDir({ XDG_CACHE_HOME: value });
        expect(dir).toBe(join(value.startsWith('/') ? value : join(homedir(), '.cache'), 'breakwater', 'compile'));
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
