import { createHash, randomBytes } from 'node:crypto';
import { constants, type FileHandle, lstat, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileDefinition } from '../../definitions/index.js';
import { inDir, openDirBelow, UnsafePathError } from './safe-dir.js';

export interface FileOutcome {
  readonly path: string;
  readonly changed: boolean;
  readonly error?: string;
  /** The path leads through a symbolic link or to something that is not a regular file: nothing was written. */
  readonly refused?: boolean;
}

// O_NONBLOCK: a FIFO swapped in at the path must not hang the agent on open; O_NOCTTY: nor a
// terminal become the agent's.
const READ_EXISTING = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const CREATE_TEMP = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Puts a defined file in place when it is missing or differs (content or mode): written to a new
 * temporary file beside it, then renamed, so a reader never sees half a file.
 *
 * The agent runs as root and the directories may be writable by others, so nothing is followed:
 * each directory below `root` is opened with O_NOFOLLOW, the existing file too, the temporary file
 * has a random name and is created with O_EXCL (mode 0600 until complete), and mode and owner are
 * set on its descriptor. A symbolic link at the path or in a parent is refused (`refused: true`).
 */
export async function ensureFile(def: FileDefinition, root = ''): Promise<FileOutcome> {
  // The host's filesystem may be mounted elsewhere (a DaemonSet's /host, a lab host's folder).
  const path = root ? join(root, def.path) : def.path;
  const parts = def.path.split('/').filter((p) => p !== '' && p !== '.');
  const name = parts.pop();
  let dir: FileHandle | undefined;
  try {
    if (!def.path.startsWith('/') || !name || parts.includes('..') || name === '..') {
      throw new UnsafePathError(`${def.path} is not an absolute, normalised path`);
    }
    dir = await openDirBelow(root, parts);
    const existing = await inspect(dir, name, path, def);
    if (existing === 'same') return { path, changed: false };
    if (existing !== 'replace') {
      // Same content, other mode: fix the mode on the descriptor we checked, not on the path.
      try {
        await existing.chmod(def.mode);
      } finally {
        await existing.close();
      }
      return { path, changed: true };
    }
    await replace(dir, name, def);
    return { path, changed: true };
  } catch (err) {
    return { path, changed: false, error: (err as Error).message, ...(err instanceof UnsafePathError ? { refused: true } : {}) };
  } finally {
    await dir?.close();
  }
}

/**
 * What is at `name` now: 'same' (nothing to do), 'replace' (missing or different), or the open
 * file when only its mode differs. A file with other hard links is replaced rather than chmod'ed,
 * so a link planted to a file elsewhere never has its mode changed.
 */
async function inspect(dir: FileHandle, name: string, path: string, def: FileDefinition): Promise<'same' | 'replace' | FileHandle> {
  const link = () => new UnsafePathError(`${path} is a symbolic link: refused to write through it`);
  const special = () => new UnsafePathError(`${path} is not a regular file: refused to replace it`);
  // Look before opening: root opening a device or a FIFO can have effects of its own. What is
  // opened is checked again on its descriptor, in case it was swapped meanwhile.
  let file: FileHandle;
  try {
    const before = await lstat(inDir(dir, name));
    if (before.isSymbolicLink()) throw link();
    if (!before.isFile() && !before.isDirectory()) throw special();
    file = await open(inDir(dir, name), READ_EXISTING);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'replace';
    if (code === 'ELOOP') throw link();
    throw err;
  }
  let keep = false;
  try {
    const stat = await file.stat();
    if (stat.isDirectory()) throw new Error(`${path} is a directory`);
    if (!stat.isFile()) throw special();
    const same = stat.size === Buffer.byteLength(def.content) && stat.nlink === 1 && sha256(await file.readFile()) === def.sha256;
    if (!same) return 'replace';
    if ((stat.mode & 0o7777) === def.mode) return 'same';
    keep = true;
    return file;
  } finally {
    if (!keep) await file.close();
  }
}

async function replace(dir: FileHandle, name: string, def: FileDefinition): Promise<void> {
  // Random and O_EXCL: a file or link planted at a guessable name cannot be written through.
  const tmp = `.${name}.breakwater-${randomBytes(8).toString('hex')}.tmp`;
  const file = await open(inDir(dir, tmp), CREATE_TEMP, 0o600);
  try {
    try {
      await file.writeFile(def.content);
      // Owner first: chown clears set-id bits, so the mode comes after it. A set-group-id
      // directory would otherwise give the file its group.
      await file.chown(process.getuid?.() ?? 0, process.getgid?.() ?? 0);
      await file.chmod(def.mode);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(inDir(dir, tmp), inDir(dir, name));
    await dir.sync();
  } catch (err) {
    // Leave nothing half-done beside the file (a stray file in /etc/logrotate.d would be read).
    await unlink(inDir(dir, tmp)).catch(() => undefined);
    throw err;
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
