/**
 * The `breakwater` command line.
 *
 * @example
 * process.exitCode = await main(['check', 'host | cpu_usage > 80']);
 */
import { Command, CommanderError } from 'commander';
import { checkCommand } from './check-command.js';
import { demoCommand } from './demo-command.js';
import type { Io } from './io.js';
import { processIo } from './io.js';

export const VERSION = '0.1.0';

/** Exit codes: 0 success, 1 the statement or run failed, 2 the command line itself was wrong. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = new Command('breakwater')
    .description('Debug and repair fleets of Linux hosts.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  program
    .command('check')
    .description('check a pipeline statement: prints ok, or every problem with where it is (`-` reads stdin)')
    .argument('<pipeline>', "the statement, e.g. 'host | cpu_usage > 80', or - to read it from stdin")
    .option('--json', 'print { ok, diagnostics, plan } as JSON')
    .action(async (statement: string, options: { json?: boolean }) => {
      code = await checkCommand(statement, options, io);
    });

  program
    .command('demo')
    .description('start the local demo: a control plane, agents and the web UI (not available yet)')
    .action(() => {
      code = demoCommand(io);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    throw err;
  }
  return code;
}
