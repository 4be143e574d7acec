/**
 * Node's on-disk compile cache for the CLI (Node >= 22.1; older runtimes have none, and this does
 * nothing there): V8 keeps the compiled code of the bundle in the user's cache, so the next start
 * skips compiling it. The folder is `$XDG_CACHE_HOME/breakwater/compile`, else
 * `~/.cache/breakwater/compile`. Never fails: a cache that cannot be made (read-only home, no home
 * at all) only means no cache.
 *
 * @example
 * enableCompileCache(process.env); // then import the bundle
 */
import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What `module.enableCompileCache` is where the runtime has it. */
type EnableCompileCache = (directory: string) => { status: number; message?: string; directory?: string };

/** The folder the cache goes into, or undefined when there is no user cache folder to use. */
export function compileCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.XDG_CACHE_HOME?.startsWith('/')) return join(env.XDG_CACHE_HOME, 'breakwater', 'compile');
  try {
    const home = homedir();
    return home ? join(home, '.cache', 'breakwater', 'compile') : undefined;
  } catch {
    return undefined; // no HOME and no passwd entry: no cache
  }
}

/** Turns the compile cache on where the runtime has one; says whether it did. */
export function enableCompileCache(env: NodeJS.ProcessEnv): boolean {
  const enable = (nodeModule as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  const dir = compileCacheDir(env);
  if (typeof enable !== 'function' || dir === undefined || env.NODE_DISABLE_COMPILE_CACHE) return false;
  try {
    // Node reports a folder it cannot make or write as a status, not an error; either way, no cache.
    return enable(dir).directory !== undefined;
  } catch {
    return false;
  }
}
