import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memoryOutput } from '../../test/helpers.js';
import { main } from './index.js';

async function run(args: readonly string[]) {
  const { stdout, stderr, out, err } = memoryOutput();
  const code = await main(args, { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1' } });
  return { code, out: out(), err: err() };
}

describe('breakwater completion', () => {
  it.each([
    ['bash', 'complete -F _breakwater_complete breakwater'],
    ['zsh', 'compdef _breakwater breakwater'],
    ['fish', "complete -c breakwater -f -a '(__breakwater_complete)'"],
  ])('%s: a script that registers completion for breakwater and calls back into __complete', async (shell, registers) => {
    const r = await run(['completion', shell]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(registers);
    expect(r.out).toContain('__complete');
    // The template's stand-in for the shell's `${` is all replaced.
    expect(r.out).not.toContain('$\\{');
  });

  it('an unknown or missing shell is a wrong command line (exit 2) naming the ones there are', async () => {
    const tcsh = await run(['completion', 'tcsh']);
    expect(tcsh.code).toBe(2);
    expect(tcsh.err).toContain("'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.");
    expect((await run(['completion'])).code).toBe(2);
  });
});
