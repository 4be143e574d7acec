import { describe, expect, it } from 'vitest';
import { orderedId } from './ordered-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('orderedId', () => {
  it('makes UUIDv7s that sort as text in the order they were made, many in one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => orderedId(1_700_000_000_000));
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('keeps its order when the wall clock steps back, and carries the time it was given', () => {
    const later = orderedId(1_900_000_000_000);
    const stepped = orderedId(1_800_000_000_000);
    expect(stepped > later).toBe(true);
    const next = orderedId(2_000_000_000_000);
    expect(next > stepped).toBe(true);
    expect(parseInt(next.slice(0, 8) + next.slice(9, 13), 16)).toBe(2_000_000_000_000);
  });
});
