import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtobufError, encodeMessage, readFields, readMapEntry } from './protobuf.js';

describe('protobuf wire format', () => {
  it('reads what it writes: varints (to 64 bits), strings, nested messages, in order', () => {
    const inner = encodeMessage([[1, 'web'], [2, 3]]);
    const message = encodeMessage([[1, 'a'.repeat(300)], [3, inner], [7, 1_796_537_984_123_456_789n], [8, encodeMessage([[1, 'app'], [2, 'checkout']])]]);
    const fields = [...readFields(message)];
    expect(fields.map((f) => f.field)).toEqual([1, 3, 7, 8]);
    expect(fields[2]).toEqual({ field: 7, varint: 1_796_537_984_123_456_789n });
    const nested = fields[1] as { bytes: Buffer };
    expect([...readFields(nested.bytes)]).toEqual([{ field: 1, bytes: Buffer.from('web') }, { field: 2, varint: 3n }]);
    expect(readMapEntry((fields[3] as { bytes: Buffer }).bytes)).toEqual(['app', 'checkout']);
    // The well-known bytes of a protobuf example: field 1, varint 150.
    expect(encodeMessage([[1, 150]])).toEqual(Buffer.from([0x08, 0x96, 0x01]));
  });

  it('skips fixed-width fields and says what is malformed, where', () => {
    const fixed = Buffer.from([0x09, 1, 2, 3, 4, 5, 6, 7, 8, 0x15, 1, 2, 3, 4, 0x08, 0x01]);
    expect([...readFields(fixed)]).toEqual([{ field: 1, varint: 1n }]);
    const bad: [number[], string][] = [
      [[0x08], 'truncated varint at byte 1'],
      [[0x08, ...Array(11).fill(0xff)], 'varint longer than 10 bytes at byte 1'],
      [[0x0a, 0x05, 0x61], 'field 1 at byte 1 claims 5 bytes, 1 left'],
      [[0x0b], 'wire type 3 (field 1) at byte 1'],
      [[0x00, 0x01], 'field number 0 at byte 0'],
      [[0x09, 1, 2], 'truncated fixed-width field 1'],
    ];
    for (const [bytes, message] of bad) expect(() => [...readFields(Buffer.from(bytes))], message).toThrow(new ProtobufError(message));
  });

  it('never reads past its buffer nor throws anything but a ProtobufError on hostile bytes (bounded fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          for (const f of readFields(Buffer.from(bytes))) if ('bytes' in f) expect(f.bytes.length).toBeLessThanOrEqual(bytes.length);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtobufError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
