// Preloaded (`--import`, through NODE_OPTIONS) into every Node 24 process of the Node 24 test run:
// the test runner, its workers and the servers and agents they spawn. It sends imports of the
// shared node_modules' better-sqlite3 (built for Node 20's ABI) to the copy built for Node 24 in
// BREAKWATER_NODE24_SQLITE, so the shared node_modules is never touched. Why a resolve hook:
// docs/design-decisions.md, "Node 24 beside Node 20".
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const copy = process.env.BREAKWATER_NODE24_SQLITE;
if (!copy || !existsSync(join(copy, 'build', 'Release', 'better_sqlite3.node'))) {
  // Loud and early: without the copy every SQLite test would fail later with an ABI mismatch.
  process.stderr.write(`sqlite-addon-hook: BREAKWATER_NODE24_SQLITE (${copy ?? 'unset'}) holds no Node 24 build of better-sqlite3; run tools/node24/test-node24.js\n`);
  process.exit(70);
}
const copyUrl = pathToFileURL(copy).href;
const SHARED_PACKAGE = /^file:\/\/.*\/node_modules\/better-sqlite3(?=\/)/;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    // Only the package's own files move; its `bindings` dependency still resolves from the shared
    // tree, and finds the addon beside the copy's package.json.
    return SHARED_PACKAGE.test(resolved.url) ? { ...resolved, url: resolved.url.replace(SHARED_PACKAGE, copyUrl) } : resolved;
  },
});
