import { describe, expect, it } from 'vitest';

import { LineQueue } from './line-queue.js';

/* The push-to-pull queue between the agents' answers and whoever reads a query's lines. */

describe('LineQueue', () => {
  it('hands over every pushed line in order, those pushed while the reader was busy included, then ends', async () => {
    const queue = new LineQueue<number>();
    const read: number[] = [];
    const reader = (async () => {
      for await (const n of queue) {
        read.push(n);
        if (n === 1) {
          // A slow reader: lines pushed meanwhile wait.
          queue.push(2);
          queue.push(3);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    })();
    queue.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    queue.push(4);
    queue.end();
    await reader;
    expect(read).toEqual([1, 2, 3, 4]);
  });

  it('throws a failure after the lines pushed before it', async () => {
    const queue = new LineQueue<string>();
    queue.push('a');
    queue.fail(new Error('agent phase failed'));
    queue.push('late');
    const read: string[] = [];
    await expect(
      (async () => {
        for await (const s of queue) read.push(s);
      })(),
    ).rejects.toThrow('agent phase failed');
    expect(read).toEqual(['a']);
  });
});
