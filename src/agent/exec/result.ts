import type { CommandResult } from './types.js';

/** A result with nothing run yet; runners fill in what happened. */
export function commandResult(r: Partial<CommandResult> = {}): CommandResult {
  return {
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    durationMs: 0,
    timedOut: false,
    cancelled: false,
    ...r,
  };
}

/** The line that ends output cut at the cap, so a reader knows more was printed. */
export function truncationMarker(cap: number, dropped: number): string {
  return `\n[breakwater: output truncated after ${cap} bytes; ${dropped} bytes dropped]`;
}

/** A result for a command that did not run: `error` says why. */
export function errorResult(error: string): CommandResult {
  return { ...commandResult(), error };
}

/** A result for a command cancelled before it started. */
export function cancelledResult(): CommandResult {
  return { ...commandResult(), cancelled: true };
}

/** The message of a thrown value, for an error result. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
