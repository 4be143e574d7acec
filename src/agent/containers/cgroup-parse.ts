/*
 * The cgroup and /proc/PID/net/dev parsers of the container meter, over the bytes of a read
 * (`buf[0, n)`; the scratch buffer may hold an older, longer file's bytes past `n`, never looked
 * at). The meter reads some seven files a container every second in an agent that runs without an
 * optimising compiler: scanning the bytes for the few keys wanted, with no string made, no line
 * split and no regex, is what keeps fifty containers under a millisecond or two a pass.
 * Every parser takes untrusted bytes: it never throws, and gives a non-negative finite number or
 * nothing (undefined, or -1 where a number is returned).
 */

/** A count has at most this many digits (2^64 has 20); longer digit runs are not believed. */
const MAX_DIGITS = 20;
/** v1 writes "no limit" as the largest page-aligned 64-bit count; anything this large is no limit. */
const UNLIMITED = 2 ** 62;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** Where the last {@link digitsAt} stopped. */
let end = 0;

/** The count whose digits start at `p` (before `n`), or -1 when there are none or too many; sets {@link end}. */
function digitsAt(buf: Uint8Array, p: number, n: number): number {
  let v = 0;
  let q = p;
  while (q < n && isDigit(buf[q]!)) {
    if (q - p >= MAX_DIGITS) return -1;
    v = v * 10 + (buf[q]! - 48);
    q++;
  }
  end = q;
  return q === p ? -1 : v;
}

/** Whether only blanks follow `p` up to the end of its line (or of the text). */
function lineEndsAt(buf: Uint8Array, p: number, n: number): boolean {
  for (; p < n && buf[p] !== 10; p++) if (buf[p] !== 32 && buf[p] !== 9 && buf[p] !== 13) return false;
  return true;
}

/**
 * A file holding one count (`pids.current`, `memory.current`, `cpuacct.usage`), blanks around it
 * allowed; undefined for anything else (`max`, `-1`, text).
 * @example countOf(Buffer.from('42\n'), 3); // 42
 */
export function countOf(buf: Uint8Array, n: number): number | undefined {
  let p = 0;
  while (p < n && isSpace(buf[p]!)) p++;
  const v = digitsAt(buf, p, n);
  if (v < 0) return undefined;
  for (p = end; p < n; p++) if (!isSpace(buf[p]!)) return undefined;
  return v;
}

/** A memory limit (`memory.max`, `memory.limit_in_bytes`): undefined for `max` and v1's huge "unlimited". */
export function memLimitOf(buf: Uint8Array, n: number): number | undefined {
  const v = countOf(buf, n);
  return v === undefined || v >= UNLIMITED ? undefined : v;
}

/** A key of a `key value` file as the parsers look for it: at the start of a line, with its space. */
export type Key = Buffer;
/** @example const ANON = key('anon'); keyedCount(buf, n, ANON); */
export const key = (name: string): Key => Buffer.from(`\n${name} `, 'latin1');

/** Where `k` (a {@link Key}) starts a line of `buf[0, n)`: the byte after its space, or -1. */
function after(buf: Buffer, n: number, k: Key): number {
  // The first line has no newline before it.
  if (n >= k.length - 1 && buf.compare(k, 1, k.length, 0, k.length - 1) === 0) return k.length - 1;
  const at = buf.indexOf(k);
  return at < 0 || at + k.length > n ? -1 : at + k.length;
}

/**
 * The count of the line `name count` (memory.stat, cpu.stat, memory.events, memory.oom_control);
 * undefined when the key is absent or its value is not a count. `k` is made once by {@link key}.
 * @example keyedCount(Buffer.from('rss 10\ninactive_file 3\n'), 23, key('inactive_file')); // 3
 */
export function keyedCount(buf: Buffer, n: number, k: Key): number | undefined {
  const p = after(buf, n, k);
  if (p < 0) return undefined;
  const v = digitsAt(buf, p, n);
  return v < 0 || !lineEndsAt(buf, end, n) ? undefined : v;
}

/**
 * The sum of the counts that follow each `marker` in `buf[0, n)` (io.stat's ` rbytes=`, blkio's
 * ` Read `), at most `max` of them; 0 when there are none.
 * @example sumAfter(Buffer.from('8:0 rbytes=5 wbytes=6\n8:16 rbytes=2 wbytes=0\n'), 44, Buffer.from(' rbytes=')); // 7
 */
export function sumAfter(buf: Buffer, n: number, marker: Buffer, max = 1024): number {
  let sum = 0;
  let from = 0;
  for (let i = 0; i < max; i++) {
    const at = buf.indexOf(marker, from);
    if (at < 0 || at + marker.length > n) break;
    const v = digitsAt(buf, at + marker.length, n);
    if (v >= 0) sum += v;
    from = at + marker.length;
  }
  return sum;
}

/** CPU cores a `cpu.max` (`quota period`) allows; undefined for `max …` (no limit) or anything not two counts. */
export function cpuMaxOf(buf: Uint8Array, n: number): number | undefined {
  const quota = digitsAt(buf, 0, n);
  if (quota < 0 || buf[end] !== 32) return undefined;
  const period = digitsAt(buf, end + 1, n);
  return period < 0 || !lineEndsAt(buf, end, n) ? undefined : cpuLimitCores(quota, period);
}

/** CPU cores a quota allows: `quota / period`, undefined when either is missing, not positive, or unlimited (`max`, `-1`). */
export function cpuLimitCores(quota: number | undefined, period: number | undefined): number | undefined {
  return quota !== undefined && period !== undefined && quota > 0 && period > 0 ? quota / period : undefined;
}

/** Bytes received and sent over every interface but loopback, as {@link netDevOf} found them. */
export const netDev = { rx: 0, tx: 0 };

/**
 * Sums every interface but loopback of /proc/PID/net/dev (two header lines, then
 * `  eth0: rx_bytes packets errs drop fifo frame compressed multicast tx_bytes …`) into
 * {@link netDev}; false when there is no interface line to sum (the text is missing or broken).
 * @example if (netDevOf(buf, n)) console.log(netDev.rx, netDev.tx);
 */
export function netDevOf(buf: Buffer, n: number, maxLines = 256): boolean {
  let rx = 0;
  let tx = 0;
  let found = false;
  let p = 0;
  for (let line = 0; line < maxLines && p < n; line++) {
    let eol = buf.indexOf(10, p);
    if (eol < 0 || eol > n) eol = n;
    if (line >= 2 && interfaceLine(buf, p, eol)) {
      rx += lineRx;
      tx += lineTx;
      found = true;
    }
    p = eol + 1;
  }
  netDev.rx = rx;
  netDev.tx = tx;
  return found;
}

let lineRx = 0;
let lineTx = 0;

/** One `name: 16 counts` line of net/dev between `p` and `eol` into lineRx/lineTx; false for loopback or a broken line. */
function interfaceLine(buf: Buffer, p: number, eol: number): boolean {
  while (p < eol && buf[p] === 32) p++;
  const colon = buf.indexOf(58, p);
  if (colon < 0 || colon >= eol) return false;
  let nameEnd = colon;
  while (nameEnd > p && buf[nameEnd - 1] === 32) nameEnd--;
  if (nameEnd - p === 2 && buf[p] === 108 && buf[p + 1] === 111) return false; // "lo"
  let q = colon + 1;
  for (let field = 0; field <= 8; field++) {
    while (q < eol && (buf[q] === 32 || buf[q] === 9)) q++;
    const v = digitsAt(buf, q, eol);
    if (v < 0) return false;
    if (field === 0) lineRx = v;
    if (field === 8) lineTx = v;
    q = end;
  }
  return true;
}
