/**
 * The exit codes of `breakwater` (and of `breakwater-agent`): docs/cli.md shows this table, and a
 * test (exit-codes.test.ts) keeps the two, and every code the CLI's sources return, the same.
 *
 * @example
 * return err.code === 'BW_ERR_CONFIG' ? EXIT.usage : EXIT.failed;
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each code tells a script, as docs/cli.md says it. */
export const EXIT_MEANINGS: Readonly<Record<ExitCode, string>> = {
  0: 'Success: the statement is valid, every target succeeded, nothing drifts; also `--help`, `--version`, and a reader that closed the pipe early (`breakwater get runs --json | head`).',
  1: 'The work failed: an invalid statement, a target that failed, timed out or was offline, hosts that drift, a refused or unconfirmed request, a control plane that cannot be reached or answered an error.',
  2: 'The command line itself is wrong: an unknown command or flag, a missing argument, a flag value out of range; nothing was sent.',
};
