import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { BIN, runCli } from './helpers.js';

/*
 * The completion scripts as a shell runs them: `breakwater completion bash` sourced by a real
 * bash, its function called with COMP_WORDS/COMP_CWORD set as bash sets them at a Tab, COMPREPLY
 * read back; the fleet's tag values come from a real lab (TLS, real agent processes). fish is
 * asked through `complete -C`, zsh at a real prompt in a pseudo-terminal (zsh/zpty). Needs
 * `npm run build`.
 */

/** Whether `shell` can be run here; a test that needs a missing shell says so in its name and in the log. */
function installed(shell: string): boolean {
  try {
    execFileSync(shell, ['-c', 'exit 0'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`cli-completion: ${shell} is not installed, its test is skipped (apt-get install ${shell})`);
    return false;
  }
}
// CI (BREAKWATER_REQUIRE_SERVICES=1, where .ci/run installs both) runs these tests even when a
// shell is missing, so they fail saying so rather than skip.
const REQUIRED = process.env.BREAKWATER_REQUIRE_SERVICES === '1';
const HAS_ZSH = installed('zsh') || REQUIRED;
const HAS_FISH = installed('fish') || REQUIRED;

let lab: Lab;
let work: string;
/** A directory holding `breakwater` (the built CLI), first on PATH, as after `npm install -g`. */
let binDir: string;

const TEAMS = ['payments', 'search', 'storage'];

beforeAll(async () => {
  lab = await startLab({ hosts: 3, tags: (i) => ({ team: TEAMS[i] ?? 'none' }) }); // web-1, web-2, db-3
  work = await mkdtemp(join(tmpdir(), 'bw-completion-'));
  binDir = join(work, 'bin');
  await mkdir(binDir);
  await symlink(BIN, join(binDir, 'breakwater'));
}, 90_000);

afterAll(async () => {
  await lab?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 30_000);

function shellEnv(connected: boolean): NodeJS.ProcessEnv {
  const { BREAKWATER_SERVER: _s, BREAKWATER_TOKEN: _t, BREAKWATER_CA: _c, ...rest } = process.env;
  const env = { ...rest, NO_COLOR: '1', PATH: `${binDir}${delimiter}${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
  return connected ? { ...env, BREAKWATER_SERVER: lab.server, BREAKWATER_TOKEN: lab.token, BREAKWATER_CA: lab.ca } : env;
}

/** Runs `script` in `shell` with `args` as its positional parameters; its stdout. */
function runShell(shell: string, args: readonly string[], script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(shell, shell === 'fish' ? ['-c', script, ...args] : ['-c', script, shell, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Only so that a shell waiting for output that never comes ends the test instead of hanging it.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * COMPREPLY after a Tab at the end of `words` (the command line, split as bash splits it; the last
 * is the word being completed); with `line`, COMP_LINE and COMP_POINT are set too, as at a prompt.
 */
async function bashTab(words: readonly string[], connected = true, line?: string): Promise<string[]> {
  const point = line === undefined ? '' : 'COMP_LINE="$LINE" && COMP_POINT=${#LINE} && ';
  const script = `source <(breakwater completion bash) && COMP_WORDS=("$@") && COMP_CWORD=$(( $# - 1 )) && ${point}_breakwater_complete && printf "%s\\n" "\${COMPREPLY[@]}"`;
  const r = await runShell('bash', words, script, { ...shellEnv(connected), ...(line === undefined ? {} : { LINE: line }) });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('bash: source <(breakwater completion bash)', () => {
  it('completes a sub-command', async () => {
    expect(await bashTab(['breakwater', 'ex'])).toEqual(['export', 'explain']);
  });

  it("completes a sub-command's flag", async () => {
    expect(await bashTab(['breakwater', 'run', '--dry'])).toEqual(['--dry-run']);
  });

  it('completes a stage inside a quoted pipeline: the rest of the word after the quote', async () => {
    expect(await bashTab(['breakwater', 'run', "'host | group"])).toEqual(['host | group_by']);
  });

  it("completes the fleet's tag keys and values from the control plane", async () => {
    expect(await bashTab(['breakwater', 'run', "'host | tea"])).toEqual(['host | team']);
    expect(await bashTab(['breakwater', 'run', '\'host | team = "s'])).toEqual(['host | team = "search"', 'host | team = "storage"']);
    // Inside double quotes the inner quotes are written escaped, as bash needs them.
    expect(await bashTab(['breakwater', 'check', '"host | role in [\\"d'])).toEqual(['host | role in [\\"db\\"']);
  });

  it('--server on the line is used too; with no control plane, stages still complete and tag values are silently absent', async () => {
    const words = ['breakwater', 'run', '--server', lab.server, '--token', lab.token, '--ca', lab.ca!, '\'host | team = "pay'];
    expect(await bashTab(words, false)).toEqual(['host | team = "payments"']);
    expect(await bashTab(['breakwater', 'run', '\'host | team = "pay'], false)).toEqual([]);
    expect(await bashTab(['breakwater', 'run', "'host | so"], false)).toEqual(['host | sort']);
  });

  it('--server=URL (which bash splits at = and :) and quoted flag values, read from COMP_LINE', async () => {
    const line = `breakwater run --server=${lab.server} --token '${lab.token}' --ca="${lab.ca}" 'host | team = "pay`;
    // COMP_WORDS as bash breaks them: at spaces, and at = and : outside quotes.
    const words = line.match(/'[^']*'?|"[^"]*"?|[=:]|[^\s=:'"]+/g) ?? [];
    expect(await bashTab(words, false, line)).toEqual(['host | team = "payments"']);
  });

  it('a flag that takes a file completes file names', async () => {
    await writeFile(join(work, 'alarms.yaml'), 'kind: alarm\n');
    expect(await bashTab(['breakwater', 'apply', '-f', join(work, 'ala')])).toEqual([join(work, 'alarms.yaml')]);
  });
});

describe('zsh and fish', () => {
  it.skipIf(!HAS_ZSH)(`zsh: completes a sub-command and a tag value at a real zsh prompt${HAS_ZSH ? '' : ' (SKIPPED: zsh is not installed)'}`, async () => {
    const file = join(work, '_breakwater');
    await writeFile(file, (await runCli(['completion', 'zsh'])).stdout);
    expect((await runShell('zsh', [file], 'zsh -n $1', shellEnv(true))).stderr).toBe('');
    // An interactive zsh in a pseudo-terminal (zsh/zpty): the line typed, Tab, and zpty -r waits
    // until the completed text appears. The typed text never contains what is awaited.
    const tab = (line: string, awaited: string) =>
      runShell(
        'zsh',
        [file, line, awaited],
        [
          'zmodload zsh/zpty',
          "zpty -b z 'zsh -f -i'",
          'zpty -w z "autoload -Uz compinit && compinit -u && source $1 && print SOURCE\'\'D"',
          "zpty -r z out '*SOURCED*'",
          'zpty -w -n z "$2"$\'\\t\'',
          'zpty -r z out "*$3*"',
          'zpty -d z',
          'print -r -- COMPLETED',
        ].join('\n'),
        shellEnv(true),
      );
    const sub = await tab('breakwater expl', 'explain');
    expect(sub.stdout).toContain('COMPLETED');
    const value = await tab('breakwater run \'host | team = "st', 'storage"');
    expect(value.stdout).toContain('COMPLETED');
  });

  it.skipIf(!HAS_FISH)(`fish: completes sub-commands and tag values${HAS_FISH ? '' : ' (SKIPPED: fish is not installed)'}`, async () => {
    const file = join(work, 'breakwater.fish');
    await writeFile(file, (await runCli(['completion', 'fish'])).stdout);
    const tab = async (line: string) => {
      const r = await runShell('fish', [file, line], 'source $argv[1]; and complete -C $argv[2]', shellEnv(true));
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
    };
    expect(await tab('breakwater ex')).toEqual(['explain', 'export']);
    expect(await tab('breakwater run \'host | team = "st')).toEqual(['host | team = "storage"']);
  });
});
