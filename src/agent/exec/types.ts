/** One command to run on the agent's host. */
export interface CommandSpec {
  /** Shell text, run as `/bin/sh -c <command>`. Parameters never go in here: they go in `env`. */
  readonly command: string;
  /** Extra environment: action parameters and resource attributes (`BW_HOST`, `BW_PID`, `dir`). */
  readonly env: Readonly<Record<string, string>>;
  /** The whole process group is killed (TERM, then KILL after a grace period) when it runs longer. */
  readonly timeoutMs: number;
  /** Per stream; output beyond it is dropped and the result marked truncated. */
  readonly maxOutputBytes: number;
  readonly cwd?: string;
  /** Run as this user (name or uid); only possible when the agent runs as root. */
  readonly user?: string;
  /**
   * Run inside this container's namespaces (src/agent/exec/container-entry.ts) instead of on the
   * host, with its environment under `env`, as its user unless `user` is given (a uid or root).
   */
  readonly container?: ContainerTarget;
  /** Secrets the command receives as `BW_SECRET_<NAME>` (an action's `secrets`; src/agent/engine/secret-runner.ts). */
  readonly secrets?: readonly string[];
}

/** A running container a command enters: its id (64 hex digits) and the host pid of its init process. */
export interface ContainerTarget {
  readonly id: string;
  readonly initPid: number;
}

export interface CommandResult {
  /** Exit code, or null when killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** Set when the command could not start at all (no such user, spawn failure, queue full). */
  readonly error?: string;
}

export type OutputListener = (stream: 'stdout' | 'stderr', chunk: string) => void;

/**
 * Runs shell commands. The real one spawns processes; the swarm's synthetic
 * agents use a cheap built-in one; unit tests use fakes.
 */
export interface CommandRunner {
  run(spec: CommandSpec, options?: { signal?: AbortSignal; onOutput?: OutputListener }): Promise<CommandResult>;
  /** Commands running or waiting now. */
  readonly active: number;
}
