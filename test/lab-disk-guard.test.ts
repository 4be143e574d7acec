import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';

/*
 * The lab fills a host's /data only when it is a tmpfs the lab mounted: here the
 * lab runs with tmpfs turned off (as it does without root), so /data is a plain
 * directory on this machine's disk and filling it must be refused.
 */
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ hosts: 1, tmpfs: false });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

describe('lab fillDisk without a tmpfs', () => {
  it('refuses with BW_ERR_LAB_REAL_DISK and writes nothing', async () => {
    const host = lab.hosts[0]!;
    await expect(lab.fillDisk(host, 95)).rejects.toMatchObject({
      code: 'BW_ERR_LAB_REAL_DISK',
      message: expect.stringContaining(`refusing to fill /data of ${host.name}`),
    });
    expect(existsSync(join(host.dataDir, 'logs', 'runaway.log'))).toBe(false);
  });
});
