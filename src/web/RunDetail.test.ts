import { describe, expect, it } from 'vitest';
import { COLLAPSED_LINES, MAX_SHOWN, visibleOutput } from './RunDetail.js';

describe('a run output as the page draws it', () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

  it('shows short output whole, and long output collapsed to its first lines until expanded', () => {
    expect(visibleOutput('hi\n', false)).toEqual({ shown: 'hi\n', lines: 1, hiddenLines: 0, truncatedChars: 0 });
    const long = visibleOutput(lines(500), false);
    expect(long.shown.split('\n')).toHaveLength(COLLAPSED_LINES);
    expect(long).toMatchObject({ lines: 500, hiddenLines: 500 - COLLAPSED_LINES, truncatedChars: 0 });
    expect(visibleOutput(lines(500), true)).toMatchObject({ shown: lines(500), hiddenLines: 0 });
  });

  it('draws at most MAX_SHOWN characters of a huge output and says how many it left out', () => {
    const huge = 'x'.repeat(MAX_SHOWN + 1234);
    expect(visibleOutput(huge, true)).toMatchObject({ shown: 'x'.repeat(MAX_SHOWN), lines: 1, truncatedChars: 1234 });
    // One enormous first line stays bounded while collapsed too.
    expect(visibleOutput(`${huge}\n${lines(20)}`, false).shown.length).toBe(MAX_SHOWN);
  });
});
