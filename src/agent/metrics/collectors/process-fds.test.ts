import { describe, expect, it } from 'vitest';
import { fixtureTree } from '../../../../test/proc-fixture.js';
import { fdCount, fdLimit } from './process-fds.js';

describe('process descriptors', () => {
  it('counts the open descriptors of a process, undefined for one that does not exist', async () => {
    const tree = fixtureTree();
    expect(await fdCount(tree.procRoot, 42)).toBe(3);
    expect(await fdCount(tree.procRoot, 4242)).toBeUndefined();
  });

  it('reads the soft descriptor limit of a process, undefined for one that does not exist', async () => {
    expect(await fdLimit('/proc', process.pid)).toBeGreaterThan(0);
    expect(await fdLimit(fixtureTree().procRoot, 4242)).toBeUndefined();
  });
});
