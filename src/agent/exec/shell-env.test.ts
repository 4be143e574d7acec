import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { buildEnv, checkSpec, resolveUser } from './shell-env.js';
import type { CommandSpec } from './types.js';

const spec = (extra: Partial<CommandSpec> = {}): CommandSpec => ({ command: 'true', env: {}, timeoutMs: 1000, maxOutputBytes: 1024, ...extra });

describe('checkSpec', () => {
  it('accepts a plain command with parameters in the environment', () => {
    expect(checkSpec(spec({ env: { dir: '/var/log', BW_PID: '42' } }))).toBeUndefined();
  });

  it.each([
    [{ env: { LD_PRELOAD: '/tmp/x.so' } }, 'environment variable LD_PRELOAD may not be set'],
    [{ env: { BASH_ENV: 'x' } }, 'environment variable BASH_ENV may not be set'],
    [{ env: { 'a-b': 'x' } }, 'invalid environment variable name "a-b"'],
    [{ env: { A: 'x\0y' } }, 'environment variable A contains a NUL byte'],
    [{ timeoutMs: 0 }, 'timeoutMs must be a number > 0'],
    [{ maxOutputBytes: 1.5 }, 'maxOutputBytes must be an integer >= 0'],
    [{ cwd: '' }, 'invalid cwd ""'],
    [{ user: 'a:b' }, 'invalid user "a:b"'],
  ])('refuses %j', (extra, message) => {
    expect(checkSpec(spec(extra))).toContain(message);
  });
});

describe('buildEnv', () => {
  it('passes on only the inherited names, a default PATH, then the parameters', () => {
    const env = buildEnv(spec({ env: { dir: '/tmp' } }), { HOME: '/root', SECRET_TOKEN: 'x', LANG: 'C' });
    expect(env).toEqual({ HOME: '/root', LANG: 'C', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', dir: '/tmp' });
  });

  it("gives a command run as another user that user's HOME and USER", () => {
    const env = buildEnv(spec(), { PATH: '/bin', HOME: '/root', USER: 'root' }, { home: '/home/alice', name: 'alice' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/home/alice', USER: 'alice' });
  });
});

describe('resolveUser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-passwd-'));
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('switches user only when the agent is root; running as oneself needs no switch', async () => {
    expect(await resolveUser('alice', passwd, () => 0)).toEqual({ ids: { uid: 1000, gid: 1000 }, home: '/home/alice', name: 'alice' });
    expect(await resolveUser('1000', passwd, () => 1000)).toEqual({ home: '/home/alice', name: 'alice' });
    expect(await resolveUser('root', passwd, () => 1000)).toBe('cannot run as user "root": the agent is not running as root (uid 1000)');
  });

  it('says why a user cannot be found', async () => {
    expect(await resolveUser('bob', passwd, () => 0)).toBe(`unknown user "bob": not in ${passwd}`);
    expect(await resolveUser('bob', join(dir, 'nowhere'), () => 0)).toContain('cannot read');
  });
});
