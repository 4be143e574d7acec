// @ts-check
/**
 * A baseline build: an earlier commit checked out in a temporary git worktree outside the
 * repository (under the system's temporary directory), its node_modules linked to this checkout's,
 * built with `npm run build`. Machines differ, so a suite measures the baseline beside the current
 * build in the same run and reports ratios (bench/README.md, "Same-run baselines").
 *
 * The build is cached by commit id: the worktree `<tmp>/breakwater-baseline-<commit>` is kept
 * between runs and reused when it holds a finished build of that commit (a marker file written
 * last). A failed build's worktree is removed; worktrees of other baseline commits (an older
 * default) are removed when a new one is built, and `git worktree prune` drops entries whose
 * folder the system's temp cleaner deleted.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PREFIX = 'breakwater-baseline-';
const MARKER = '.bench-baseline-built';
/** Output kept from a failing build, for its error message. */
const TAIL_CHARS = 4000;

/** @param {string} root @param {string[]} args */
async function git(root, args) {
  return (await run('git', args, { cwd: root, maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
}

/**
 * The baseline build of `commit` (a commit id or any revision git resolves), built once and cached.
 * Long work (the checkout, `npm run build`) reports progress through `log` every ~10 s.
 * @param {string} root this checkout @param {string} commit @param {(message: string) => void} log
 * @returns {Promise<{ root: string, commit: string }>} the baseline's checkout (with `dist/` and `bin/`) and its short id
 */
export async function baselineBuild(root, commit, log) {
  const full = await git(root, ['rev-parse', '--verify', '--quiet', `${commit}^{commit}`]).catch(() => {
    throw new Error(`baseline ${JSON.stringify(commit)} is not a commit of this repository (BENCH_WEB_BASELINE)`);
  });
  const short = full.slice(0, 7);
  const dir = path.join(tmpdir(), `${PREFIX}${short}`);
  if ((await readFile(path.join(dir, MARKER), 'utf8').catch(() => '')).trim() === full) {
    log(`baseline ${short}: cached build in ${dir}`);
    return { root: dir, commit: short };
  }
  await removeBaselines(root, () => true); // other commits' and a half-built one of this commit
  log(`baseline ${short}: checking out into ${dir}`);
  await git(root, ['worktree', 'add', '--detach', dir, full]);
  try {
    await symlink(await realpath(path.join(root, 'node_modules')), path.join(dir, 'node_modules'), 'dir');
    await buildWithProgress(dir, short, log);
    if (!existsSync(path.join(dir, 'dist', 'web', 'index.html'))) throw new Error(`baseline ${short}: the build wrote no dist/web/index.html`);
    await writeFile(path.join(dir, MARKER), `${full}\n`);
  } catch (err) {
    await removeBaselines(root, (p) => p === dir);
    throw err;
  }
  return { root: dir, commit: short };
}

/**
 * Removes the baseline worktrees (those under the temp folder named `breakwater-baseline-*`)
 * whose path `which` accepts, then prunes entries whose folder is gone.
 * @param {string} root @param {(dir: string) => boolean} which
 */
async function removeBaselines(root, which) {
  await git(root, ['worktree', 'prune']);
  const list = await git(root, ['worktree', 'list', '--porcelain']);
  const dirs = list
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length))
    .filter((d) => path.dirname(d) === tmpdir() && path.basename(d).startsWith(PREFIX) && which(d));
  for (const d of dirs) {
    await git(root, ['worktree', 'remove', '--force', d]).catch(() => rm(d, { recursive: true, force: true }));
  }
  await git(root, ['worktree', 'prune']);
}

/**
 * `npm run build` in `dir`, a progress line every 10 s; rejects with the output's end on failure.
 * @param {string} dir @param {string} short @param {(message: string) => void} log
 */
function buildWithProgress(dir, short, log) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    log(`baseline ${short}: npm run build (a minute or more on a busy machine)`);
    const child = spawn('npm', ['run', 'build'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (/** @type {Buffer} */ d) => {
      tail = (tail + d.toString('utf8')).slice(-TAIL_CHARS);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const seconds = () => Math.round((Date.now() - started) / 1000);
    const timer = setInterval(() => log(`baseline ${short}: building … ${seconds()} s`), 10_000);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(new Error(`baseline ${short}: could not run npm: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (code === 0) {
        log(`baseline ${short}: built in ${seconds()} s`);
        resolve(undefined);
      } else reject(new Error(`baseline ${short}: npm run build failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}
