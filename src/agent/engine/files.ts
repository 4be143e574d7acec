import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FileDefinition } from '../../definitions/index.js';

export interface FileOutcome {
  readonly path: string;
  readonly changed: boolean;
  readonly error?: string;
}

/**
 * Puts a defined file in place when it is missing or differs (content or
 * mode): written to a temporary file beside it, then renamed, so a reader
 * never sees half a file.
 */
export async function ensureFile(def: FileDefinition, root = ''): Promise<FileOutcome> {
  // The host's filesystem may be mounted elsewhere (a DaemonSet's /host, a lab host's folder).
  const path = root ? join(root, def.path) : def.path;
  def = { ...def, path };
  try {
    const current = await readFile(def.path).catch(() => undefined);
    const mode = await stat(def.path).then((s) => s.mode & 0o7777).catch(() => undefined);
    const same = current !== undefined && createHash('sha256').update(current).digest('hex') === def.sha256;
    if (same && mode === def.mode) return { path: def.path, changed: false };
    if (same) {
      await chmod(def.path, def.mode);
      return { path: def.path, changed: true };
    }
    await mkdir(dirname(def.path), { recursive: true });
    const tmp = `${def.path}.breakwater-${process.pid}.tmp`;
    try {
      await writeFile(tmp, def.content, { mode: def.mode });
      await chmod(tmp, def.mode);
      await rename(tmp, def.path);
    } catch (err) {
      // Leave nothing half-done beside the file (a stray file in /etc/logrotate.d would be read).
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    return { path: def.path, changed: true };
  } catch (err) {
    return { path: def.path, changed: false, error: (err as Error).message };
  }
}
