/**
 * The `tags` attribute's text: what the agent writes reads back as the same tags, within its
 * bound; whatever text arrives (a hostile or older agent, a proxy) reads as string pairs or
 * nothing, never throws (bounded fuzz: fixed runs and seed, FUZZ_SEED=n picks others).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TAGS_TEXT, completionValues, parseTagsText, tagsText } from './index.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);

describe('the tags attribute', () => {
  it('writes the tags as a JSON object, keys sorted, and reads them back', () => {
    const tags = { run: 'r1', app: 'checkout', io_kubernetes_pod_name: 'checkout-7d9f8', quote: 'a"b\\c\nd' };
    expect(tagsText(tags)).toBe('{"app":"checkout","io_kubernetes_pod_name":"checkout-7d9f8","quote":"a\\"b\\\\c\\nd","run":"r1"}');
    expect(parseTagsText(tagsText(tags))).toEqual(tags);
    expect(tagsText({})).toBe('{}');
  });

  it('leaves out whole pairs past its bound, never a half', () => {
    const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v'.repeat(300)]));
    const text = tagsText(big);
    expect(text.length).toBeLessThanOrEqual(MAX_TAGS_TEXT);
    const back = parseTagsText(text);
    // Each pair is 308 characters and a comma: 13 fit in 4096 with the braces.
    expect(Object.keys(back).length).toBe(13);
    for (const [k, v] of Object.entries(back)) expect(big[k]).toBe(v);
    // One pair too long on its own is left out; the others stay.
    expect(parseTagsText(tagsText({ a: 'x'.repeat(MAX_TAGS_TEXT), b: 'ok' }))).toEqual({ b: 'ok' });
  });

  it('reads anything else as no tags, and keeps only string values', () => {
    for (const hostile of [undefined, null, 42, ['a'], '', 'not json', '{', '[1,2]', '"a"', 'null', `{"a":"${'x'.repeat(MAX_TAGS_TEXT)}"}`]) expect(parseTagsText(hostile)).toEqual({});
    expect(parseTagsText('{"a":1,"b":"two","c":null,"d":{"e":"f"},"__proto__":"x"}')).toEqual({ b: 'two' });
    expect(Object.getPrototypeOf(parseTagsText('{"__proto__":{"polluted":"yes"}}'))).toBe(Object.prototype);
  });

  it('never throws on hostile text, and what it reads is string pairs (fuzz)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 3 }), fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }), { maxKeys: 30 }).map(tagsText)), (text) => {
        const tags = parseTagsText(text);
        for (const v of Object.values(tags)) expect(typeof v).toBe('string');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('round-trips any tags that fit (fuzz)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 20 }).filter((k) => k !== '__proto__'), fc.string({ maxLength: 40 }), { maxKeys: 30 }), (tags) => {
        expect(parseTagsText(tagsText(tags))).toEqual(tags);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('gives completion a row’s tags and its other string columns', () => {
    expect(completionValues({ values: { tags: '{"app":"shop"}', name: 'web', image: 'nginx:1', count: 3, pod: '' } })).toEqual({ tags: { app: 'shop' }, attributes: { name: 'web', image: 'nginx:1', pod: '' } });
    expect(completionValues({ values: { tags: 7 } })).toEqual({ tags: {}, attributes: {} });
  });
});
