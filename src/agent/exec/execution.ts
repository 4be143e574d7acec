/*
 * Running one command: `<shell> -c <command>` in a process group of its own, output captured
 * up to the cap, the whole group killed on timeout, cancellation or held pipes, and the result
 * resolved only once no live member of a killed group remains.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';

import { MAX_TIMER_MS } from '../../protocol/index.js';
import { OutputCollector } from './output-collector.js';
import { groupAlive, signalGroup } from './process-group.js';
import { cancelledResult, describe, errorResult } from './result.js';
import { enterContainer } from './container-entry.js';
import { buildEnv, resolveUser, type RunAs } from './shell-env.js';
import type { CommandResult, CommandSpec, OutputListener } from './types.js';

/** How often the group is checked while it is being killed. */
const KILL_POLL_MS = 50;
/** After SIGKILL, how long to wait for the group to vanish and the pipes to close. */
const GIVE_UP_AFTER_KILL_MS = 1000;

/** How a ShellRunner runs its commands (its options with defaults filled in). */
export interface Settings {
  readonly killGraceMs: number;
  readonly shell: string;
  readonly pipeGraceMs: number;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  readonly getuid: () => number;
  readonly passwdFile: string;
  /** Where nsenter is, for commands inside containers. */
  readonly nsenter: string;
  /** Where /proc is (a test seam for container entry). */
  readonly procRoot: string;
}

/**
 * Runs `spec` to its end: checks its user and cwd, then spawns it.
 * @example const result = await execute(spec, settings, new AbortController().signal, undefined);
 */
export async function execute(
  spec: CommandSpec,
  settings: Settings,
  signal: AbortSignal,
  onOutput: OutputListener | undefined,
): Promise<CommandResult> {
  if (spec.container !== undefined) return executeInside(spec, spec.container, settings, signal, onOutput);
  let who: RunAs | undefined;
  if (spec.user !== undefined) {
    const resolved = await resolveUser(spec.user, settings.passwdFile, settings.getuid);
    if (typeof resolved === 'string') return errorResult(resolved);
    who = resolved;
  }
  if (spec.cwd !== undefined) {
    try {
      const info = await stat(spec.cwd);
      if (!info.isDirectory()) return errorResult(`cwd ${spec.cwd} is not a directory`);
    } catch (err) {
      return errorResult(`cwd ${spec.cwd}: ${describe(err)}`);
    }
  }
  if (signal.aborted) return cancelledResult();
  const env = buildEnv(spec, settings.baseEnv, who);
  return new Promise<CommandResult>((resolve) => {
    new Execution(spec, settings, env, who?.ids, signal, onOutput, resolve).start();
  });
}

/** Runs `spec` inside its container: nsenter, then the shell, with the container's environment under the command's. */
async function executeInside(
  spec: CommandSpec,
  target: NonNullable<CommandSpec['container']>,
  settings: Settings,
  signal: AbortSignal,
  onOutput: OutputListener | undefined,
): Promise<CommandResult> {
  if (spec.cwd !== undefined) return errorResult('cwd cannot be set for a command inside a container (it starts in the container\'s root)');
  const entry = await enterContainer(target, spec.user, settings.procRoot);
  if (typeof entry === 'string') return errorResult(entry);
  if (signal.aborted) return cancelledResult();
  const launch = { file: settings.nsenter, args: [...entry.nsenterArgs, settings.shell, '-c', spec.command] };
  return new Promise<CommandResult>((resolve) => {
    new Execution(spec, settings, { ...entry.env, ...spec.env }, undefined, signal, onOutput, resolve, launch).start();
  });
}

/** One spawned command, from spawn to its result; resolves exactly once. */
class Execution {
  readonly #spec: CommandSpec;
  readonly #settings: Settings;
  readonly #env: NodeJS.ProcessEnv;
  readonly #ids: { uid: number; gid: number } | undefined;
  readonly #signal: AbortSignal;
  readonly #resolve: (result: CommandResult) => void;
  readonly #stdout: OutputCollector;
  readonly #stderr: OutputCollector;
  #listener: OutputListener | undefined;
  /** The program spawned: the shell, or nsenter in front of it for a container. */
  readonly #launch: { readonly file: string; readonly args: readonly string[] };

  #child: ChildProcess | undefined;
  #pgid = 0;
  #startedAt = 0;
  #settled = false;
  #exited = false;
  #exitCode: number | null = null;
  #exitSignal: string | null = null;
  #stdoutOpen = true;
  #stderrOpen = true;
  #timedOut = false;
  #cancelled = false;
  /** Group kill in progress: SIGTERM sent. */
  #killing = false;
  /** Group kill finished: no live member left, or we gave up. */
  #killDone = false;
  #gaveUp = false;
  readonly #notes: string[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    spec: CommandSpec,
    settings: Settings,
    env: NodeJS.ProcessEnv,
    ids: { uid: number; gid: number } | undefined,
    signal: AbortSignal,
    onOutput: OutputListener | undefined,
    resolve: (result: CommandResult) => void,
    launch?: { readonly file: string; readonly args: readonly string[] },
  ) {
    this.#launch = launch ?? { file: settings.shell, args: ['-c', spec.command] };
    this.#spec = spec;
    this.#settings = settings;
    this.#env = env;
    this.#ids = ids;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#listener = onOutput;
    this.#stdout = new OutputCollector(spec.maxOutputBytes, (chunk) => this.#emit('stdout', chunk));
    this.#stderr = new OutputCollector(spec.maxOutputBytes, (chunk) => this.#emit('stderr', chunk));
  }

  start(): void {
    const shell = this.#launch.file;
    this.#startedAt = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(shell, this.#launch.args, {
        detached: true, // its own process group, so the whole tree can be signalled at once
        stdio: ['ignore', 'pipe', 'pipe'],
        env: this.#env,
        ...(this.#spec.cwd !== undefined ? { cwd: this.#spec.cwd } : {}),
        ...(this.#ids ?? {}),
      });
    } catch (err) {
      this.#fail(`failed to start ${shell}: ${describe(err)}`);
      return;
    }
    this.#child = child;
    child.on('error', (err) => {
      // Before a pid exists this is a failed spawn (ENOENT, EACCES, ...); later errors concern
      // signalling through the handle, which we never do.
      if (child.pid === undefined) this.#fail(`failed to start ${shell}: ${describe(err)}`);
    });
    if (child.pid === undefined) return; // the 'error' event follows
    this.#pgid = child.pid;

    this.#attach(child.stdout, this.#stdout, () => (this.#stdoutOpen = false));
    this.#attach(child.stderr, this.#stderr, () => (this.#stderrOpen = false));
    child.on('exit', (code, sig) => {
      this.#exited = true;
      this.#exitCode = code;
      this.#exitSignal = sig;
      if ((this.#stdoutOpen || this.#stderrOpen) && !this.#killing) {
        this.#later(this.#settings.pipeGraceMs, () => {
          if (this.#stdoutOpen || this.#stderrOpen) {
            this.#notes.push(
              `[breakwater: the shell exited but background processes kept its output open; ` +
                `killed process group ${this.#pgid}]`,
            );
            this.#kill();
          }
        });
      }
      this.#check();
    });

    const timeout = this.#spec.timeoutMs;
    // A timeout longer than a timer can hold means "no timeout".
    if (timeout <= MAX_TIMER_MS) {
      this.#later(timeout, () => {
        if (this.#killing) return;
        this.#timedOut = true;
        this.#kill();
      });
    }
    if (this.#signal.aborted) this.#abort();
    else this.#signal.addEventListener('abort', this.#abort, { once: true });
  }

  readonly #abort = (): void => {
    if (this.#settled || this.#killing) return;
    this.#cancelled = true;
    this.#kill();
  };

  #attach(stream: Readable | null, collector: OutputCollector, closed: () => void): void {
    if (stream === null) {
      closed();
      return;
    }
    // Always read (flowing mode), even past the cap, so the child never blocks on a full pipe.
    stream.on('data', (data: Buffer) => collector.push(data));
    stream.on('error', () => undefined); // a destroyed pipe; 'close' follows
    stream.on('close', () => {
      closed();
      this.#check();
    });
  }

  #emit(stream: 'stdout' | 'stderr', chunk: string): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    try {
      listener(stream, chunk);
    } catch {
      // A failing listener must not break the run or the agent; stop calling it.
      this.#listener = undefined;
    }
  }

  /** SIGTERM to the group, SIGKILL after killGraceMs if it still has live members. */
  #kill(): void {
    if (this.#killing) return;
    this.#killing = true;
    signalGroup(this.#pgid, 'SIGTERM');
    const termAt = performance.now();
    let killAt: number | undefined;
    const poll = (): void => {
      if (this.#settled) return;
      const now = performance.now();
      if (!groupAlive(this.#pgid)) {
        this.#killDone = true;
        // Only something outside the group (it called setsid) can still hold the pipes now.
        if (this.#stdoutOpen || this.#stderrOpen) {
          this.#later(this.#settings.pipeGraceMs, () => this.#closePipes());
        }
        this.#check();
        return;
      }
      if (killAt === undefined && now - termAt >= this.#settings.killGraceMs) {
        signalGroup(this.#pgid, 'SIGKILL');
        killAt = now;
      } else if (killAt !== undefined && now - killAt >= GIVE_UP_AFTER_KILL_MS) {
        // Unkillable (uninterruptible sleep) or a pid we may not signal: stop waiting.
        this.#notes.push(`[breakwater: process group ${this.#pgid} still had live members after SIGKILL]`);
        this.#gaveUp = true;
        this.#killDone = true;
        this.#closePipes();
        this.#check();
        return;
      }
      this.#later(KILL_POLL_MS, poll);
    };
    this.#later(KILL_POLL_MS, poll);
  }

  #closePipes(): void {
    this.#child?.stdout?.destroy();
    this.#child?.stderr?.destroy();
  }

  #check(): void {
    if (this.#settled) return;
    const pipesClosed = !this.#stdoutOpen && !this.#stderrOpen;
    const killFinished = !this.#killing || this.#killDone;
    if ((this.#exited && pipesClosed && killFinished) || (this.#gaveUp && pipesClosed)) this.#finish();
  }

  #finish(): void {
    this.#settled = true;
    this.#cleanUp();
    const stdout = this.#stdout.finish();
    let stderr = this.#stderr.finish();
    for (const note of this.#notes) {
      const text = `${stderr === '' || stderr.endsWith('\n') ? '' : '\n'}${note}\n`;
      stderr += text;
      this.#emit('stderr', text);
    }
    this.#resolve({
      exitCode: this.#exitCode,
      signal: this.#exitSignal,
      stdout,
      stderr,
      stdoutTruncated: this.#stdout.truncated,
      stderrTruncated: this.#stderr.truncated,
      durationMs: performance.now() - this.#startedAt,
      timedOut: this.#timedOut,
      cancelled: this.#cancelled,
    });
  }

  #fail(message: string): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#cleanUp();
    this.#closePipes();
    this.#resolve({ ...errorResult(message), durationMs: performance.now() - this.#startedAt });
  }

  #cleanUp(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#signal.removeEventListener('abort', this.#abort);
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#settled) fn();
    }, ms);
    this.#timers.add(timer);
  }
}
