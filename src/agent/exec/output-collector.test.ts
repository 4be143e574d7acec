import { describe, expect, it } from 'vitest';

import { OutputCollector } from './output-collector.js';
import { truncationMarker } from './result.js';

describe('OutputCollector', () => {
  it('keeps everything under the cap and hands each piece on as it arrives', () => {
    const live: string[] = [];
    const out = new OutputCollector(100, (t) => live.push(t));
    out.push(Buffer.from('hello '));
    out.push(Buffer.from('world\n'));
    expect(out.finish()).toBe('hello world\n');
    expect(live).toEqual(['hello ', 'world\n']);
    expect(out.truncated).toBe(false);
  });

  it('cuts at the cap, counts what it dropped and ends with the marker', () => {
    const out = new OutputCollector(4, () => undefined);
    out.push(Buffer.from('abcdef'));
    out.push(Buffer.from('gh'));
    expect(out.truncated).toBe(true);
    expect(out.finish()).toBe('abcd' + truncationMarker(4, 4));
  });

  it('drops a character cut by the cap whole, never half of it', () => {
    const out = new OutputCollector(2, () => undefined);
    out.push(Buffer.from('aé')); // 'é' is two bytes: only its first fits
    expect(out.finish()).toBe('a' + truncationMarker(2, 1));
  });

  it('joins a character split across two chunks', () => {
    const out = new OutputCollector(100, () => undefined);
    const bytes = Buffer.from('é');
    out.push(bytes.subarray(0, 1));
    out.push(bytes.subarray(1));
    expect(out.finish()).toBe('é');
  });
});
