import fs from 'node:fs';

/*
 * Reading /proc cheaply, shared by the collectors: one growable scratch buffer per source, files
 * held open and re-read with pread at offset 0 (the kernel regenerates seq_file text on each
 * read, so one descriptor serves every pass), and byte-level parsers with no regexes and no
 * string splitting.
 *
 * The parsers share a module-level cursor (`seek`, `cursor`), so they return one number and no
 * tuple: no allocation in the hot path.
 */

let pos = 0;

/** Moves the cursor to `p`. */
export function seek(p: number): void {
  pos = p;
}

/** Where the last parser stopped. */
export function cursor(): number {
  return pos;
}

export function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/** Skips spaces and tabs from `p`; leaves the cursor on the first other byte. */
export function skipBlank(buf: Uint8Array, p: number, end: number): void {
  while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
  pos = p;
}

/** Reads an (optionally signed) decimal integer at the cursor; leaves the cursor after it. */
export function readInt(buf: Uint8Array, end: number): number {
  let p = pos;
  let neg = false;
  if (buf[p] === 45) {
    neg = true;
    p++;
  }
  let v = 0;
  while (p < end) {
    const c = buf[p]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    p++;
  }
  pos = p;
  return neg ? -v : v;
}

/** Reads a decimal such as `0.75` or `1008.85` at the cursor; leaves the cursor after it. */
export function readDecimal(buf: Uint8Array, end: number): number {
  let v = readInt(buf, end);
  if (buf[pos] === 46) {
    let p = pos + 1;
    let scale = 0.1;
    while (p < end && isDigit(buf[p])) {
      v += (buf[p]! - 48) * scale;
      scale /= 10;
      p++;
    }
    pos = p;
  }
  return v;
}

/** Three blank-separated numbers from the start of a file (loadavg, file-nr), read with `read`. */
export const columns = new Float64Array(3);

/**
 * Fills {@link columns} with the first three numbers of `buf`.
 * @example readColumns(r.buf, n, readDecimal); // "0.52 1.25 2.00 ..." -> columns = [0.52, 1.25, 2]
 */
export function readColumns(buf: Uint8Array, end: number, read: (buf: Uint8Array, end: number) => number): void {
  pos = 0;
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) skipBlank(buf, pos, end);
    columns[i] = read(buf, end);
  }
}

/** The integer after `key` (which includes its separator, e.g. `\nUid:`), or -1 when absent. */
export function intAfter(buf: Buffer, end: number, key: Buffer, from = 0): number {
  const at = buf.indexOf(key, from);
  if (at < 0 || at + key.length >= end) return -1;
  skipBlank(buf, at + key.length, end);
  if (!isDigit(buf[pos])) return -1;
  return readInt(buf, end);
}

export function clampPct(v: number): number {
  return v < 0 ? 0 : v > 100 ? 100 : v;
}

/** See {@link Reader.readFd}: half the kernel's page, the buffer of a seq_file. */
const WHOLE_BELOW = 2048;

/** One growable scratch buffer shared by all reads of a source. */
export class Reader {
  buf = Buffer.allocUnsafe(16 * 1024);
  /** Views of `buf[0, n)` by `n`, made once each (see {@link head}); dropped when `buf` is replaced. */
  #heads: (Buffer | undefined)[] = [];

  /**
   * `buf[0, n)` as a view kept for the next calls with the same `n`: `r.head(n).equals(copy)`
   * compares a read with an earlier one's copy and makes nothing, where `buf.compare(copy, 0, n, 0, n)`
   * validates its four offsets, making garbage for each (the agent compares a few hundred a second).
   * @example if (r.head(n).equals(last)) return; // the same bytes as last time
   */
  head(n: number): Buffer {
    return (this.#heads[n] ??= this.buf.subarray(0, n));
  }

  /**
   * pread from offset 0 until EOF (or `max` bytes); throws on I/O errors. With `shortIsWhole`, a
   * first read shorter than {@link WHOLE_BELOW} bytes is the whole file, without the read that
   * finds EOF: a seq_file read fills the caller's buffer with every record that fits in the
   * kernel's page, so a short one means none was left (for records under half a page: cgroup files,
   * which are one record, and net/dev's lines).
   */
  readFd(fd: number, max = 4 * 1024 * 1024, shortIsWhole = false): number {
    if (shortIsWhole) {
      const n = fs.readSync(fd, this.buf, 0, Math.min(this.buf.length, max), 0);
      if (n < WHOLE_BELOW || n >= max) return n;
    }
    let total = 0;
    for (;;) {
      const limit = Math.min(this.buf.length, max);
      if (total >= limit) {
        if (limit >= max) return total;
        const bigger = Buffer.allocUnsafe(Math.min(max, this.buf.length * 2));
        this.buf.copy(bigger, 0, 0, total);
        this.buf = bigger;
        this.#heads = [];
        continue;
      }
      const n = fs.readSync(fd, this.buf, total, limit - total, total);
      if (n === 0) return total;
      total += n;
    }
  }

  /** One pread from offset 0: for small files (/proc/<pid>/stat) that fit the buffer. Throws. */
  readOnce(fd: number): number {
    return fs.readSync(fd, this.buf, 0, this.buf.length, 0);
  }

  /** Opens, reads and closes `path`; the byte count, or -1 when it cannot be read. */
  readPath(path: string, max?: number, shortIsWhole?: boolean): number {
    let fd = -1;
    try {
      fd = fs.openSync(path, fs.constants.O_RDONLY);
      return this.readFd(fd, max, shortIsWhole);
    } catch {
      return -1;
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }

  /** The file as text, or undefined when it cannot be read. */
  readText(path: string): string | undefined {
    const n = this.readPath(path);
    return n < 0 ? undefined : this.buf.toString('utf8', 0, n);
  }
}

/**
 * A /proc file kept open and re-read from offset 0 every pass.
 * @example const f = new HeldFile('/proc/loadavg'); const n = f.read(reader); // text in reader.buf[0, n)
 */
export class HeldFile {
  private fd = -1;
  constructor(readonly path: string) {}

  /** Reads the whole file (at most `max` bytes; see {@link Reader.readFd}) into `r.buf`; the byte count, or -1 when it cannot be read. */
  read(r: Reader, max?: number, shortIsWhole?: boolean): number {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.fd < 0) {
        try {
          this.fd = fs.openSync(this.path, fs.constants.O_RDONLY);
        } catch {
          return -1;
        }
      }
      try {
        return r.readFd(this.fd, max, shortIsWhole);
      } catch {
        this.close();
      }
    }
    return -1;
  }

  close(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already gone
      }
      this.fd = -1;
    }
  }
}

/** The pid a /proc entry's name is, or -1 (not all digits: `self`, `net`, ...). */
export function pidOf(name: string): number {
  let pid = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    pid = pid * 10 + (c - 48);
  }
  return name.length > 0 ? pid : -1;
}

/** A copy (Buffer#slice would be a view into the shared scratch buffer, overwritten by the next read). */
export function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(buf.subarray(start, end));
  return out;
}

/** Whether `a` holds the bytes buf[start..end). */
export function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

/**
 * NUL-separated arguments joined by spaces; trailing NULs dropped.
 * @example cmdlineOf(new TextEncoder().encode('sleep\0' + '30\0'), 9); // 'sleep 30'
 */
export function cmdlineOf(buf: Uint8Array, n: number): string {
  let end = n;
  while (end > 0 && buf[end - 1] === 0) end--;
  if (end === 0) return '';
  const copy = Buffer.from(buf.subarray(0, end));
  for (let i = 0; i < end; i++) if (copy[i] === 0) copy[i] = 32;
  return copy.toString('utf8');
}
