import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Demo, Lab } from '../src/lab/index.js';
import { runDemo, startLab } from '../src/lab/index.js';

/*
 * The lab fills a host's /data only when it is a tmpfs the lab mounted: here the lab runs with
 * tmpfs turned off (as it does without root), so /data is a plain directory on this machine's
 * disk, and filling it must be refused; the demo skips its disk fault and goes on.
 */
describe('lab fillDisk without a tmpfs', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab({ hosts: 1, tmpfs: false });
  }, 60_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('refuses with BW_ERR_LAB_REAL_DISK and writes nothing', async () => {
    const host = lab.hosts[0]!;
    expect(lab.fillsDisks).toBe(false);
    await expect(lab.fillDisk(host, 95)).rejects.toMatchObject({
      code: 'BW_ERR_LAB_REAL_DISK',
      message: expect.stringContaining(`refusing to fill /data of ${host.name}`),
    });
    expect(existsSync(join(host.dataDir, 'logs', 'runaway.log'))).toBe(false);
  });
});

describe('the demo without a tmpfs', () => {
  let demo: Demo | undefined;

  afterAll(async () => {
    await demo?.stop();
  });

  it('skips S1 with the reason, fills no disk, and goes on to S4', async () => {
    const lines: string[] = [];
    demo = await runDemo({ say: (line) => lines.push(line) }, { tmpfs: false });
    const out = lines.join('\n');
    expect(out).toContain('S1 (a runaway log fills /data) is skipped: without root the lab has no tmpfs of its own');
    expect(out).not.toContain('fault to fixed');
    for (const h of demo.lab.hosts) expect(existsSync(join(h.dataDir, 'logs', 'runaway.log')), h.name).toBe(false);
    expect(out).toMatch(/bot reapply-patch-on-restart ran apply_patch on db-3/);
    expect(out).toContain('Ctrl-C stops everything.');
  }, 120_000);
});
