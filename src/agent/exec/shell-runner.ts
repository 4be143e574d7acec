/**
 * The agent's real command runner: every command is `<shell> -c <command>` in a process group of
 * its own, with a minimal environment, a timeout that kills the whole group, capped output and a
 * bounded FIFO queue.
 *
 * Behaviour worth knowing (each choice explained where it is made):
 * - Parameters travel only as environment variables (`spec.env`); the command text is never
 *   touched. Names must match `^[A-Za-z_][A-Za-z0-9_]*$` and may not be one of the few names
 *   that change how the shell or the dynamic loader itself starts (`RESERVED_ENV_NAMES`, `LD_*`).
 * - The child sees only PATH, HOME, LANG, TZ and USER from the agent's environment, then
 *   `spec.env`. When `spec.user` is given, HOME and USER are that user's.
 * - A run ends when the shell has exited and both of its pipes are closed. When the shell has
 *   exited but something it started in the background still holds a pipe (`sleep 1000 &`), the
 *   run waits `pipeGraceMs`, then kills the process group (TERM, KILL after `killGraceMs`) and
 *   says so in a note at the end of stderr. Background processes that redirected their output
 *   (`daemon >/dev/null 2>&1 &`) are left running: that is the usual way for a remediation to
 *   start something that must outlive it. A timeout or a cancellation kills them too.
 * - When the group is killed (timeout, cancellation, held pipes) the promise resolves only once
 *   no live member of the group remains (or, for an unkillable process, once we give up a second
 *   after SIGKILL), so callers see no orphans of a killed run.
 * - `durationMs` is the time from spawning to the end of the run; queue waiting is not in it, and
 *   the timeout starts when the command starts, not when it is queued (abort the signal to bound
 *   the queue wait). Results that never started have `durationMs: 0`.
 */
import { MAX_TIMER_MS } from '../../protocol/index.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';

import { commandResult, truncationMarker } from './result.js';
import type { CommandResult, CommandRunner, CommandSpec, OutputListener } from './types.js';

export interface ShellRunnerOptions {
  /** Commands running at once; at least 1. */
  readonly maxConcurrent: number;
  /** Commands waiting for a slot; beyond it `run` answers at once with an "agent busy" error. */
  readonly maxQueued: number;
  /** Between SIGTERM and SIGKILL to the process group. Default 2000. */
  readonly killGraceMs?: number;
  /** Default `/bin/sh`. */
  readonly shell?: string;
  /**
   * How long the pipes may stay open after the shell exited (background children holding them)
   * before the group is killed. Default 500.
   */
  readonly pipeGraceMs?: number;
  /** Where PATH, HOME, LANG, TZ, USER are taken from. Default `process.env`. */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Test seam: the agent's uid. Default `process.getuid()`. */
  readonly getuid?: () => number;
  /** Test seam: the passwd database. Default `/etc/passwd`. */
  readonly passwdFile?: string;
}

/** The only variables of the agent's own environment a command sees. */
export const INHERITED_ENV_NAMES: readonly string[] = Object.freeze(['PATH', 'HOME', 'LANG', 'TZ', 'USER']);

/**
 * Names `spec.env` may not set: they change how `/bin/sh` (dash or bash) or the dynamic loader
 * start, so a parameter value put in them could run code before or around the command (bash's
 * `SHELLOPTS=xtrace` + `PS4='$(…)'`, `BASH_ENV`, `ENV`, `LD_PRELOAD`, glibc's `GCONV_PATH`), or
 * change which programs the command's words resolve to (`PATH`, `IFS`). Every name beginning with
 * `LD_` is refused as well. A command that needs another PATH sets it in its own text.
 */
export const RESERVED_ENV_NAMES: readonly string[] = Object.freeze([
  'PATH',
  'IFS',
  'ENV',
  'BASH_ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'GCONV_PATH',
]);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** How often the group is checked while it is being killed. */
const KILL_POLL_MS = 50;
/** After SIGKILL, how long to wait for the group to vanish and the pipes to close. */
const GIVE_UP_AFTER_KILL_MS = 1000;

interface Job {
  readonly spec: CommandSpec;
  readonly signal: AbortSignal | undefined;
  readonly onOutput: OutputListener | undefined;
  readonly resolve: (result: CommandResult) => void;
  /** Removes the queue's abort listener. */
  detach?: () => void;
}

interface Settings {
  readonly killGraceMs: number;
  readonly shell: string;
  readonly pipeGraceMs: number;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  readonly getuid: () => number;
  readonly passwdFile: string;
}

export class ShellRunner implements CommandRunner {
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  readonly #settings: Settings;
  readonly #queue: Job[] = [];
  /** Cancels each running command (used by `shutdown`). */
  readonly #running = new Set<AbortController>();
  readonly #done = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: ShellRunnerOptions) {
    const { maxConcurrent, maxQueued } = options;
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new RangeError(`maxConcurrent must be an integer >= 1, got ${maxConcurrent}`);
    }
    if (!Number.isInteger(maxQueued) || maxQueued < 0) {
      throw new RangeError(`maxQueued must be an integer >= 0, got ${maxQueued}`);
    }
    const killGraceMs = options.killGraceMs ?? 2000;
    const pipeGraceMs = options.pipeGraceMs ?? 500;
    for (const [name, value] of [
      ['killGraceMs', killGraceMs],
      ['pipeGraceMs', pipeGraceMs],
    ] as const) {
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a number >= 0, got ${value}`);
    }
    this.#maxConcurrent = maxConcurrent;
    this.#maxQueued = maxQueued;
    this.#settings = {
      killGraceMs,
      pipeGraceMs,
      shell: options.shell ?? '/bin/sh',
      baseEnv: options.baseEnv ?? process.env,
      getuid: options.getuid ?? (() => process.getuid?.() ?? -1),
      passwdFile: options.passwdFile ?? '/etc/passwd',
    };
  }

  /** Commands running or waiting now. */
  get active(): number {
    return this.#running.size + this.#queue.length;
  }

  run(spec: CommandSpec, options: { signal?: AbortSignal; onOutput?: OutputListener } = {}): Promise<CommandResult> {
    const { signal, onOutput } = options;
    if (this.#closed) return Promise.resolve(errorResult('runner is shut down'));
    const problem = checkSpec(spec);
    if (problem !== undefined) return Promise.resolve(errorResult(problem));
    if (signal?.aborted) return Promise.resolve(cancelledResult());

    return new Promise<CommandResult>((resolve) => {
      const job: Job = { spec, signal, onOutput, resolve };
      if (this.#running.size < this.#maxConcurrent) {
        this.#start(job);
        return;
      }
      if (this.#queue.length >= this.#maxQueued) {
        resolve(
          errorResult(
            `agent busy: ${this.#running.size} commands running, ${this.#queue.length} queued ` +
              `(limit ${this.#maxConcurrent} running, ${this.#maxQueued} queued)`,
          ),
        );
        return;
      }
      this.#queue.push(job);
      if (signal !== undefined) {
        const onAbort = (): void => {
          const at = this.#queue.indexOf(job);
          if (at >= 0) this.#queue.splice(at, 1);
          resolve(cancelledResult());
        };
        signal.addEventListener('abort', onAbort, { once: true });
        job.detach = () => signal.removeEventListener('abort', onAbort);
      }
    });
  }

  /**
   * Refuses new commands, cancels the queued ones and kills the running ones (their results say
   * `cancelled`). Resolves when every running command has ended. For the daemon's stop and tests.
   */
  async shutdown(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      job.detach?.();
      job.resolve(cancelledResult());
    }
    for (const controller of this.#running) controller.abort();
    await Promise.all([...this.#done]);
  }

  #start(job: Job): void {
    job.detach?.();
    const controller = new AbortController();
    const forward = (): void => controller.abort();
    job.signal?.addEventListener('abort', forward, { once: true });
    if (job.signal?.aborted) controller.abort();
    this.#running.add(controller);

    const done = execute(job.spec, this.#settings, controller.signal, job.onOutput)
      .catch((err: unknown) => errorResult(`internal error: ${describe(err)}`))
      .then((result) => {
        job.signal?.removeEventListener('abort', forward);
        this.#running.delete(controller);
        this.#done.delete(done);
        this.#pump();
        job.resolve(result);
      });
    this.#done.add(done);
  }

  #pump(): void {
    while (this.#running.size < this.#maxConcurrent && !this.#closed) {
      const next = this.#queue.shift();
      if (next === undefined) return;
      this.#start(next);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Checking and preparing

function checkSpec(spec: CommandSpec): string | undefined {
  if (typeof spec.command !== 'string') return 'command must be a string';
  if (spec.command.includes('\0')) return 'command contains a NUL byte';
  if (typeof spec.timeoutMs !== 'number' || Number.isNaN(spec.timeoutMs) || spec.timeoutMs <= 0) {
    return `timeoutMs must be a number > 0, got ${String(spec.timeoutMs)}`;
  }
  const cap = spec.maxOutputBytes;
  if (typeof cap !== 'number' || !(cap === Infinity || (Number.isInteger(cap) && cap >= 0))) {
    return `maxOutputBytes must be an integer >= 0, got ${String(cap)}`;
  }
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    if (!ENV_NAME.test(name)) {
      return `invalid environment variable name ${JSON.stringify(name)}: names must match ^[A-Za-z_][A-Za-z0-9_]*$`;
    }
    if (RESERVED_ENV_NAMES.includes(name) || name.startsWith('LD_')) {
      return `environment variable ${name} may not be set by a command (it changes how the shell or loader starts)`;
    }
    if (typeof value !== 'string') return `environment variable ${name} must be a string`;
    if (value.includes('\0')) return `environment variable ${name} contains a NUL byte`;
  }
  if (spec.cwd !== undefined && (typeof spec.cwd !== 'string' || spec.cwd === '' || spec.cwd.includes('\0'))) {
    return `invalid cwd ${JSON.stringify(spec.cwd)}`;
  }
  if (spec.user !== undefined && (typeof spec.user !== 'string' || spec.user === '' || /[:\n\0]/.test(spec.user))) {
    return `invalid user ${JSON.stringify(spec.user)}`;
  }
  return undefined;
}

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

async function lookUpUser(user: string, passwdFile: string): Promise<PasswdEntry | string> {
  let text: string;
  try {
    text = await readFile(passwdFile, 'utf8');
  } catch (err) {
    return `cannot read ${passwdFile} to resolve user ${JSON.stringify(user)}: ${describe(err)}`;
  }
  const byUid = /^\d+$/.test(user);
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const [name = '', , uidText = '', gidText = '', , home = ''] = fields;
    const uid = Number(uidText);
    const gid = Number(gidText);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || uidText === '' || gidText === '') continue;
    if (byUid ? uid === Number(user) : name === user) return { name, uid, gid, home };
  }
  return `unknown user ${JSON.stringify(user)}: not in ${passwdFile}`;
}

/** Spawn credentials and the user's HOME/USER, or an error message. */
async function resolveUser(
  user: string,
  settings: Settings,
): Promise<{ ids?: { uid: number; gid: number }; home: string; name: string } | string> {
  const entry = await lookUpUser(user, settings.passwdFile);
  if (typeof entry === 'string') return entry;
  const me = settings.getuid();
  // Running as oneself needs no privilege: spawn without switching.
  if (entry.uid === me) return { home: entry.home, name: entry.name };
  if (me !== 0) {
    return `cannot run as user ${JSON.stringify(user)}: the agent is not running as root (uid ${me})`;
  }
  // libuv drops supplementary groups (setgroups(0)) when switching; the command gets the user's
  // primary group only.
  return { ids: { uid: entry.uid, gid: entry.gid }, home: entry.home, name: entry.name };
}

function buildEnv(spec: CommandSpec, settings: Settings, who?: { home: string; name: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED_ENV_NAMES) {
    const value = settings.baseEnv[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= DEFAULT_PATH;
  if (who !== undefined) {
    env.HOME = who.home;
    env.USER = who.name;
  }
  for (const [name, value] of Object.entries(spec.env ?? {})) env[name] = value;
  return env;
}

// ---------------------------------------------------------------------------------------------
// Running one command

async function execute(
  spec: CommandSpec,
  settings: Settings,
  signal: AbortSignal,
  onOutput: OutputListener | undefined,
): Promise<CommandResult> {
  let who: { ids?: { uid: number; gid: number }; home: string; name: string } | undefined;
  if (spec.user !== undefined) {
    const resolved = await resolveUser(spec.user, settings);
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
  const env = buildEnv(spec, settings, who);
  return new Promise<CommandResult>((resolve) => {
    new Execution(spec, settings, env, who?.ids, signal, onOutput, resolve).start();
  });
}

/** Keeps at most `cap` bytes of one stream as text; counts the rest. */
class OutputCollector {
  readonly #cap: number;
  readonly #emit: (chunk: string) => void;
  readonly #decoder = new TextDecoder('utf-8');
  readonly #parts: string[] = [];
  #kept = 0;
  #dropped = 0;
  truncated = false;

  constructor(cap: number, emit: (chunk: string) => void) {
    this.#cap = cap;
    this.#emit = emit;
  }

  push(data: Buffer): void {
    if (this.truncated) {
      this.#dropped += data.length;
      return;
    }
    const room = this.#cap - this.#kept;
    if (data.length <= room) {
      this.#kept += data.length;
      this.#add(this.#decoder.decode(data, { stream: true }));
      return;
    }
    this.truncated = true;
    this.#kept = this.#cap;
    this.#dropped += data.length - room;
    // With `stream: true` a character cut at the cap stays inside the decoder, which is never
    // flushed afterwards: truncation drops it whole instead of producing U+FFFD.
    this.#add(this.#decoder.decode(data.subarray(0, room), { stream: true }));
  }

  /** Flushes the decoder (or adds the truncation marker) and returns everything kept. */
  finish(): string {
    if (this.truncated) {
      this.#add(truncationMarker(this.#cap, this.#dropped));
    } else {
      this.#add(this.#decoder.decode());
    }
    return this.#parts.join('');
  }

  #add(text: string): void {
    if (text === '') return;
    this.#parts.push(text);
    this.#emit(text);
  }
}

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
  ) {
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
    const { shell } = this.#settings;
    this.#startedAt = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(shell, ['-c', this.#spec.command], {
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
    this.#signalGroup('SIGTERM');
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
        this.#signalGroup('SIGKILL');
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

  #signalGroup(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.#pgid, sig);
    } catch {
      // ESRCH: the group is already gone.
    }
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

/**
 * Whether the process group still has a member that is not a zombie. `kill(-pgid, 0)` also
 * succeeds for a group of zombies (reaped late, or never, under some container inits), so on
 * Linux the members are then looked up in /proc.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill()
  }
  const wanted = String(pgid);
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const fields = procStat(Number(name));
    // After the command name: state, ppid, pgrp, ...
    if (fields !== undefined && fields[2] === wanted && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** The fields of /proc/<pid>/stat after `(comm)`, or undefined when the process is gone. */
export function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function errorResult(error: string): CommandResult {
  return { ...commandResult(), error };
}

function cancelledResult(): CommandResult {
  return { ...commandResult(), cancelled: true };
}


function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
