import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DefinitionFile } from '../definitions/index.js';
import { BreakwaterError } from '../protocol/index.js';

const isDefinitionFile = (name: string) => /\.ya?ml$/i.test(name);

/**
 * The definition files under `dir`, recursively, in path order, named as
 * `dir/sub/file.yaml` so diagnostics point where the person looks. Hidden
 * folders (`.git`) are skipped. `dir` may also be one file.
 */
export function readDefinitionFiles(dir: string): DefinitionFile[] {
  let stat;
  try {
    stat = statSync(dir);
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONFIG', `-f: cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { path: dir }, { cause: err });
  }
  if (stat.isFile()) return [{ path: dir, text: readFileSync(dir, 'utf8') }];
  const files: DefinitionFile[] = [];
  const walk = (folder: string) => {
    const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = join(folder, e.name);
      if (e.isDirectory() && !e.name.startsWith('.')) walk(path);
      else if (e.isFile() && isDefinitionFile(e.name)) files.push({ path, text: readFileSync(path, 'utf8') });
    }
  };
  walk(dir);
  if (files.length === 0) throw new BreakwaterError('BW_ERR_CONFIG', `-f: no .yaml or .yml files under ${dir}`, { path: dir });
  return files;
}

