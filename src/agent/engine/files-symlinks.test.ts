import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, chown, link, lstat, mkdir, readFile, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { FileDefinition } from '../../definitions/index.js';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { ensureFile } from './files.js';

/*
 * A local user who can write the directory of a file definition plants links and files there; the
 * agent (root on a real host) must never write, chmod or create anything outside its file root
 * because of them. `outside` stands for /etc/shadow: it must keep its content and mode.
 */

function fileDef(content: string, mode = '0644', path = '/etc/app/app.conf'): FileDefinition {
  const text = `kind: file\nname: app-conf\npath: ${path}\nmode: "${mode}"\nquery: host\ncontent: ${JSON.stringify(content)}\n`;
  const { definitions } = parseDefinitions([{ path: 'test/files.yaml', text }], BUILTIN_CATALOGUE);
  return definitions[0] as FileDefinition;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;

let base: string;
let root: string;
let outside: string;
let target: string;
beforeEach(async () => {
  base = mkdtempSync(join(tmpdir(), 'bw-files-link-'));
  root = join(base, 'root');
  outside = join(base, 'secret');
  target = join(root, 'etc/app/app.conf');
  await mkdir(join(root, 'etc/app'), { recursive: true });
  await writeFile(outside, 'root:secret\n', { mode: 0o600 });
  await chmod(outside, 0o600);
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

async function expectOutsideUntouched(content = 'root:secret\n'): Promise<void> {
  expect(await readFile(outside, 'utf8')).toBe(content);
  expect(await modeOf(outside)).toBe(0o600);
}

describe('ensureFile with planted links', () => {
  it('refuses a symlink at the path that points outside the root, naming the path', async () => {
    await symlink(outside, target);
    const outcome = await ensureFile(fileDef('workers = 8\n', '0666'), root);
    expect(outcome).toEqual({ path: target, changed: false, refused: true, error: `${target} is a symbolic link: refused to write through it` });
    await expectOutsideUntouched();
    expect(await readlink(target)).toBe(outside);
  });

  it('refuses a symlink to a 0600 file whose content already matches (the chmod-only path)', async () => {
    await writeFile(outside, 'workers = 8\n');
    await symlink(outside, target);
    const outcome = await ensureFile(fileDef('workers = 8\n', '0666'), root);
    expect(outcome.refused).toBe(true);
    expect(outcome.error).toContain(target);
    await expectOutsideUntouched('workers = 8\n');
  });

  it('refuses a dangling symlink and creates nothing at its destination', async () => {
    const dest = join(base, 'created-by-root');
    await symlink(dest, target);
    const outcome = await ensureFile(fileDef('workers = 8\n'), root);
    expect(outcome.refused).toBe(true);
    await expect(lstat(dest)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a symlinked parent directory inside the root, naming it', async () => {
    const elsewhere = join(base, 'elsewhere');
    await mkdir(elsewhere);
    rmSync(join(root, 'etc/app'), { recursive: true });
    await symlink(elsewhere, join(root, 'etc/app'));
    const outcome = await ensureFile(fileDef('workers = 8\n'), root);
    expect(outcome).toMatchObject({ path: target, changed: false, refused: true });
    expect(outcome.error).toBe(`${join(root, 'etc/app')} is a symbolic link: refused to write through it`);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('ignores a link planted at the old predictable temporary name and leaves no temporary file', async () => {
    const predictable = `${target}.breakwater-${process.pid}.tmp`;
    await symlink(outside, predictable);
    const outcome = await ensureFile(fileDef('workers = 8\n'), root);
    expect(outcome).toEqual({ path: target, changed: true });
    expect(await readFile(target, 'utf8')).toBe('workers = 8\n');
    await expectOutsideUntouched();
    expect((await readdir(join(root, 'etc/app'))).sort()).toEqual(['app.conf', 'app.conf.breakwater-' + process.pid + '.tmp']);
  });

  it('replaces a hard link to a file elsewhere instead of changing that file', async () => {
    await writeFile(outside, 'workers = 8\n');
    await link(outside, target);
    const outcome = await ensureFile(fileDef('workers = 8\n', '0644'), root);
    expect(outcome).toEqual({ path: target, changed: true });
    await expectOutsideUntouched('workers = 8\n');
    expect((await stat(target)).ino).not.toBe((await stat(outside)).ino);
    expect(await modeOf(target)).toBe(0o644);
  });

  it('refuses a FIFO at the path without hanging on it', async () => {
    execFileSync('mkfifo', [target]);
    const outcome = await ensureFile(fileDef('workers = 8\n'), root);
    expect(outcome).toMatchObject({ refused: true, error: `${target} is not a regular file: refused to replace it` });
    expect((await lstat(target)).isFIFO()).toBe(true);
  });

  it("gives the file the agent's own owner and group, even in a set-group-id directory of another group", async () => {
    const uid = process.getuid!();
    const gid = process.getgid!();
    // Only root may hand a directory to another group; as another user, the owner is still asserted.
    const otherGid = uid === 0 ? gid + 4242 : gid;
    await chown(join(root, 'etc/app'), uid, otherGid);
    await chmod(join(root, 'etc/app'), 0o2777);
    const outcome = await ensureFile(fileDef('workers = 8\n', '0640'), root);
    expect(outcome).toEqual({ path: target, changed: true });
    const s = await stat(target);
    expect([s.uid, s.gid, s.mode & 0o7777]).toEqual([uid, gid, 0o640]);
  });
});
