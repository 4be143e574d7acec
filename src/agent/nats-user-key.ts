/*
 * A NATS user nkey made with Node's own Ed25519, not the NATS client's nkeys package. Every agent
 * makes one at enrollment, but only agents in the scaled mode (`--bus`) load the NATS client: taking
 * nkeys from it made every WebSocket agent load the whole NATS chunk (222 kB of source, held as
 * 434 kB of two-byte text) and, through it, Node's 145 root certificates, about 0.7 MB of heap
 * an agent never used (docs/design-decisions.md, "The idle agent's memory, again").
 *
 * The encoding is the one NATS documents for nkeys: a prefix byte (two for a seed), the 32 key
 * bytes, a CRC-16/XMODEM of those, little-endian, all in RFC 4648 base32 without padding.
 * Checked against @nats-io/nkeys in nats-user-key.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';

/** Prefix bytes: `S` for a seed, `U` for a user (each a base32 letter once shifted into place). */
const PREFIX_SEED = 18 << 3;
const PREFIX_USER = 20 << 3;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), as nkeys checksum their payload. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** `prefix` then `key` then their checksum, in base32. */
function encode(prefix: readonly number[], key: Uint8Array): string {
  const raw = new Uint8Array(prefix.length + key.length + 2);
  raw.set(prefix);
  raw.set(key, prefix.length);
  const sum = crc16(raw.subarray(0, prefix.length + key.length));
  raw[raw.length - 2] = sum & 0xff;
  raw[raw.length - 1] = sum >>> 8;
  return base32(raw);
}

/**
 * A fresh user key pair: `publicKey` (`U…`) goes to enrollment, `seed` (`SU…`, secret) into the
 * creds file beside the JWT the control plane signs for it.
 *
 * @example
 * const { publicKey, seed } = newNatsUserKey(); // publicKey.startsWith('U'), seed.startsWith('SU')
 */
export function newNatsUserKey(): { readonly publicKey: string; readonly seed: string } {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d as string, 'base64url');
  const publicKey = Buffer.from(jwk.x as string, 'base64url');
  return {
    publicKey: encode([PREFIX_USER], publicKey),
    seed: encode([PREFIX_SEED | (PREFIX_USER >> 5), (PREFIX_USER & 31) << 3], seed),
  };
}
