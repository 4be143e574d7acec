import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BreakwaterError } from '../protocol/index.js';

const MAX_FILES = 10_000;

/**
 * Reads every `*.yaml` / `*.yml` under a folder (or one file), in a stable
 * order, with paths as diagnostics should show them (relative to the cwd).
 */
export async function readDefinitionFiles(path: string): Promise<{ path: string; text: string }[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new BreakwaterError('BW_ERR_CONFIG', `-f: no such file or folder: ${path}`);
  }
  const files: string[] = [];
  if (info.isFile()) files.push(path);
  else {
    const walk = async (dir: string): Promise<void> => {
      for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.name.startsWith('.')) continue;
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (/\.ya?ml$/.test(entry.name)) files.push(full);
        if (files.length > MAX_FILES) throw new BreakwaterError('BW_ERR_CONFIG', `-f: more than ${MAX_FILES} definition files under ${path}`);
      }
    };
    await walk(path);
  }
  if (!files.length) throw new BreakwaterError('BW_ERR_CONFIG', `-f: no .yaml or .yml files under ${path}`);
  return Promise.all(files.map(async (f) => ({ path: relative(process.cwd(), f) || f, text: await readFile(f, 'utf8') })));
}
