import { describe, expect, it } from 'vitest';

import { FIXTURES } from '../../../test/proc-fixture.js';
import { distroOf, readHostFacts } from './host-facts.js';

describe('host facts', () => {
  it('decodes os-release', () => {
    expect(distroOf('ID="rhel"\nVERSION_ID="9.4"\n')).toBe('rhel 9.4');
    expect(distroOf('ID=arch\nBUILD_ID=rolling\n')).toBe('arch');
    expect(distroOf('')).toBe('linux');
  });

  it('reads the machine id and distribution from etc', async () => {
    const facts = await readHostFacts(`${FIXTURES}etc`);
    expect(facts).toMatchObject({ machineId: '0123456789abcdef0123456789abcdef', distro: 'ubuntu 22.04', os: 'linux', arch: process.arch });
  });
});
