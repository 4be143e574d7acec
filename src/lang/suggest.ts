/**
 * Edit distance counting insertions, deletions, substitutions and swaps of
 * neighbours (`hsot` -> `host` is one edit), bounded: past `max` it stops and
 * returns `max + 1`. Only the band of cells within `max` of the diagonal is
 * computed (a cell further off is already more than `max` edits), so two long
 * strings cost their length times `2 * max + 1`, not the product of lengths.
 */
export function editDistance(a: string, b: string, max: number): number {
  const over = max + 1;
  if (Math.abs(a.length - b.length) > max) return over;
  // Three rows in rotation (the swap looks two rows back); a cell outside the band reads as `over`.
  let before = new Array<number>(b.length + 1).fill(over);
  let prev = new Array<number>(b.length + 1).fill(over);
  let row = new Array<number>(b.length + 1).fill(over);
  for (let j = 0; j <= Math.min(max, b.length); j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(b.length, i + max);
    row[lo - 1] = lo === 1 && i <= max ? i : over;
    let best = row[lo - 1] as number;
    for (let j = lo; j <= hi; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (before[j - 2] as number) + 1);
      row[j] = Math.min(v, over);
      if (v < best) best = v;
    }
    if (hi < b.length) row[hi + 1] = over;
    if (best > max) return over;
    [before, prev, row] = [prev, row, before];
  }
  return Math.min(prev[b.length] as number, over);
}

/**
 * The closest candidate to a misspelt name, if one is close enough to be what
 * was meant: `disk_usge` -> `disk_usage`. Case-only differences always match.
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const max = name.length <= 2 ? 0 : name.length <= 5 ? 1 : name.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const c of candidates) {
    if (c === name) continue;
    const d = c.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, c, max);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
