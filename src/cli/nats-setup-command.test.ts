import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryOutput } from '../../test/helpers.js';
import { main } from './index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function memoryIo() {
  const { stdout, stderr, out, err } = memoryOutput();
  return { io: { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1' } }, out, err };
}

describe('breakwater nats-setup', () => {
  it('writes the accounts into --out, prints each file and the next steps, and no seed', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'bw-nats-setup-'));
    dirs.push(parent);
    const m = memoryIo();
    expect(await main(['nats-setup', '--out', join(parent, 'nats'), '--prefix', 'fleet.eu'], m.io)).toBe(0);
    expect((await readdir(join(parent, 'nats'))).sort()).toEqual(['account-signing-key.json', 'nats-accounts.conf', 'offline', 'replica.creds']);
    expect((await stat(join(parent, 'nats', 'replica.creds'))).mode & 0o777).toBe(0o600);
    expect(m.out()).toContain('subject prefix fleet.eu');
    expect(m.out()).toContain(`--nats-account-seed ${join(parent, 'nats', 'account-signing-key.json')}`);
    expect(m.out() + m.err()).not.toMatch(/\bS[AOU][A-Z2-7]{56}\b/);
  });

  it('refuses a directory it already wrote (a second operator would end every credential of the first) and a bad prefix', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'bw-nats-setup-'));
    dirs.push(parent);
    expect(await main(['nats-setup', '--out', parent], memoryIo().io)).toBe(0);
    const again = memoryIo();
    expect(await main(['nats-setup', '--out', parent], again.io)).not.toBe(0);
    expect(again.err()).toContain('BW_ERR_CONFLICT');
    const bad = memoryIo();
    expect(await main(['nats-setup', '--out', join(parent, 'other'), '--prefix', 'a..b'], bad.io)).not.toBe(0);
    expect(bad.err()).toContain('--prefix');
  });
});
