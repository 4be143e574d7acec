import { describe, expect, it } from 'vitest';

import { FIXTURES } from '../../../../test/proc-fixture.js';
import { Reader } from '../proc-read.js';
import { parsePasswd, UserNames } from './users.js';

describe('users', () => {
  it('decodes passwd', () => {
    expect([...parsePasswd('root:x:0:0::/:/bin/sh\n# x\nbob:x:1001:1001::/:/bin/sh\nbroken\n')]).toEqual([
      [0, 'root'],
      [1001, 'bob'],
    ]);
  });

  it('names uids from the passwd file, and gives the number of a uid it does not know', () => {
    let now = 0;
    const users = new UserNames(`${FIXTURES}etc`, new Reader(), () => now);
    expect(users.name(0)).toBe('root');
    expect(users.name(1000)).toBe('alice');
    now += 20_000;
    expect(users.name(1001)).toBe('1001');
  });
});
