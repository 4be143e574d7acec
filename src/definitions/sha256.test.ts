import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex, utf8 } from './sha256.js';

const reference = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('sha256Hex', () => {
  it('matches the FIPS 180-4 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('matches node:crypto on UTF-8 text of every padding length', () => {
    const samples = ['héllo wörld ✓ 🚀', 'x\u{1F600}y', 'a\r\nb\n', '\ud800 lone'];
    for (let n = 0; n < 200; n++) samples.push('é'.repeat(n % 7) + 'a'.repeat(n));
    for (const s of samples) expect(sha256Hex(s), JSON.stringify(s.slice(0, 20))).toBe(reference(s));
  });

  it('encodes UTF-8 as TextEncoder does', () => {
    for (const s of ['plain', 'ü', '€', '😀', '\udc00x']) expect(Array.from(utf8(s))).toEqual(Array.from(new TextEncoder().encode(s)));
  });
});
