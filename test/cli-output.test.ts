/*
 * What the CLI's output does at its edges, in real processes: a reader that leaves early ends it
 * quietly, NO_COLOR keeps escape codes out even of a terminal, and the compile cache is kept in
 * the user's cache folder where the runtime has one, and never gets in the way where it cannot be.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/index.js';
import { BIN, ROOT, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-cli-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A statement with a thousand unknown metrics: `check --json` answers ~90 kB, more than a pipe holds. */
const BIG_STATEMENT = join(dir, 'big.txt');
writeFileSync(BIG_STATEMENT, `host | ${Array.from({ length: 1000 }, () => 'cpu_usge > 1').join(' | ')}\n`);

/** Runs a shell pipeline; resolves with its exit status (pipefail: the CLI's own) and stderr. */
function pipeline(script: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -o pipefail; ${script}`], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a reader that closes the pipe early', () => {
  it('ends `breakwater check --json - | head -c 100` quietly with 0, not an EPIPE stack trace', async () => {
    const r = await pipeline(`'${process.execPath}' '${BIN}' check --json - < ${BIG_STATEMENT} | head -c 100 > /dev/null`);
    expect(r).toEqual({ code: 0, stderr: '' });
  });

  it('ends the CLI quietly when stdout is closed before it writes anything', async () => {
    const child = spawn(process.execPath, [BIN, 'check', 'host | count'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // no reader left: the CLI's first write fails with EPIPE
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('still reports the work when the reader stays (the same statement is invalid: exit 1)', async () => {
    const r = await pipeline(`'${process.execPath}' '${BIN}' check --json - < ${BIG_STATEMENT} > /dev/null`);
    expect(r).toEqual({ code: 1, stderr: '' });
  });
});

describe('NO_COLOR', () => {
  /** A stream that says it is a terminal, recording what is written. */
  const terminal = () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true });
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    return { stream, text: () => text };
  };
  const checkOnTerminal = async (env: NodeJS.ProcessEnv) => {
    const out = terminal();
    const err = terminal();
    const code = await main(['check', 'host | cpu_usge > 1'], { stdout: out.stream, stderr: err.stream, stdin: new PassThrough(), env });
    return { code, text: out.text() + err.text() };
  };

  it('colours diagnostics on a terminal without it', async () => {
    const r = await checkOnTerminal({});
    expect(r.code).toBe(1);
    expect(r.text).toContain('\u001b[31m');
  });

  it('gives no escape codes on a terminal, even with FORCE_COLOR', async () => {
    const r = await checkOnTerminal({ NO_COLOR: '1', FORCE_COLOR: '1' });
    expect(r.code).toBe(1);
    expect(r.text).toContain('unknown metric `cpu_usge`');
    expect(r.text).not.toContain('\u001b');
  });
});

describe('the compile cache', () => {
  const runtimeHasIt = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

  it(`is kept under $XDG_CACHE_HOME/breakwater/compile ${runtimeHasIt ? '' : '(this runtime has none: nothing is written)'}`, async () => {
    const cache = join(dir, 'cache');
    expect(await runCli(['check', 'host | count'], { env: { XDG_CACHE_HOME: cache } })).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
    const folder = join(cache, 'breakwater', 'compile');
    if (runtimeHasIt) expect(readdirSync(folder).length).toBeGreaterThan(0);
    else expect(existsSync(folder)).toBe(false);
  });

  it('that cannot be written changes nothing the user sees', async () => {
    const notAFolder = join(dir, 'a-file');
    writeFileSync(notAFolder, '');
    expect(await runCli(['check', 'host | count'], { env: { XDG_CACHE_HOME: join(notAFolder, 'cache') } })).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
    expect(await runCli(['--version'], { env: { XDG_CACHE_HOME: undefined, HOME: join(notAFolder, 'home') } })).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });
});
