import fc from 'fast-check';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ShellRunner } from './shell-runner.js';
import { MAX_ENVIRON_BYTES, MAX_ENVIRON_VARS, containerUser, enterContainer, hasCapability, parseEnviron, parseStatusIds } from './container-entry.js';

const ID = 'a'.repeat(64);
const PID = 4242;
const STATUS = 'Name:\tsleep\nUid:\t1234\t1234\t1234\t1234\nGid:\t2345\t2345\t2345\t2345\n';

const roots: string[] = [];
afterEach(async () => {
  for (const dir of roots.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A fake /proc with the container's init process and the agent's own (`self`) namespaces. */
async function fakeProc(files: { cgroup?: string; mnt?: string; status?: string; environ?: Buffer | string }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'bw-entry-'));
  roots.push(root);
  await mkdir(join(root, String(PID), 'ns'), { recursive: true });
  await mkdir(join(root, 'self', 'ns'), { recursive: true });
  await writeFile(join(root, String(PID), 'cgroup'), files.cgroup ?? `0::/machine.slice/libpod-${ID}.scope/container\n`);
  await symlink(files.mnt ?? 'mnt:[4026532001]', join(root, String(PID), 'ns', 'mnt'));
  await symlink('mnt:[4026531841]', join(root, 'self', 'ns', 'mnt'));
  await writeFile(join(root, String(PID), 'status'), files.status ?? STATUS);
  await writeFile(join(root, String(PID), 'environ'), files.environ ?? 'PATH=/bin\0HOSTNAME=web\0');
  return root;
}

describe('enterContainer', () => {
  it('enters the init process’s namespaces as its user, with its environment', async () => {
    const entry = await enterContainer({ id: ID, initPid: PID }, undefined, await fakeProc({}));
    expect(entry).toEqual({
      nsenterArgs: ['--target', '4242', '--mount', '--uts', '--ipc', '--net', '--pid', '--setuid', '1234', '--setgid', '2345', '--'],
      env: { PATH: '/bin', HOSTNAME: 'web' },
    });
  });

  it('runs as the action’s user when it names a uid or root, and refuses a name', async () => {
    const proc = await fakeProc({});
    expect(await enterContainer({ id: ID, initPid: PID }, 'root', proc)).toMatchObject({ nsenterArgs: expect.arrayContaining(['--setuid', '0', '--setgid', '0']) });
    expect(await enterContainer({ id: ID, initPid: PID }, 'www-data', proc)).toMatch(/cannot be resolved inside a container/);
  });

  it('refuses a pid that is no longer the container’s (it stopped, the pid was reused)', async () => {
    const other = await enterContainer({ id: ID, initPid: PID }, undefined, await fakeProc({ cgroup: `0::/machine.slice/libpod-${'b'.repeat(64)}.scope\n` }));
    expect(other).toMatch(/stopped or restarted: pid 4242 is no longer its process/);
    expect(await enterContainer({ id: ID, initPid: PID }, undefined, await fakeProc({ cgroup: '0::/user.slice/session-1.scope\n' }))).toMatch(/no longer its process/);
  });

  it('refuses a container that shares the host’s mount namespace: the command would run on the host', async () => {
    expect(await enterContainer({ id: ID, initPid: PID }, undefined, await fakeProc({ mnt: 'mnt:[4026531841]' }))).toMatch(/shares the host's mount namespace/);
  });

  it('reads the environ only up to its bound, and gives a default PATH when it has none', async () => {
    const environ = `A=1\0B=${'x'.repeat(MAX_ENVIRON_BYTES)}\0C=2\0`;
    const entry = await enterContainer({ id: ID, initPid: PID }, undefined, await fakeProc({ environ }));
    expect(entry).toMatchObject({ env: { A: '1', PATH: expect.stringContaining('/usr/bin') } });
    expect(Object.keys(typeof entry === 'string' ? {} : entry.env).sort()).toEqual(['A', 'PATH']);
  });

  it('refuses invalid targets and a process that is gone, without throwing', async () => {
    const proc = await fakeProc({});
    expect(await enterContainer({ id: '../../etc', initPid: PID }, undefined, proc)).toMatch(/invalid container id/);
    expect(await enterContainer({ id: ID, initPid: 1 }, undefined, proc)).toMatch(/invalid init pid/);
    expect(await enterContainer({ id: ID, initPid: 1.5 }, undefined, proc)).toMatch(/invalid init pid/);
    expect(await enterContainer({ id: ID, initPid: 999_999 }, undefined, proc)).toMatch(/cannot be entered: .*did not run/);
    expect(await enterContainer({ id: ID, initPid: PID }, undefined, await fakeProc({ status: 'Name:\tx\n' }))).toMatch(/cannot read the user of container a{12} \(pid 4242\)/);
  });
});

describe('parseEnviron (a container controls its environ)', () => {
  it('drops what would steer nsenter on the host: the loader’s and glibc’s variables', () => {
    const raw = Buffer.from('PATH=/bin\0LD_PRELOAD=/tmp/x.so\0LD_LIBRARY_PATH=/tmp\0GLIBC_TUNABLES=a=b\0GCONV_PATH=/tmp\0MALLOC_CONF=x\0LOCPATH=/x\0APP=1\0');
    expect(parseEnviron(raw)).toEqual({ PATH: '/bin', APP: '1' });
  });

  it('drops bad names, entries without a value separator and a last entry cut by the bound', () => {
    expect(parseEnviron(Buffer.from('A=1\0=x\0no-equals\0bad name=2\0B=x=y\0C=cut'))).toEqual({ A: '1', B: 'x=y' });
    expect(parseEnviron(Buffer.from('A=1\0'))).toEqual({ A: '1' });
  });

  it('stays within its bounds for any input (bounded fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const env = parseEnviron(Buffer.from(bytes));
        const names = Object.keys(env);
        expect(names.length).toBeLessThanOrEqual(MAX_ENVIRON_VARS);
        for (const name of names) {
          expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
          expect(name.startsWith('LD_')).toBe(false);
          expect(env[name]).not.toContain('\0');
        }
      }),
      { numRuns: 300 },
    );
    const many = Buffer.from(Array.from({ length: MAX_ENVIRON_VARS + 50 }, (_, i) => `V${i}=x\0`).join(''));
    expect(Object.keys(parseEnviron(many))).toHaveLength(MAX_ENVIRON_VARS);
  });
});

describe('the container’s user', () => {
  it('is the effective uid and gid of its init process', () => {
    expect(parseStatusIds('Uid:\t0\t1000\t0\t0\nGid:\t5\t6\t5\t5\n')).toEqual({ uid: 1000, gid: 6 });
    expect(parseStatusIds('Uid:\t99999999999999\t99999999999999\nGid:\t1\t1\n')).toBeUndefined();
    expect(parseStatusIds('garbage')).toBeUndefined();
  });

  it('is overridden by a numeric uid or root only', () => {
    const init = { uid: 1234, gid: 2345 };
    expect(containerUser(undefined, init)).toEqual(init);
    expect(containerUser('0', init)).toEqual({ uid: 0, gid: 0 });
    expect(containerUser('1000', init)).toEqual({ uid: 1000, gid: 1000 });
    expect(containerUser('99999999999', init)).toMatch(/numeric uid or root/);
  });
});

describe('ShellRunner with a container target', () => {
  const spec = { command: 'touch /tmp/should-not-exist', env: {}, timeoutMs: 5000, maxOutputBytes: 1024 };

  it('runs nothing, on the host or elsewhere, when the container cannot be entered', async () => {
    // nsenter replaced by a program that would fail the test if it ran at all.
    const runner = new ShellRunner({ maxConcurrent: 1, maxQueued: 0, nsenter: '/bin/false' });
    expect((await runner.run({ ...spec, container: { id: 'not-an-id', initPid: 5 } })).error).toMatch(/invalid container id/);
    expect((await runner.run({ ...spec, container: { id: ID, initPid: process.pid } })).error).toMatch(/no longer its process|cannot be entered/);
    expect((await runner.run({ ...spec, cwd: '/', container: { id: ID, initPid: PID } })).error).toMatch(/cwd cannot be set for a command inside a container/);
  });
});

describe('hasCapability', () => {
  it('reads the effective set: CAP_SYS_ADMIN (bit 21) in a root agent\'s set, not in the DaemonSet\'s short list', () => {
    expect(hasCapability('Name:\tagent\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n', 21n)).toBe(true);
    // CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, KILL, SETGID, SETUID, SYS_PTRACE: bits 0-3, 5-7, 19.
    expect(hasCapability('CapEff:\t00000000000800ef\n', 21n)).toBe(false);
    expect(hasCapability('CapEff:\t00000000000800ef\n', 19n)).toBe(true);
  });

  it('says no for a missing or malformed CapEff line, whatever the text', () => {
    expect(hasCapability('', 21n)).toBe(false);
    expect(hasCapability('CapEff:\tzz\n', 21n)).toBe(false);
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => typeof hasCapability(text, 21n) === 'boolean'), { numRuns: 200, seed: 13 });
  });
});
