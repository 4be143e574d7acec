// `npm test` after lint and build: every vitest suite on Node 20, then the Node 24 suites
// (tools/node24/test-node24.js). What Node 24 needs — its runtime from the npm registry and
// better-sqlite3 compiled for it, ~90 s of compiling on 2 cores — is prepared beside the Node 20
// run at a lower priority, where it fills the cores the suites leave idle while they wait on real
// agents, instead of adding its minute and a half to CI's 25 (tools/node24 keeps it in .cache).
// Both runs always run; the exit code is non-zero when either failed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node24Script = join(root, 'tools', 'node24', 'test-node24.js');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
// The Node 20 run's failures, one a line (tools/vitest/summary-reporter.ts writes them), repeated
// at the very end: the Node 24 run's report would otherwise push them out of a CI log's tail.
const failuresFile = join(root, '.cache', 'node20-failures.txt');

/** Runs a program to its end; resolves with its exit status (a signal counts as a failure). */
function run(program, args, options) {
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd: root, ...options });
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (d) => (output += d));
    child.stderr?.setEncoding('utf8').on('data', (d) => (output += d));
    child.on('error', (error) => resolve({ status: 1, output: `${output}${program}: ${error.message}\n` }));
    child.on('close', (status) => resolve({ status: status ?? 1, output }));
  });
}

// Kept quiet until the Node 20 run has printed its report, so the two never interleave.
const preparing = run('nice', ['-n', '10', process.execPath, node24Script, '--prepare'], { stdio: ['ignore', 'pipe', 'pipe'] });
mkdirSync(dirname(failuresFile), { recursive: true });
rmSync(failuresFile, { force: true });
const node20 = await run(process.execPath, [vitest, 'run'], {
  stdio: 'inherit',
  env: { ...process.env, BREAKWATER_FAILURES_FILE: failuresFile },
});
const prepared = await preparing;
process.stdout.write(`\n${prepared.output}`);
const node24 = prepared.status === 0 ? await run(process.execPath, [node24Script], { stdio: 'inherit' }) : prepared;
if (node20.status !== 0) {
  const listed = existsSync(failuresFile) ? readFileSync(failuresFile, 'utf8') : '';
  process.stderr.write(`npm test: the Node 20 suites failed (vitest exited ${node20.status})\n${listed}`);
}
if (node24.status !== 0) process.stderr.write(`npm test: the Node 24 step failed (exit ${node24.status})\n`);
process.exitCode = node20.status === 0 && node24.status === 0 ? 0 : 1;
