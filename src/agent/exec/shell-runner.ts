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
 * - A spec with `container` runs inside that container: `nsenter` into its init process's
 *   namespaces in front of the shell, with the container's environment and user instead of the
 *   agent's (container-entry.ts); the same process group, timeout and output guarantees hold.
 * - `durationMs` is the time from spawning to the end of the run; queue waiting is not in it, and
 *   the timeout starts when the command starts, not when it is queued (abort the signal to bound
 *   the queue wait). Results that never started have `durationMs: 0`.
 */
import { NSENTER } from './container-entry.js';
import { execute, type Settings } from './execution.js';
import { cancelledResult, describe, errorResult } from './result.js';
import { checkSpec } from './shell-env.js';
import type { CommandResult, CommandRunner, CommandSpec, OutputListener } from './types.js';

export { INHERITED_ENV_NAMES, RESERVED_ENV_NAMES } from './shell-env.js';

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
  /** nsenter, for commands inside containers. Default {@link NSENTER}. */
  readonly nsenter?: string;
}

interface Job {
  readonly spec: CommandSpec;
  readonly signal: AbortSignal | undefined;
  readonly onOutput: OutputListener | undefined;
  readonly resolve: (result: CommandResult) => void;
  /** Removes the queue's abort listener. */
  detach?: () => void;
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
      nsenter: options.nsenter ?? NSENTER,
      procRoot: '/proc',
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
