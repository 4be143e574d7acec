/*
 * What `breakwater check` and `breakwater --version` load, in a real process: none of the code of
 * the commands they are not (the server, the lab, the agent, the API client, the definitions) nor
 * those commands' packages. This is what keeps them starting like a native tool (the times are
 * measured by `npm run bench -- cli`, never asserted here): a static import of a command's module in
 * src/cli/index.ts, instead of the dynamic one inside its action, fails this test.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-cli-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A module-loading hook (Node's module.register) that writes every file URL loaded to $BW_LOADED_LOG. */
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.BW_LOADED_LOG, url + '\\n');
  return next(url, context);
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;

/**
 * Runs the built CLI and returns every source it loaded: the files of node_modules, and for each
 * chunk of the bundle the modules it was made from (its source map's sources, as repository paths).
 */
async function sourcesLoaded(args: string[]): Promise<{ code: number | null; stdout: string; sources: string[] }> {
  const log = join(dir, `${args.join('-').replace(/\W+/g, '_')}.log`);
  const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', BW_LOADED_LOG: log },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const files = readFileSync(log, 'utf8').trim().split('\n').map((u) => fileURLToPath(u));
  const sources = files.flatMap((file) => {
    if (!file.startsWith(join(ROOT, 'dist', 'cli', 'breakwater'))) return [file];
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    return map.sources.map((s) => join(file, '..', s));
  });
  return { code, stdout, sources };
}

/** Code that neither command needs. */
const OTHER_COMMANDS = /[\\/]dist[\\/](server|lab|agent|transport|definitions)[\\/]|[\\/]dist[\\/]cli[\\/](api|run-command|server-command|lab-command|agent-main)\.js$|node_modules[\\/](zod|yaml|fastify|pino|pg|better-sqlite3|kysely|ws|@nats-io|node-forge)[\\/]/;

describe('what the CLI loads to start', () => {
  it('check: the command line, the language, the check; nothing of the other commands', async () => {
    const r = await sourcesLoaded(['check', 'host | count']);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: 'ok\n' });
    expect(r.sources.some((s) => /[\\/]dist[\\/]lang[\\/]/.test(s))).toBe(true);
    expect(r.sources.some((s) => /[\\/]dist[\\/]cli[\\/]check-command\.js$/.test(s))).toBe(true);
    expect(r.sources.filter((s) => OTHER_COMMANDS.test(s))).toEqual([]);
  });

  it('--version: not even commander or the language', async () => {
    const r = await sourcesLoaded(['--version']);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: '0.1.0\n' });
    expect(r.sources.filter((s) => OTHER_COMMANDS.test(s) || /node_modules[\\/]commander[\\/]|[\\/]dist[\\/]lang[\\/]/.test(s))).toEqual([]);
  });
});
