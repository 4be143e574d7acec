import { describe, expect, it } from 'vitest';
import { BreakwaterError } from '../protocol/index.js';
import { TMPFS_MAGIC, refuseRealDiskFill } from './disk-guard.js';

const EXT4_MAGIC = 0xef53;
const base = { host: 'web-1', dataDir: '/tmp/lab/hosts/web-1/data' };

function refusal(state: Parameters<typeof refuseRealDiskFill>[0]): BreakwaterError {
  try {
    refuseRealDiskFill(state);
  } catch (err) {
    if (err instanceof BreakwaterError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('refuseRealDiskFill', () => {
  it('allows filling a tmpfs the lab mounted', () => {
    expect(() => refuseRealDiskFill({ ...base, mountedByLab: true, fsType: TMPFS_MAGIC })).not.toThrow();
  });

  it('refuses a /data the lab did not mount (a plain directory on the real disk), saying why and what to do', () => {
    const err = refusal({ ...base, mountedByLab: false, fsType: EXT4_MAGIC });
    expect(err.code).toBe('BW_ERR_LAB_REAL_DISK');
    expect(err.message).toContain('web-1');
    expect(err.message).toContain('did not mount a tmpfs');
    expect(err.message).toContain('run the lab as root');
    expect(err.details).toEqual({ host: 'web-1', dataDir: base.dataDir });
  });

  it('refuses a tmpfs the lab did not mount (someone else\'s, e.g. /tmp)', () => {
    expect(refusal({ ...base, mountedByLab: false, fsType: TMPFS_MAGIC }).code).toBe('BW_ERR_LAB_REAL_DISK');
  });

  it('refuses a mount the lab made that is no longer a tmpfs (unmounted behind its back)', () => {
    const err = refusal({ ...base, mountedByLab: true, fsType: EXT4_MAGIC });
    expect(err.code).toBe('BW_ERR_LAB_REAL_DISK');
    expect(err.message).toContain('no longer a tmpfs (filesystem type 0xef53)');
  });
});
