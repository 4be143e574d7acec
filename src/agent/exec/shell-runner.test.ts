import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { procStat } from './process-group.js';
import { ShellRunner, type ShellRunnerOptions } from './shell-runner.js';
import type { CommandResult, CommandSpec } from './types.js';

// Real processes throughout. Timing bounds are generous on purpose (shared 2-core machine): they
// only catch hangs.
const HANG = 15_000;

const dir = mkdtempSync(join(tmpdir(), 'bw-exec-'));
let seq = 0;
const file = (name: string): string => join(dir, `${++seq}-${name}`);

const runners: ShellRunner[] = [];
/** Every pid a test learnt about; killed after each test whatever happened. */
const pids = new Set<number>();
/** Files commands write their pids into; read again after each test, so a failed assertion leaks nothing. */
const pidFiles = new Set<string>();

/** A fresh file for a command to write pids into (one per line). */
function pidFile(): string {
  const path = file('pids');
  pidFiles.add(path);
  return path;
}

/** Shell text for a long sleep whose pid is recorded in `path` (exec: the shell becomes the sleep). */
const longSleep = (path: string): string => `echo $$ >> ${path}; exec sleep 1000`;

function runner(options: Partial<ShellRunnerOptions> = {}): ShellRunner {
  const r = new ShellRunner({ maxConcurrent: 4, maxQueued: 4, ...options });
  runners.push(r);
  return r;
}

function spec(command: string, extra: Partial<CommandSpec> = {}): CommandSpec {
  return { command, env: {}, timeoutMs: 60_000, maxOutputBytes: 1 << 20, ...extra };
}

/** Pids a command wrote, one per line, into `path`; remembered for clean-up. */
function readPids(path: string): number[] {
  const found = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
  for (const pid of found) pids.add(pid);
  return found;
}

/** Alive and not a zombie (a killed orphan may linger unreaped for a moment). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const state = procStat(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.shutdown()));
  for (const path of pidFiles) if (existsSync(path)) readPids(path);
  pidFiles.clear();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ok(result: CommandResult): void {
  expect(result.error).toBeUndefined();
  expect(result.timedOut).toBe(false);
  expect(result.cancelled).toBe(false);
}

describe('ShellRunner: exit status and output', () => {
  it('reports exit codes', async () => {
    const r = runner();
    const zero = await r.run(spec('true'));
    ok(zero);
    expect(zero.exitCode).toBe(0);
    expect(zero.signal).toBeNull();
    const three = await r.run(spec('exit 3'));
    expect(three.exitCode).toBe(3);
    expect(three.error).toBeUndefined();
    expect(three.durationMs).toBeGreaterThanOrEqual(0);
    expect(three.durationMs).toBeLessThan(HANG);
  });

  it('reports a signal death with a null exit code', async () => {
    const result = await runner().run(spec('kill -9 $$'));
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGKILL');
    expect(result.timedOut).toBe(false);
  });

  it('captures stdout and stderr separately', async () => {
    const result = await runner().run(spec('echo out; echo err >&2; printf "no newline"'));
    ok(result);
    expect(result.stdout).toBe('out\nno newline');
    expect(result.stderr).toBe('err\n');
    expect(result.stdoutTruncated).toBe(false);
    expect(result.stderrTruncated).toBe(false);
  });

  it('runs in cwd and with stdin at /dev/null', async () => {
    const result = await runner().run(spec('pwd; cat; echo "[$?]"', { cwd: dir }));
    ok(result);
    expect(result.stdout).toBe(`${dir}\n[0]\n`);
  });

  it('streams chunks to onOutput in order, and they add up to the result', async () => {
    const seen: [string, string][] = [];
    const result = await runner().run(spec('echo a; sleep 0.3; echo b >&2; sleep 0.3; echo c'), {
      onOutput: (stream, chunk) => seen.push([stream, chunk]),
    });
    ok(result);
    expect(seen).toEqual([
      ['stdout', 'a\n'],
      ['stderr', 'b\n'],
      ['stdout', 'c\n'],
    ]);
  });

  it('survives an onOutput listener that throws', async () => {
    const result = await runner().run(spec('echo a; echo b'), {
      onOutput: () => {
        throw new Error('listener broke');
      },
    });
    ok(result);
    expect(result.stdout).toBe('a\nb\n');
  });
});

describe('ShellRunner: environment', () => {
  it('passes parameters with shell metacharacters literally and executes none of them', async () => {
    const marker = file('marker');
    const env = {
      P_QUOTE: `"; touch ${marker}; rm -rf / #`,
      P_SUBST: `$(touch ${marker})`,
      P_BACKTICK: `\`touch ${marker}\``,
      P_NEWLINE: `a\ntouch ${marker}\n`,
      P_SINGLE: `'; touch ${marker}; '`,
    };
    const names = Object.keys(env);
    // Quoted and unquoted expansion: neither re-evaluates the value.
    const command = names.map((n) => `printf '%s\\n---\\n' "$${n}"; echo $${n} >/dev/null`).join('; ');
    const result = await runner().run(spec(command, { env }));
    ok(result);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(Object.values(env).map((v) => `${v}\n---\n`).join(''));
    expect(existsSync(marker)).toBe(false);
  });

  it('passes only PATH, HOME, LANG, TZ, USER of the agent environment, plus spec.env', async () => {
    const result = await runner({
      baseEnv: { PATH: '/usr/bin:/bin', HOME: '/home/agent', LANG: 'C.UTF-8', SECRET_TOKEN: 'hunter2', NODE_OPTIONS: 'x' },
    }).run(spec('env', { env: { BW_HOST: 'web-1' } }));
    ok(result);
    const vars = new Map(
      result.stdout
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(vars.get('PATH')).toBe('/usr/bin:/bin');
    expect(vars.get('HOME')).toBe('/home/agent');
    expect(vars.get('LANG')).toBe('C.UTF-8');
    expect(vars.get('BW_HOST')).toBe('web-1');
    expect(vars.has('SECRET_TOKEN')).toBe(false);
    expect(vars.has('NODE_OPTIONS')).toBe(false);
    // Whatever else appears is what the shell sets itself.
    for (const name of vars.keys()) {
      expect(['PATH', 'HOME', 'LANG', 'BW_HOST', 'PWD', 'OLDPWD', 'SHLVL', '_']).toContain(name);
    }
  });

  it("does not leak the agent's own process environment", async () => {
    process.env.BW_EXEC_TEST_SECRET = 'leaked';
    try {
      const result = await runner().run(spec('echo "[${BW_EXEC_TEST_SECRET:-absent}]"; echo "$PATH"'));
      ok(result);
      expect(result.stdout).toMatch(/^\[absent\]\n.+\n$/);
    } finally {
      delete process.env.BW_EXEC_TEST_SECRET;
    }
  });

  it('rejects invalid environment names with a clear error and runs nothing', async () => {
    const r = runner();
    const marker = file('marker');
    for (const name of ['1ABC', 'A-B', 'A B', '', 'A=B', 'É', 'BASH_FUNC_x%%', 'a;b']) {
      const result = await r.run(spec(`touch ${marker}`, { env: { [name]: 'v' } }));
      expect(result.error).toMatch(/invalid environment variable name/);
      expect(result.error).toContain(JSON.stringify(name));
      expect(result.exitCode).toBeNull();
    }
    expect(existsSync(marker)).toBe(false);
    expect(r.active).toBe(0);
  });

  it('rejects names that change how the shell or the loader starts', async () => {
    const r = runner();
    for (const name of ['PATH', 'IFS', 'ENV', 'BASH_ENV', 'SHELLOPTS', 'PS4', 'LD_PRELOAD', 'LD_LIBRARY_PATH']) {
      const result = await r.run(spec('true', { env: { [name]: '/tmp/evil' } }));
      expect(result.error).toMatch(new RegExp(`environment variable ${name} may not be set`));
    }
  });

  it('rejects NUL bytes in values and in the command', async () => {
    const r = runner();
    expect((await r.run(spec('true', { env: { A: 'x\0y' } }))).error).toMatch(/NUL/);
    expect((await r.run(spec('true\0'))).error).toMatch(/NUL/);
  });
});

describe('ShellRunner: timeouts, leftovers and cancellation', () => {
  it('kills the whole process group on timeout, grandchildren included', async () => {
    const pidPath = pidFile();
    const command =
      `sleep 1000 & echo $! >> ${pidPath}; ` +
      `sleep 1000 & echo $! >> ${pidPath}; ` +
      `sh -c 'sleep 1000 & echo $! >> ${pidPath}; echo $$ >> ${pidPath}; wait' & ` +
      `echo $$ >> ${pidPath}; ` +
      `wait`;
    const result = await runner().run(spec(command, { timeoutMs: 1000 }));
    const started = readPids(pidPath);
    expect(started.length).toBe(5);
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGTERM');
    expect(result.durationMs).toBeLessThan(HANG);
    expect(started.filter(alive)).toEqual([]);
  });

  it('escalates to SIGKILL after killGraceMs when the group ignores SIGTERM', async () => {
    const pidPath = pidFile();
    const command = `trap '' TERM; sleep 1000 & echo $! >> ${pidPath}; echo $$ >> ${pidPath}; wait; wait; wait`;
    const result = await runner({ killGraceMs: 300 }).run(spec(command, { timeoutMs: 500 }));
    const started = readPids(pidPath);
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(started.filter(alive)).toEqual([]);
  });

  it('does not hang on a background child that keeps stdout open, and kills it', async () => {
    const t0 = performance.now();
    const result = await runner({ pipeGraceMs: 200 }).run(spec(`sleep 1000 & echo $!; echo $! >> ${pidFile()}; echo done`));
    expect(performance.now() - t0).toBeLessThan(HANG);
    const bg = Number(result.stdout.split('\n')[0]);
    pids.add(bg);
    expect(result.error).toBeUndefined();
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${bg}\ndone\n`);
    expect(result.stderr).toMatch(/background processes kept its output open; killed process group \d+/);
    expect(alive(bg)).toBe(false);
  });

  it('leaves a background child that redirected its output running (documented)', async () => {
    const result = await runner({ pipeGraceMs: 200 }).run(spec(`sleep 1000 >/dev/null 2>&1 & echo $!; echo $! >> ${pidFile()}`));
    const bg = Number(result.stdout.trim());
    pids.add(bg);
    ok(result);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(alive(bg)).toBe(true);
  });

  it('cancels a running command through its AbortSignal and kills its group', async () => {
    const controller = new AbortController();
    const pidPath = pidFile();
    const run = runner().run(spec(`sleep 1000 & echo $! >> ${pidPath}; echo $$ >> ${pidPath}; echo started; wait`), {
      signal: controller.signal,
      onOutput: (_stream, chunk) => {
        if (chunk.includes('started')) controller.abort();
      },
    });
    const result = await run;
    const started = readPids(pidPath);
    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.error).toBeUndefined();
    expect(result.exitCode).toBeNull();
    expect(result.stdout).toBe('started\n');
    expect(started.filter(alive)).toEqual([]);
  });

  it('does not start a command whose signal is already aborted', async () => {
    const marker = file('marker');
    const r = runner();
    const result = await r.run(spec(`touch ${marker}`), { signal: AbortSignal.abort() });
    expect(result.cancelled).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(r.active).toBe(0);
    await sleep(100);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('ShellRunner: output limits and encoding', () => {
  it('truncates a flood of output with a marker, keeps draining, and keeps memory bounded', async () => {
    const cap = 1 << 20;
    let streamed = 0;
    const result = await runner().run(spec('head -c 50000000 /dev/zero | base64; echo tail >&2', { maxOutputBytes: cap }), {
      onOutput: (stream, chunk) => {
        if (stream === 'stdout') streamed += chunk.length;
      },
    });
    ok(result);
    // The pipe was drained to the end: base64 finished normally and the next command ran.
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('tail\n');
    expect(result.stdoutTruncated).toBe(true);
    const marker = /\n\[breakwater: output truncated after 1048576 bytes; (\d+) bytes dropped\]$/.exec(result.stdout);
    expect(marker).not.toBeNull();
    // base64 of 50 MB: 66,666,668 characters plus a newline every 76.
    const total = 66_666_668 + Math.ceil(66_666_668 / 76);
    expect(Number(marker?.[1])).toBe(total - cap);
    expect(result.stdout.length).toBeLessThanOrEqual(cap + (marker?.[0].length ?? 0));
    expect(result.stdout.startsWith('AAAA')).toBe(true);
    expect(streamed).toBe(result.stdout.length);
  });

  it('caps stderr on its own', async () => {
    const result = await runner().run(spec('echo 0123456789abcdef >&2; echo short', { maxOutputBytes: 10 }));
    expect(result.stdout).toBe('short\n');
    expect(result.stdoutTruncated).toBe(false);
    expect(result.stderrTruncated).toBe(true);
    expect(result.stderr).toBe('0123456789\n[breakwater: output truncated after 10 bytes; 7 bytes dropped]');
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const chunks: string[] = [];
    // € is E2 82 AC: the first two bytes arrive in one chunk, the last one later.
    const result = await runner().run(spec("printf '\\342\\202'; sleep 0.3; printf '\\254 ok\\n'"), {
      onOutput: (_s, chunk) => chunks.push(chunk),
    });
    ok(result);
    expect(result.stdout).toBe('€ ok\n');
    expect(chunks.join('')).toBe('€ ok\n');
    expect(chunks.some((c) => c.includes('\uFFFD'))).toBe(false);
  });

  it('decodes large multi-byte output whatever the chunk boundaries', async () => {
    const line = '€漢字🙂ü\n';
    const result = await runner().run(spec(`yes '€漢字🙂ü' | head -n 100000`, { maxOutputBytes: 10 << 20 }));
    ok(result);
    expect(result.stdout.includes('\uFFFD')).toBe(false);
    expect(result.stdout).toBe(line.repeat(100_000));
  });

  it('drops a character cut by the cap whole instead of producing U+FFFD', async () => {
    const result = await runner().run(spec("printf '€€'", { maxOutputBytes: 4 }));
    expect(result.stdoutTruncated).toBe(true);
    expect(result.stdout).toBe('€\n[breakwater: output truncated after 4 bytes; 2 bytes dropped]');
  });

  it('flushes an incomplete character at the very end as U+FFFD', async () => {
    const result = await runner().run(spec("printf 'a\\342\\202'"));
    expect(result.stdout).toBe('a\uFFFD');
  });
});

describe('ShellRunner: concurrency', () => {
  it('runs at most maxConcurrent, queues up to maxQueued, and refuses beyond', async () => {
    const r = runner({ maxConcurrent: 2, maxQueued: 1 });
    const marker = file('queued-ran');
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const runs = controllers.map((c, i) =>
      r.run(spec(i === 2 ? `touch ${marker}` : longSleep(pidFile())), { signal: c.signal }),
    );
    expect(r.active).toBe(3);

    const refused = await r.run(spec('true'));
    expect(refused.error).toBe('agent busy: 2 commands running, 1 queued (limit 2 running, 1 queued)');
    expect(refused.exitCode).toBeNull();
    expect(r.active).toBe(3);

    // Aborting the queued one removes it from the queue; it never runs.
    controllers[2]?.abort();
    const queued = await runs[2];
    expect(queued?.cancelled).toBe(true);
    expect(queued?.durationMs).toBe(0);
    expect(r.active).toBe(2);

    for (const c of controllers) c.abort();
    const results = await Promise.all(runs.slice(0, 2));
    expect(results.every((x) => x.cancelled)).toBe(true);
    expect(r.active).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it('starts queued commands in FIFO order as slots free up', async () => {
    const r = runner({ maxConcurrent: 1, maxQueued: 10 });
    const out = file('order');
    const runs = [0, 1, 2, 3, 4].map((i) => r.run(spec(`${i === 0 ? 'sleep 0.2; ' : ''}echo ${i} >> ${out}`)));
    expect(r.active).toBe(5);
    const results = await Promise.all(runs);
    for (const result of results) ok(result);
    expect(readFileSync(out, 'utf8')).toBe('0\n1\n2\n3\n4\n');
    expect(r.active).toBe(0);
  });

  it('shutdown cancels queued and running commands and refuses new ones', async () => {
    const r = runner({ maxConcurrent: 1, maxQueued: 1 });
    const running = r.run(spec(longSleep(pidFile())));
    const queued = r.run(spec(longSleep(pidFile())));
    await r.shutdown();
    expect((await running).cancelled).toBe(true);
    expect((await queued).cancelled).toBe(true);
    expect(r.active).toBe(0);
    expect((await r.run(spec('true'))).error).toBe('runner is shut down');
  });

  it('validates its options', () => {
    expect(() => new ShellRunner({ maxConcurrent: 0, maxQueued: 1 })).toThrow(RangeError);
    expect(() => new ShellRunner({ maxConcurrent: 1, maxQueued: -1 })).toThrow(RangeError);
    expect(() => new ShellRunner({ maxConcurrent: 1, maxQueued: 1, killGraceMs: -5 })).toThrow(RangeError);
  });
});

describe('ShellRunner: users and start failures', () => {
  it('refuses another user when the agent is not root', async () => {
    const r = runner({ getuid: () => 1000 });
    const marker = file('marker');
    const result = await r.run(spec(`touch ${marker}`, { user: 'nobody' }));
    expect(result.error).toBe('cannot run as user "nobody": the agent is not running as root (uid 1000)');
    expect(existsSync(marker)).toBe(false);
  });

  it('allows the current user without root', async () => {
    const result = await runner({ getuid: () => 65534 }).run(spec('echo hi', { user: 'nobody' }));
    ok(result);
    expect(result.stdout).toBe('hi\n');
  });

  it('gives a clear error for an unknown user', async () => {
    const result = await runner().run(spec('true', { user: 'no-such-user-bw' }));
    expect(result.error).toBe('unknown user "no-such-user-bw": not in /etc/passwd');
    const byUid = await runner().run(spec('true', { user: '4000000000' }));
    expect(byUid.error).toMatch(/unknown user "4000000000"/);
  });

  it.runIf(process.getuid?.() === 0)('runs as another user, by name or uid, when root', async () => {
    const r = runner();
    for (const user of ['nobody', '65534']) {
      const result = await r.run(spec('id -u; id -g; echo "$HOME $USER"', { user, cwd: '/' }));
      ok(result);
      const [uid, gid, rest] = result.stdout.split('\n');
      expect(uid).toBe('65534');
      expect(Number(gid)).toBeGreaterThan(0);
      expect(rest).toBe('/nonexistent nobody');
    }
  });

  it('turns a spawn failure into an error result', async () => {
    const result = await runner({ shell: '/nonexistent/shell' }).run(spec('true'));
    expect(result.error).toMatch(/^failed to start \/nonexistent\/shell: .*ENOENT/);
    expect(result.exitCode).toBeNull();
  });

  it('reports a missing cwd', async () => {
    const result = await runner().run(spec('true', { cwd: join(dir, 'missing') }));
    expect(result.error).toMatch(/^cwd .*missing: ENOENT/);
  });

  it('rejects bad timeouts and caps', async () => {
    const r = runner();
    expect((await r.run(spec('true', { timeoutMs: 0 }))).error).toMatch(/timeoutMs/);
    expect((await r.run(spec('true', { maxOutputBytes: -1 }))).error).toMatch(/maxOutputBytes/);
  });
});
