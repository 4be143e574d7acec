/** A half-open range of UTF-16 offsets `[start, end)` into the statement's source. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A span resolved to a 1-based line and column, as people and editors count them. */
export interface Location extends Span {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export function span(start: number, end: number): Span {
  return { start, end };
}

/** The smallest span that covers both. */
export function cover(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/**
 * Resolves offsets to lines and columns. Built once per source, so that
 * locating many diagnostics costs a binary search each, not a rescan.
 */
export class LineMap {
  private readonly starts: number[] = [0];

  constructor(source: string) {
    for (let i = 0; i < source.length; i++) {
      if (source.charCodeAt(i) === 10) this.starts.push(i + 1);
    }
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }

  locate(s: Span): Location {
    const a = this.position(s.start);
    const b = this.position(s.end);
    return { start: s.start, end: s.end, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }
}
