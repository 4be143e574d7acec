/**
 * Choosing a precompressed variant of a static file from a request's Accept-Encoding header
 * (RFC 9110 §12.5.3): the first of the encodings we have, in our order of preference, that the
 * header accepts with a q-value above zero. The header comes from the network, so it is read only
 * up to a bounded length and number of entries, and anything malformed counts as not accepted.
 */

/** The encodings files are precompressed with, best first (brotli is ~15% smaller than gzip). */
export const PRECOMPRESSED = ['br', 'gzip'] as const;
export type Precompressed = (typeof PRECOMPRESSED)[number];

/** Longer headers are cut: no browser sends more than a few dozen characters. */
const MAX_HEADER_CHARS = 512;
const MAX_ENTRIES = 16;
const ENTRY = /^([a-z0-9!#$%&'*+.^_`|~-]+)\s*(?:;\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?))?$/i;

/** Each coding the header names with its q-value (1 when it gives none); malformed entries left out. */
export function acceptedCodings(header: string | undefined): Map<string, number> {
  const weights = new Map<string, number>();
  for (const raw of (header ?? '').slice(0, MAX_HEADER_CHARS).split(',').slice(0, MAX_ENTRIES)) {
    const m = ENTRY.exec(raw.trim());
    if (!m?.[1]) continue;
    const coding = m[1].toLowerCase();
    if (!weights.has(coding)) weights.set(coding, m[2] === undefined ? 1 : Number(m[2]));
  }
  return weights;
}

/**
 * The best of `available` (a subset of PRECOMPRESSED) that `header` accepts, or undefined to send
 * the file as it is. `*` stands for any coding the header does not name.
 *
 * @example
 * pickEncoding('gzip, deflate, br', ['br', 'gzip']) // 'br'
 * pickEncoding('br;q=0, gzip;q=0.5', ['br', 'gzip']) // 'gzip'
 */
export function pickEncoding(header: string | undefined, available: readonly Precompressed[]): Precompressed | undefined {
  const weights = acceptedCodings(header);
  const any = weights.get('*') ?? 0;
  return PRECOMPRESSED.find((c) => available.includes(c) && (weights.get(c) ?? any) > 0);
}
