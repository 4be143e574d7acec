/*
 * The protobuf wire format, only as far as the CRI answers the agent reads need it: varints and
 * length-delimited fields (strings, nested messages, map entries); fixed-width fields are skipped.
 * Hand-written so that no code generator or client library comes in; the reader is for untrusted
 * bytes (a runtime socket anyone with root may replace): it never reads past its buffer and
 * throws a ProtobufError on anything malformed.
 */

/** A wire-format problem, with the offset where it was found. */
export class ProtobufError extends Error {}

/** One field as it stands on the wire: a varint's value, or a length-delimited field's bytes. */
export type WireField = { readonly field: number; readonly varint: bigint } | { readonly field: number; readonly bytes: Buffer };

/** Wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit (3 and 4, groups, are long gone). */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

function readVarint(buf: Buffer, at: number): [bigint, number] {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    if (at + i >= buf.length) throw new ProtobufError(`truncated varint at byte ${at}`);
    const byte = buf[at + i] as number;
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  throw new ProtobufError(`varint longer than 10 bytes at byte ${at}`);
}

/**
 * The fields of one message, in wire order (a repeated field appears once per value).
 *
 * @example
 * for (const f of readFields(Buffer.from([0x08, 0x96, 0x01]))) console.log(f); // { field: 1, varint: 150n }
 */
export function* readFields(buf: Buffer): Generator<WireField> {
  let at = 0;
  while (at < buf.length) {
    const [key, next] = readVarint(buf, at);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field < 1 || field > 536_870_911) throw new ProtobufError(`field number ${field} at byte ${at}`);
    at = next;
    if (wire === VARINT) {
      const [varint, after] = readVarint(buf, at);
      at = after;
      yield { field, varint };
    } else if (wire === LENGTH) {
      const [length, after] = readVarint(buf, at);
      if (length > BigInt(buf.length - after)) throw new ProtobufError(`field ${field} at byte ${at} claims ${length} bytes, ${buf.length - after} left`);
      at = after + Number(length);
      yield { field, bytes: buf.subarray(after, at) };
    } else if (wire === FIXED64 || wire === FIXED32) {
      at += wire === FIXED64 ? 8 : 4;
      if (at > buf.length) throw new ProtobufError(`truncated fixed-width field ${field}`);
    } else throw new ProtobufError(`wire type ${wire} (field ${field}) at byte ${at}`);
  }
}

/** A value to encode: a number or bigint is a varint, a string or Buffer length-delimited (a nested message is its encoded Buffer). */
export type FieldValue = number | bigint | string | Buffer;

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? low | 0x80 : low);
  } while (v);
  return out;
}

/**
 * One message from its fields, in the order given (the requests the agent sends, and tests' answers).
 *
 * @example
 * encodeMessage([[1, encodeMessage([[2, encodeMessage([[1, 1]])]])]]) // ListContainersRequest for running containers
 */
export function encodeMessage(fields: readonly (readonly [number, FieldValue])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [field, value] of fields) {
    if (typeof value === 'number' || typeof value === 'bigint') {
      parts.push(Buffer.from([...varint(BigInt(field) << 3n), ...varint(BigInt(value))]));
    } else {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      parts.push(Buffer.from([...varint((BigInt(field) << 3n) | BigInt(LENGTH)), ...varint(BigInt(bytes.length))]), bytes);
    }
  }
  return Buffer.concat(parts);
}

/** A `map<string, string>` entry's key (field 1) and value (field 2). */
export function readMapEntry(bytes: Buffer): [string, string] {
  let key = '';
  let value = '';
  for (const f of readFields(bytes)) {
    if (!('bytes' in f)) continue;
    if (f.field === 1) key = f.bytes.toString('utf8');
    else if (f.field === 2) value = f.bytes.toString('utf8');
  }
  return [key, value];
}
