import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, chown, link, lstat, mkdir, open, readFile, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { FileDefinition } from '../../definitions/index.js';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { ensureFile } from './files.js';

/*
 * ensureFile against real files in a temporary directory, used as the host's root (the `root`
 * argument) or as an absolute path. Definitions come from YAML, so sha256 and mode are the
 * parser's.
 */

function fileDef(content: string, mode = '0640', path = '/etc/app/app.conf'): FileDefinition {
  const text = `kind: file\nname: app-conf\npath: ${path}\nmode: "${mode}"\nquery: host\ncontent: ${JSON.stringify(content)}\n`;
  const { definitions, diagnostics } = parseDefinitions([{ path: 'test/files.yaml', text }], BUILTIN_CATALOGUE);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => d.message).join('; '));
  return definitions[0] as FileDefinition;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'bw-files-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('ensureFile', () => {
  it('creates the missing directories and the file, with the defined content and mode', async () => {
    const def = fileDef('workers = 8\n');
    const outcome = await ensureFile(def, root);
    const path = join(root, 'etc/app/app.conf');
    expect(outcome).toEqual({ path, changed: true });
    expect(await readFile(path, 'utf8')).toBe('workers = 8\n');
    expect(await modeOf(path)).toBe(0o640);
  });

  it('sets the mode exactly, whatever the umask', async () => {
    const def = fileDef('#!/bin/sh\necho hi\n', '0755', '/usr/local/bin/hello');
    await ensureFile(def, root);
    expect(await modeOf(join(root, 'usr/local/bin/hello'))).toBe(0o755);
  });

  it('leaves an identical file untouched', async () => {
    const def = fileDef('workers = 8\n');
    await ensureFile(def, root);
    const path = join(root, 'etc/app/app.conf');
    const before = await stat(path);
    const outcome = await ensureFile(def, root);
    expect(outcome).toEqual({ path, changed: false });
    const after = await stat(path);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('fixes a wrong mode without rewriting the content', async () => {
    const def = fileDef('workers = 8\n');
    const path = join(root, 'etc/app/app.conf');
    await mkdir(join(root, 'etc/app'), { recursive: true });
    await writeFile(path, 'workers = 8\n');
    await chmod(path, 0o666);
    const before = await stat(path);

    const outcome = await ensureFile(def, root);
    expect(outcome).toEqual({ path, changed: true });
    expect(await modeOf(path)).toBe(0o640);
    const after = await stat(path);
    expect(after.ino).toBe(before.ino); // the same file, only chmod'ed
    expect(await readFile(path, 'utf8')).toBe('workers = 8\n');
  });

  it('replaces different content by renaming a complete new file into place, leaving no temporary files', async () => {
    const path = join(root, 'etc/app/app.conf');
    await mkdir(join(root, 'etc/app'), { recursive: true });
    await writeFile(path, 'workers = 2\n# an old, longer version of the file\n');
    // A reader that has the old file open keeps seeing the whole old file: it was replaced, not written over.
    const reader = await open(path, 'r');
    try {
      const before = await stat(path);
      const outcome = await ensureFile(fileDef('workers = 8\n'), root);
      expect(outcome).toEqual({ path, changed: true });
      expect(await readFile(path, 'utf8')).toBe('workers = 8\n');
      expect((await stat(path)).ino).not.toBe(before.ino);
      expect(await reader.readFile('utf8')).toBe('workers = 2\n# an old, longer version of the file\n');
    } finally {
      await reader.close();
    }
    expect(await readdir(join(root, 'etc/app'))).toEqual(['app.conf']);
    expect(await modeOf(path)).toBe(0o640);
  });

  it('uses the path as given when no root is given', async () => {
    const def = { ...fileDef('x\n'), path: join(root, 'abs/dir/x.conf') };
    const outcome = await ensureFile(def);
    expect(outcome).toEqual({ path: join(root, 'abs/dir/x.conf'), changed: true });
    expect(await readFile(join(root, 'abs/dir/x.conf'), 'utf8')).toBe('x\n');
  });

  it('places the file under the root, never at the absolute path itself', async () => {
    const def = fileDef('x\n', '0644', '/etc/breakwater-test-never-here.conf');
    const outcome = await ensureFile(def, root);
    expect(outcome.path).toBe(join(root, 'etc/breakwater-test-never-here.conf'));
    await expect(stat('/etc/breakwater-test-never-here.conf')).rejects.toThrow();
  });

  it('reports an error, without throwing, when the file cannot be put in place (a path under a file)', async () => {
    await writeFile(join(root, 'etc'), 'I am a file, not a directory\n');
    const outcome = await ensureFile(fileDef('workers = 8\n'), root);
    expect(outcome.changed).toBe(false);
    expect(outcome.path).toBe(join(root, 'etc/app/app.conf'));
    expect(outcome.error).toMatch(/ENOTDIR|EEXIST|not a directory|file already exists/i);
    expect(await readFile(join(root, 'etc'), 'utf8')).toBe('I am a file, not a directory\n');
  });

  it('reports an error when the path is a directory', async () => {
    await mkdir(join(root, 'etc/app/app.conf'), { recursive: true });
    const outcome = await ensureFile(fileDef('workers = 8\n'), root);
    expect(outcome.changed).toBe(false);
    expect(outcome.error).toEqual(expect.any(String));
    expect(await readdir(join(root, 'etc/app'))).toEqual(['app.conf']);
  });
});

/*
 * A local user who can write the directory of a file definition plants links and files there; the
 * agent (root on a real host) must never write, chmod or create anything outside its file root
 * because of them. `outside` stands for /etc/shadow: it must keep its content and mode.
 */
describe('ensureFile with planted links', () => {
  let host: string;
  let outside: string;
  let target: string;
  beforeEach(async () => {
    host = join(root, 'host');
    outside = join(root, 'secret');
    target = join(host, 'etc/app/app.conf');
    await mkdir(join(host, 'etc/app'), { recursive: true });
    await writeFile(outside, 'root:secret\n');
    await chmod(outside, 0o600);
  });

  async function expectOutsideUntouched(content = 'root:secret\n'): Promise<void> {
    expect(await readFile(outside, 'utf8')).toBe(content);
    expect(await modeOf(outside)).toBe(0o600);
  }

  it('refuses a symlink at the path that points outside the root, naming the path', async () => {
    await symlink(outside, target);
    const outcome = await ensureFile(fileDef('workers = 8\n', '0666'), host);
    expect(outcome).toEqual({ path: target, changed: false, refused: true, error: `${target} is a symbolic link: refused to write through it` });
    await expectOutsideUntouched();
    expect(await readlink(target)).toBe(outside);
  });

  it('refuses a symlink to a 0600 file whose content already matches (the chmod-only path)', async () => {
    await writeFile(outside, 'workers = 8\n');
    await symlink(outside, target);
    const outcome = await ensureFile(fileDef('workers = 8\n', '0666'), host);
    expect(outcome.refused).toBe(true);
    expect(outcome.error).toContain(target);
    await expectOutsideUntouched('workers = 8\n');
  });

  it('refuses a dangling symlink and creates nothing at its destination', async () => {
    const dest = join(root, 'created-by-root');
    await symlink(dest, target);
    const outcome = await ensureFile(fileDef('workers = 8\n'), host);
    expect(outcome.refused).toBe(true);
    await expect(lstat(dest)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a symlinked parent directory inside the root, naming it', async () => {
    const elsewhere = join(root, 'elsewhere');
    await mkdir(elsewhere);
    rmSync(join(host, 'etc/app'), { recursive: true });
    await symlink(elsewhere, join(host, 'etc/app'));
    const outcome = await ensureFile(fileDef('workers = 8\n'), host);
    expect(outcome).toMatchObject({ path: target, changed: false, refused: true });
    expect(outcome.error).toBe(`${join(host, 'etc/app')} is a symbolic link: refused to write through it`);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('ignores a link planted at the old predictable temporary name and leaves no temporary file', async () => {
    const predictable = `${target}.breakwater-${process.pid}.tmp`;
    await symlink(outside, predictable);
    const outcome = await ensureFile(fileDef('workers = 8\n'), host);
    expect(outcome).toEqual({ path: target, changed: true });
    expect(await readFile(target, 'utf8')).toBe('workers = 8\n');
    await expectOutsideUntouched();
    expect((await readdir(join(host, 'etc/app'))).sort()).toEqual(['app.conf', 'app.conf.breakwater-' + process.pid + '.tmp']);
  });

  it('replaces a hard link to a file elsewhere instead of changing that file', async () => {
    await writeFile(outside, 'workers = 8\n');
    await link(outside, target);
    const outcome = await ensureFile(fileDef('workers = 8\n', '0644'), host);
    expect(outcome).toEqual({ path: target, changed: true });
    await expectOutsideUntouched('workers = 8\n');
    expect((await stat(target)).ino).not.toBe((await stat(outside)).ino);
    expect(await modeOf(target)).toBe(0o644);
  });

  it('refuses a FIFO at the path without hanging on it', async () => {
    execFileSync('mkfifo', [target]);
    const outcome = await ensureFile(fileDef('workers = 8\n'), host);
    expect(outcome).toMatchObject({ refused: true, error: `${target} is not a regular file: refused to replace it` });
    expect((await lstat(target)).isFIFO()).toBe(true);
  });

  it("gives the file the agent's own owner and group, even in a set-group-id directory of another group", async () => {
    const uid = process.getuid!();
    const gid = process.getgid!();
    // Only root may hand a directory to another group; as another user, the owner is still asserted.
    const otherGid = uid === 0 ? gid + 4242 : gid;
    await chown(join(host, 'etc/app'), uid, otherGid);
    await chmod(join(host, 'etc/app'), 0o2777);
    const outcome = await ensureFile(fileDef('workers = 8\n', '0640'), host);
    expect(outcome).toEqual({ path: target, changed: true });
    const s = await stat(target);
    expect([s.uid, s.gid, s.mode & 0o7777]).toEqual([uid, gid, 0o640]);
  });
});
