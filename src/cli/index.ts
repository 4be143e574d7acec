/**
 * The `breakwater` command line.
 *
 * @example
 * process.exitCode = await main(['check', 'host | cpu_usage > 80']);
 */
import { Command, CommanderError, Option } from 'commander';
import { BreakwaterError } from '../protocol/index.js';
import { GET_KINDS, getCommand, tokenCreateCommand } from './admin-commands.js';
import { endpointFrom } from './api.js';
import { checkCommand } from './check-command.js';
import { agentCommand, serverCommand } from './daemon-commands.js';
import { demoCommand } from './demo-command.js';
import type { Io } from './io.js';
import { processIo } from './io.js';
import { labCommand } from './lab-command.js';
import { replCommand } from './repl-command.js';
import { runCommand } from './run-command.js';
import { styleFor } from './style.js';
import { durationMs } from '../agent/index.js';

export const VERSION = '0.1.0';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const connection = (cmd: Command) =>
  cmd.option('--server <url>', 'control plane URL (default: $BREAKWATER_SERVER)').option('--token <token>', 'API token (default: $BREAKWATER_TOKEN)');

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

  connection(program.command('run'))
    .description('run a pipeline across the fleet; identical outputs are grouped')
    .argument('<pipeline>', "e.g. 'host | env = \"prod\" | `uptime`'")
    .option('--json', 'print NDJSON lines (plan, rows, summary) for scripts')
    .option('--dry-run', 'list the targets without running anything')
    .option('--timeout <duration>', 'time budget for the whole query, e.g. 30s')
    .action(async (statement: string, o: { server?: string; token?: string; json?: boolean; dryRun?: boolean; timeout?: string }) => {
      code = await runCommand(endpointFrom(o, io.env), statement, { ...(o.json ? { json: true } : {}), ...(o.dryRun ? { dryRun: true } : {}), ...(o.timeout ? { timeoutMs: durationMs('--timeout', o.timeout) } : {}) }, io);
    });

  connection(program.command('repl'))
    .description('interactive pipelines, with history and completion from the catalogue')
    .action(async (o: { server?: string; token?: string }) => {
      code = await replCommand(endpointFrom(o, io.env), io);
    });

  connection(program.command('get'))
    .description(`list ${GET_KINDS.join(', ')}`)
    .argument('<kind>', GET_KINDS.join('|'))
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most n entries (runs, audit)')
    .action(async (kind: string, o: { server?: string; token?: string; json?: boolean; limit?: string }) => {
      const limit = o.limit === undefined ? undefined : Number(o.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new BreakwaterError('BW_ERR_CONFIG', `--limit: expected a whole number above 0, found ${JSON.stringify(o.limit)}`);
      code = await getCommand(endpointFrom(o, io.env), kind, { ...(o.json ? { json: true } : {}), ...(limit ? { limit } : {}) }, io);
    });

  const token = program.command('token').description('manage API and join tokens');
  connection(token.command('create'))
    .description('create a token; the secret is printed once')
    .addOption(new Option('--role <role>', 'what it may do').choices(['agent', 'viewer', 'operator', 'admin']).makeOptionMandatory())
    .option('--name <name>', 'a name for the audit log', `token-${Date.now().toString(36)}`)
    .option('--expires <duration>', 'lifetime, e.g. 30d (default: never)')
    .option('--json', 'print JSON')
    .action(async (o: { server?: string; token?: string; role: string; name: string; expires?: string; json?: boolean }) => {
      const expiresInSeconds = o.expires ? Math.round(durationMs('--expires', o.expires) / 1000) : undefined;
      code = await tokenCreateCommand(endpointFrom(o, io.env), { role: o.role, name: o.name, ...(expiresInSeconds ? { expiresInSeconds } : {}), ...(o.json ? { json: true } : {}) }, io);
    });

  program
    .command('server')
    .description('run the control plane (SQLite in --data, or PostgreSQL with --store)')
    .option('--port <port>', 'HTTP port', '7070')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--data <dir>', 'data directory', '.breakwater')
    .option('--store <url>', 'postgres://... to use PostgreSQL')
    .option('--log-level <level>', 'debug, info, warn, error or silent')
    .action(async (o: { port?: string; host?: string; data?: string; store?: string; logLevel?: string }) => {
      code = await serverCommand(o, io);
    });

  program
    .command('agent')
    .description('run the agent on this host')
    .option('--server <url>', 'control plane URL (default: $BREAKWATER_SERVER)')
    .option('--token <token>', 'join token for the first start (default: $BREAKWATER_JOIN_TOKEN)')
    .option('--name <name>', 'host name to register as (default: the machine\'s)')
    .option('--tag <key=value>', 'a tag; repeat for more', collect)
    .option('--data <dir>', 'where the agent keeps its credential')
    .option('--mount <path=alias>', 'report only these mounts, under these names; repeat for more', collect)
    .option('--collect-interval <duration>', 'metric collection interval (default 1s)')
    .option('--log-level <level>', 'debug, info, warn or error')
    .action(async (o: Parameters<typeof agentCommand>[0]) => {
      code = await agentCommand(o, io);
    });

  program
    .command('lab')
    .description('start a local lab: a control plane and N real agent processes on this machine')
    .option('--hosts <n>', 'how many hosts', '3')
    .option('--port <port>', 'control plane port (default: a free one)')
    .option('--dir <dir>', 'working directory for the lab')
    .action(async (o: { hosts: string; port?: string; dir?: string }) => {
      code = await labCommand(o, io);
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
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof BreakwaterError) {
      const style = styleFor(io.stderr, io.env);
      io.stderr.write(`${style.red('error')}: ${err.message} ${style.dim(`[${err.code}]`)}\n`);
      return err.code === 'BW_ERR_CONFIG' ? 2 : 1;
    }
    throw err;
  }
  return code;
}
