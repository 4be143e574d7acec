/*
 * Directory walking that never follows a symbolic link, for file definitions written as root into
 * directories that other local users may be able to write (/etc/app owned by the app's user, a
 * lab host's folder). Node has no openat(2); a path through /proc/self/fd/<dir fd>/<name> is
 * resolved by the kernel from that open directory, which is the same thing: once a directory is
 * open, renaming or replacing its path by a symlink no longer changes where we write.
 */
import { constants, type FileHandle, lstat, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

const DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A path that leads through a symbolic link (or to something that is not what it must be). */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
}

/** The path of `name` inside the open directory `dir`, resolved by the kernel from the descriptor. */
export function inDir(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

/**
 * Opens the directory `components` below `root` (which is trusted: the operator chose it), one
 * component at a time, each with O_NOFOLLOW, creating the missing ones (mode 0755). A symbolic
 * link on the way is refused with UnsafePathError naming it.
 */
export async function openDirBelow(root: string, components: readonly string[]): Promise<FileHandle> {
  let dir = await open(root || '/', constants.O_RDONLY | constants.O_DIRECTORY);
  let shown = root || '/';
  try {
    for (const name of components) {
      shown = join(shown, name);
      const next = await openChildDir(dir, name, shown);
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (err) {
    await dir.close();
    throw err;
  }
}

async function openChildDir(dir: FileHandle, name: string, shown: string): Promise<FileHandle> {
  try {
    return await open(inDir(dir, name), DIRECTORY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // EEXIST: someone made it meanwhile; opening it again below checks what it is.
      await mkdir(inDir(dir, name), { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      return await open(inDir(dir, name), DIRECTORY).catch((e: unknown) => refuseIfLink(dir, name, shown, e));
    }
    return refuseIfLink(dir, name, shown, err);
  }
}

/** O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR or ELOOP; say which it was. */
async function refuseIfLink(dir: FileHandle, name: string, shown: string, err: unknown): Promise<never> {
  const isLink = await lstat(inDir(dir, name)).then((s) => s.isSymbolicLink(), () => false);
  if (isLink) throw new UnsafePathError(`${shown} is a symbolic link: refused to write through it`);
  throw err;
}
