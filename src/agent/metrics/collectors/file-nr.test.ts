import { describe, expect, it } from 'vitest';

import { collectPass, fixtureTree } from '../../../../test/proc-fixture.js';
import type { Sample } from '../types.js';
import { FileNrCollector } from './file-nr.js';

describe('FileNrCollector', () => {
  const fdUsage = (fileNr: string): Sample[] => {
    const tree = fixtureTree();
    tree.write('sys/fs/file-nr', fileNr);
    const host = collectPass(new FileNrCollector(tree.ctx), 1);
    return host;
  };

  it('reports the share of file handles in use: (allocated - unused) / max', () => {
    expect(fdUsage('1024\t0\t102400\n')).toEqual([{ name: 'fd_usage', value: expect.closeTo(1, 10) }]);
    expect(fdUsage('3000\t1000\t4000\n')).toEqual([{ name: 'fd_usage', value: 50 }]);
  });

  it('reports nothing when the kernel gives no maximum, and caps at 100 %', () => {
    expect(fdUsage('10\t0\t0\n')).toEqual([]);
    expect(fdUsage('500\t0\t100\n')).toEqual([{ name: 'fd_usage', value: 100 }]);
  });
});
