import { describe, expect, it } from 'vitest';

import { BuiltinRunner, splitWords } from './builtin-runner.js';
import type { CommandSpec } from './types.js';

const spec = (command: string, extra: Partial<CommandSpec> = {}): CommandSpec => ({ command, env: { BW_HOST: 'sim-3' }, timeoutMs: 10_000, maxOutputBytes: 1024, ...extra });

describe('BuiltinRunner', () => {
  const runner = new BuiltinRunner({ uptimeSeconds: () => 3 * 86400 + 2 * 3600 + 4 * 60, loadAverage: () => [0.5, 0.25, 1], clock: () => Date.UTC(2025, 0, 1, 10, 15, 1) });

  it('runs true, false, echo and hostname without a process', async () => {
    expect(await runner.run(spec('true'))).toMatchObject({ exitCode: 0, stdout: '', stderr: '', cancelled: false, timedOut: false });
    expect(await runner.run(spec('false'))).toMatchObject({ exitCode: 1 });
    expect(await runner.run(spec('echo hi  there'))).toMatchObject({ exitCode: 0, stdout: 'hi there\n' });
    expect(await runner.run(spec('echo -n "a  b" \'$BW_HOST\' "$BW_HOST" ${BW_HOST}x $NOPE'))).toMatchObject({ stdout: 'a  b $BW_HOST sim-3 sim-3x' });
    expect(await runner.run(spec('hostname'))).toMatchObject({ exitCode: 0, stdout: 'sim-3\n' });
  });

  it('prints uptime as procps does, from the simulated host', async () => {
    const r = await runner.run(spec('uptime'));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^ \d\d:15:01 up 3 days,  2:04,  0 users,  load average: 0\.50, 0\.25, 1\.00\n$/);
  });

  it('answers anything else with exit 127 and an explanation', async () => {
    for (const command of ['ls /', 'echo hi | wc -l', 'true; rm -rf /', 'echo $(id)', 'echo "unterminated']) {
      const r = await runner.run(spec(command));
      expect(r.exitCode, command).toBe(127);
      expect(r.stderr, command).toMatch(/not run: the swarm's simulated agents do not run real commands \(they understand only true, false, echo, uptime, hostname, sleep\)\n$/);
    }
  });

  it('sleeps on a timer, honouring the timeout and cancellation', async () => {
    expect(await runner.run(spec('sleep 0.01'))).toMatchObject({ exitCode: 0 });
    expect(await runner.run(spec('sleep 30', { timeoutMs: 20 }))).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: true });
    const controller = new AbortController();
    const running = runner.run(spec('sleep 30'), { signal: controller.signal });
    expect(runner.active).toBe(1);
    controller.abort();
    expect(await running).toMatchObject({ exitCode: null, cancelled: true, timedOut: false });
    expect(runner.active).toBe(0);
    expect(await runner.run(spec('sleep x'))).toMatchObject({ exitCode: 1, stderr: "sleep: invalid time interval 'x'\n" });
  });

  it('caps output with the shell runner\'s marker', async () => {
    const r = await runner.run(spec(`echo ${'x'.repeat(100)}`, { maxOutputBytes: 10 }));
    expect(r.stdoutTruncated).toBe(true);
    expect(r.stdout).toBe('xxxxxxxxxx\n[breakwater: output truncated after 10 bytes; 91 bytes dropped]');
  });

  it('streams what it prints to the output listener', async () => {
    const seen: string[] = [];
    await runner.run(spec('echo streamed'), { onOutput: (stream, chunk) => seen.push(`${stream}:${chunk}`) });
    expect(seen).toEqual(['stdout:streamed\n']);
  });
});

describe('splitWords', () => {
  it('splits as a shell would for simple command lines', () => {
    expect(splitWords(`a 'b c' "d $X" e\\ f "" $EMPTY g`, { X: 'x', EMPTY: '' })).toEqual(['a', 'b c', 'd x', 'e f', '', 'g']);
    expect(splitWords('"unterminated', {})).toBeUndefined();
    expect(splitWords('echo ${X', { X: 'x' })).toBeUndefined();
  });

  it('keeps a bare $ as it is, quoted or not, and refuses ${ without a name and }', () => {
    expect(splitWords('echo $ "a $ b" $5 x$', { X: 'x' })).toEqual(['echo', '$', 'a $ b', '$5', 'x$']);
    expect(splitWords('echo "${X"', { X: 'x' })).toBeUndefined();
    expect(splitWords('echo ${}', {})).toBeUndefined();
  });
});
