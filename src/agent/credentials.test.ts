import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { StoredCredential } from './credentials.js';
import { hostIdentity, loadCredential, saveCredential } from './credentials.js';

const root = mkdtempSync(join(tmpdir(), 'bw-cred-'));
let seq = 0;
/** A fresh directory path (not created yet) per test. */
const dir = () => join(root, `d${++seq}`, 'agent');

afterAll(() => rmSync(root, { recursive: true, force: true }));

const SERVER = new URL('http://10.0.0.5:7070');
const CRED: StoredCredential = { server: SERVER.origin, agentId: 'a1b2', name: 'web-1', credential: 'bwa_secret' };

describe('agent credentials', () => {
  it('round-trips: what is saved is loaded for the same server', async () => {
    const d = dir();
    await saveCredential(d, CRED);
    expect(await loadCredential(d, SERVER)).toEqual(CRED);
    // A URL with a path still names the same control plane.
    expect(await loadCredential(d, new URL('http://10.0.0.5:7070/some/path'))).toEqual(CRED);
  });

  it('the file is readable by the agent\'s user only (0600), in a 0700 directory', async () => {
    const d = dir();
    await saveCredential(d, CRED);
    expect(statSync(join(d, 'credential.json')).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it('an existing, looser file is replaced by a 0600 one', async () => {
    const d = dir();
    await mkdir(d, { recursive: true });
    writeFileSync(join(d, 'credential.json'), '{}', { mode: 0o644 });
    await saveCredential(d, CRED);
    expect(statSync(join(d, 'credential.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(d, 'credential.json'), 'utf8'))).toEqual(CRED);
  });

  it('saving again overwrites, and leaves no temporary file behind', async () => {
    const d = dir();
    await saveCredential(d, CRED);
    await saveCredential(d, { ...CRED, credential: 'bwa_newer' });
    expect((await loadCredential(d, SERVER))?.credential).toBe('bwa_newer');
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(d)).toEqual(['credential.json']);
  });

  it('a credential for another server is not used', async () => {
    const d = dir();
    await saveCredential(d, CRED);
    expect(await loadCredential(d, new URL('http://10.0.0.6:7070'))).toBeUndefined();
    expect(await loadCredential(d, new URL('https://10.0.0.5:7070'))).toBeUndefined();
    expect(await loadCredential(d, new URL('http://10.0.0.5:7071'))).toBeUndefined();
  });

  it('no directory or no file: undefined, not an error', async () => {
    expect(await loadCredential(dir(), SERVER)).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"server": "http://10.0.0.5:7070", "agentId'],
    ['empty', ''],
    ['JSON of the wrong shape', JSON.stringify({ server: SERVER.origin, agentId: 7 })],
    ['JSON null', 'null'],
  ])('a corrupt file (%s) reads as no credential, so the agent enrolls again', async (_what, text) => {
    const d = dir();
    await mkdir(d, { recursive: true });
    writeFileSync(join(d, 'credential.json'), text, { mode: 0o600 });
    await expect(loadCredential(d, SERVER)).resolves.toBeUndefined();
  });
});

describe('the host id an agent enrolls with', () => {
  it('is the machine id when the system has one', async () => {
    const d = dir();
    await mkdir(d, { recursive: true });
    const machineId = join(d, 'machine-id');
    writeFileSync(machineId, '0123456789abcdef0123456789abcdef\n');
    expect(await hostIdentity(d, [join(d, 'absent'), machineId])).toBe('0123456789abcdef0123456789abcdef');
  });

  it('without one (or an empty one), a random id kept beside the credential: the same on the next start, 0600', async () => {
    const d = dir();
    await mkdir(d, { recursive: true });
    writeFileSync(join(d, 'empty-machine-id'), '\n');
    const first = await hostIdentity(d, [join(d, 'empty-machine-id'), join(d, 'absent')]);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(await hostIdentity(d, [join(d, 'absent')])).toBe(first);
    expect(statSync(join(d, 'host-id')).mode & 0o777).toBe(0o600);
    expect(await hostIdentity(dir(), [join(d, 'absent')])).not.toBe(first); // another host, another id
  });
});
