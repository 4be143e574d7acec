import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DefinitionFile } from '../definitions/index.js';
import { PACK_LIMITS, PACK_MANIFEST_FILE, PACK_NAME } from '../definitions/index.js';
import { BreakwaterError } from '../protocol/index.js';

/*
 * Packs on disk: `<dir>/<name>/pack.yaml`, its other `*.yaml` files and README.md. The default
 * folder is the package's own `packs/`, found from this file: `src/cli/` in a checkout, `dist/cli/`
 * (the bundle's chunks sit there too) in a build or an installed package, each two levels down.
 */

/** The package's own packs folder. */
export const DEFAULT_PACKS_DIR = fileURLToPath(new URL('../../packs', import.meta.url));

/** A pack as read from its folder, before its manifest is checked. */
export interface PackFolder {
  readonly name: string;
  readonly dir: string;
  readonly manifest: DefinitionFile;
  /** Definition and runbook files, by name. */
  readonly files: DefinitionFile[];
  /** README.md, when the pack has one. */
  readonly readme?: string;
}

/** The names of the packs under `dir` (folders holding a pack.yaml), sorted. */
export function listPackNames(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--dir: cannot read the packs folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { path: dir }, { cause: err });
  }
  return entries
    .filter((e) => e.isDirectory() && PACK_NAME.test(e.name) && existsSync(join(dir, e.name, PACK_MANIFEST_FILE)))
    .map((e) => e.name)
    .sort();
}

/**
 * Reads pack `name` under `dir`: its manifest and files, each at most PACK_LIMITS.fileBytes, at
 * most PACK_LIMITS.files of them. Throws a BreakwaterError naming the packs there when there is
 * no such pack. `name` must be a pack name, so it cannot reach outside `dir`.
 *
 * @example
 * const pack = readPackFolder(DEFAULT_PACKS_DIR, 'disk-full-logs');
 */
export function readPackFolder(dir: string, name: string): PackFolder {
  if (!PACK_NAME.test(name)) throw new BreakwaterError('BW_ERR_CONFIG', `expected a pack name (lowercase letters, digits and dashes), found ${JSON.stringify(name.slice(0, 80))}`);
  const folder = join(dir, name);
  if (!existsSync(join(folder, PACK_MANIFEST_FILE))) {
    const known = existsSync(dir) ? listPackNames(dir) : [];
    throw new BreakwaterError('BW_ERR_NOT_FOUND', `no pack ${JSON.stringify(name)} in ${dir}: ${known.length ? `expected one of ${known.join(', ')}` : 'it holds no packs'} (\`breakwater pack list\`)`, { pack: name, dir });
  }
  const names = readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name) && e.name !== PACK_MANIFEST_FILE)
    .map((e) => e.name)
    .sort();
  if (names.length > PACK_LIMITS.files) throw new BreakwaterError('BW_ERR_CONFIG', `pack ${name}: expected at most ${PACK_LIMITS.files} files, found ${names.length}`, { pack: name });
  const readme = join(folder, 'README.md');
  return {
    name,
    dir: folder,
    manifest: readBounded(join(folder, PACK_MANIFEST_FILE), `${name}/${PACK_MANIFEST_FILE}`),
    files: names.map((n) => readBounded(join(folder, n), `${name}/${n}`)),
    ...(existsSync(readme) ? { readme } : {}),
  };
}

/** A file of at most PACK_LIMITS.fileBytes, named `shown` in diagnostics. */
export function readBounded(path: string, shown: string = path): DefinitionFile {
  try {
    const size = statSync(path).size;
    if (size > PACK_LIMITS.fileBytes) throw new BreakwaterError('BW_ERR_CONFIG', `${shown}: expected at most ${PACK_LIMITS.fileBytes} bytes, found ${size}`, { path });
    return { path: shown, text: readFileSync(path, 'utf8') };
  } catch (err) {
    if (err instanceof BreakwaterError) throw err;
    throw new BreakwaterError('BW_ERR_CONFIG', `cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { path }, { cause: err });
  }
}
