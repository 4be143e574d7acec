/**
 * The `breakwater` command line.
 *
 * @example
 * process.exitCode = await main(['check', 'host | cpu_usage > 80']);
 */
import type { Command } from 'commander';
import { BreakwaterError } from '../protocol/index.js';
import { agentUsage } from './agent-flags.js';
import { AGENT_ADMIN_COMMANDS, DEFINITION_KIND_PLURALS, GET_KINDS } from './command-names.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { endQuietlyWhenReaderLeaves, processIo } from './io.js';
import type { LabFlags } from './lab-command.js';
import type { NatsSetupFlags } from './nats-setup-command.js';
import { addOperateCommands } from './operate-commands.js';
import { addPackCommands } from './pack-program.js';
import type { RunFilterFlags } from './runs-command.js';
import { addSecretCommands } from './secret-commands.js';
import type { ServerFlags } from './server-command.js';
import { styleFor } from './style.js';
import type { SwarmFlags } from './swarm-command.js';

// Each command's module is imported when that command runs, not here: `check` and `--version`
// then load neither the server nor the API client, the agent, the lab, the definitions or their
// packages (docs/design-decisions.md, "The CLI's start-up"). Only names and types are static.

export const VERSION = '0.1.0';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const connection = (cmd: Command) =>
  cmd
    .option('--server <url>', 'control plane URL (default: $BREAKWATER_SERVER)')
    .option('--token <token>', 'API token (default: $BREAKWATER_TOKEN)')
    .option('--ca <file>', "trust the control plane's CA from this PEM file, e.g. <data>/tls/ca.pem (default: $BREAKWATER_CA, or a pinned $BREAKWATER_CA_FINGERPRINT)");

/**
 * `breakwater` as a process (bin/breakwater.js): a reader that closes the pipe early ends it quietly.
 *
 * @example
 * process.exitCode = await cli(process.argv.slice(2));
 */
export async function cli(argv: readonly string[]): Promise<number> {
  endQuietlyWhenReaderLeaves([process.stdout, process.stderr], () => process.exit(EXIT.ok));
  return main(argv, processIo);
}

/** Exit codes: EXIT in exit-codes.ts (0 success, 1 the work failed, 2 the command line was wrong). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  if (argv[0] === 'agent' && !AGENT_ADMIN_COMMANDS.includes(argv[1] ?? '')) return (await import('./agent-main.js')).agentMain(argv.slice(1), io, 'breakwater agent');
  // Commander is not even built for this: scripts and shell prompts ask for the version often.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [{ Argument, Command, CommanderError, Option }, { outputFormatOf, outputOption }] = await Promise.all([import('commander'), import('./output-format.js')]);
  /** The control plane from a command's connection flags; the API client loads with the first command that needs one. */
  const endpoint = async (o: { server?: string; token?: string; ca?: string }) => (await import('./api.js')).endpointFrom(o, io.env);
  let code = 0;
  /** How the command groups added from their own modules hand back their exit code. */
  const done = (c: number): void => {
    code = c;
  };
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
    .option('-f, --definitions <dir>', "check the definition files (*.yaml, *.yml) under dir, then the statement with their actions and metrics")
    .option('--server <url>', "check on this control plane, against its definitions and its fleet (warns about filter values no host has); default: offline")
    .option('--token <token>', 'API token, with --server (default: $BREAKWATER_TOKEN)')
    .option('--ca <file>', "with --server: trust the control plane's CA from this PEM file (default: $BREAKWATER_CA)")
    .action(async (statement: string, o: { json?: boolean; definitions?: string; server?: string; token?: string; ca?: string }) => {
      const { checkCommand } = await import('./check-command.js');
      code = await checkCommand(statement, { ...(o.json ? { json: true } : {}), ...(o.definitions === undefined ? {} : { definitions: o.definitions }), ...(o.server ? { endpoint: await endpoint(o) } : {}) }, io);
    });

  connection(program.command('run'))
    .description('run a pipeline across the fleet: each host shown as it finishes, then identical outputs grouped')
    .argument('<pipeline>', "e.g. 'host | env = \"prod\" | `uptime`'")
    .addOption(outputOption())
    .option('--json', 'the same as -o json: NDJSON lines (plan, targets, rows, summary) as they come, for scripts')
    .option('--dry-run', 'run nothing: list the targets, the batches, the breakers, the approval and the blast-radius verdict')
    .option('--yes', 'confirm a command or action that reaches more resources than the blast-radius limit')
    .option('--timeout <duration>', 'time budget for the whole query, e.g. 30s')
    .action(async (statement: string, o: { server?: string; token?: string; output?: string; json?: boolean; dryRun?: boolean; yes?: boolean; timeout?: string }) => {
      const { runCommand } = await import('./run-command.js');
      code = await runCommand(
        await endpoint(o),
        statement,
        { format: outputFormatOf(o), ...(o.dryRun ? { dryRun: true } : {}), ...(o.yes ? { yes: true } : {}), ...(o.timeout ? { timeoutMs: await flagDurationMs('--timeout', o.timeout) } : {}) },
        io,
      );
    });

  connection(program.command('repl'))
    .description('interactive pipelines, with history and completion from the catalogue')
    .action(async (o: { server?: string; token?: string }) => {
      const { replCommand } = await import('./repl-command.js');
      code = await replCommand(await endpoint(o), io);
    });

  const kinds = [...new Set([...GET_KINDS, 'events', 'drift', ...Object.keys(DEFINITION_KIND_PLURALS)])];
  connection(program.command('get'))
    .description(`list ${kinds.join(', ')}`)
    .argument('<kind>', `${kinds.join('|')}, or run <id> for one run with its output`)
    .argument('[id]', 'get run: the run\'s id')
    .addOption(outputOption())
    .option('--json', 'the same as -o json')
    .option('--limit <n>', 'at most n entries (runs, audit, events)')
    .option('--type <type>', 'only events of this type')
    .option('--grep <text>', 'events: only those whose host, alarm, bot or message contains text; audit: whose principal, action or target does (any case)')
    .option('-w, --watch', 'events, agents: keep printing each new event or agent change until Ctrl-C')
    .option('--bot <bot>', 'runs: only those of this bot (its own and approved ones)')
    .option('--host <host>', 'runs: only those with a result on this host')
    .option('--status <status>', 'runs: running|succeeded|failed|cancelled|dry_run|interrupted')
    .option('--principal <name>', 'runs: only those started by this principal')
    .option('--kind <kind>', 'runs: adhoc|bot|schedule|approval|runbook')
    .option('--since <when>', 'runs: started since a duration ago (2h) or a date (2026-12-06T05:00Z)')
    .action(async (kind: string, id: string | undefined, o: RunFilterFlags & { server?: string; token?: string; output?: string; json?: boolean; limit?: string; type?: string; grep?: string; watch?: boolean }) => {
      const limit = o.limit === undefined ? undefined : Number(o.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new BreakwaterError('BW_ERR_CONFIG', `--limit: expected a whole number above 0, found ${JSON.stringify(o.limit)}`);
      if (id !== undefined && kind !== 'run' && kind !== 'runs') throw new BreakwaterError('BW_ERR_CONFIG', `get ${kind} lists them all; only \`get run <id>\` takes an id, found ${JSON.stringify(id)}`);
      if (o.watch && kind !== 'events' && kind !== 'agents') throw new BreakwaterError('BW_ERR_CONFIG', `--watch: only get events and get agents can be watched, not ${JSON.stringify(kind)}`);
      if (o.grep !== undefined && kind !== 'events' && kind !== 'audit') throw new BreakwaterError('BW_ERR_CONFIG', `--grep: only get events and get audit can be searched, not ${JSON.stringify(kind)}`);
      const [{ LISTINGS, getCommand }, { driftCommand, getDefinitionsCommand }, { eventsCommand }] = await Promise.all([import('./admin-commands.js'), import('./definitions-commands.js'), import('./events-command.js')]);
      const ep = await endpoint(o);
      const flags = { format: outputFormatOf(o), ...(limit ? { limit } : {}) };
      if (kind === 'run' || kind === 'runs') {
        const runs = await import('./runs-command.js');
        if (kind === 'runs' && id === undefined) code = await runs.getRunsCommand(ep, o, flags, io);
        else if (kind === 'run' && id !== undefined) code = await runs.getRunCommand(ep, id, flags.format, io);
        else throw new BreakwaterError('BW_ERR_CONFIG', kind === 'run' ? 'get run: name the run, as in `breakwater get run <id>` (ids are in `breakwater get runs`)' : `get runs lists runs; for one run, \`breakwater get run ${id ?? '<id>'}\``);
      } else if (kind in DEFINITION_KIND_PLURALS && !(GET_KINDS as readonly string[]).includes(kind)) code = await getDefinitionsCommand(ep, kind, flags, io);
      else if (kind === 'events') code = await eventsCommand(ep, { ...flags, ...(o.type ? { type: o.type } : {}), ...(o.grep ? { grep: o.grep } : {}), ...(o.watch ? { watch: true } : {}) }, io);
      else if (kind === 'drift') code = await driftCommand(ep, flags, io);
      else if (kind === 'agents' && o.watch) code = await (await import('./watch.js')).watchAgents(ep, flags.format, LISTINGS.agents, io);
      else code = await getCommand(ep, kind, { ...flags, ...(o.grep ? { grep: o.grep } : {}) }, io);
    });

  connection(program.command('apply'))
    .description('check definition files, show the plan, and apply it as a new version')
    .requiredOption('-f, --file <dir>', 'folder (or file) of YAML definitions')
    .option('--yes', 'apply without asking (for scripts and CI)')
    .option('--plan', 'show the plan only')
    .action(async (o: { server?: string; token?: string; file: string; yes?: boolean; plan?: boolean }) => {
      const { applyCommand } = await import('./definitions-commands.js');
      code = await applyCommand(await endpoint(o), o.file, { ...(o.yes ? { yes: true } : {}), ...(o.plan ? { planOnly: true } : {}) }, io);
    });

  addPackCommands(program, connection, io, done, { outputOption, outputFormatOf });

  connection(program.command('export'))
    .description('write the current definitions back to YAML files')
    .option('-o, --out <dir>', 'folder to write into (default: print them)')
    .action(async (o: { server?: string; token?: string; out?: string }) => {
      const { exportCommand } = await import('./definitions-commands.js');
      code = await exportCommand(await endpoint(o), o.out, io);
    });

  connection(program.command('drift'))
    .description('list hosts not on the current definitions version (exit 1 when any drifts)')
    .option('--json', 'print JSON')
    .action(async (o: { server?: string; token?: string; json?: boolean }) => {
      const { driftCommand } = await import('./definitions-commands.js');
      code = await driftCommand(await endpoint(o), { format: o.json ? 'json' : 'table' }, io);
    });

  for (const [name, approve] of [
    ['approve', true],
    ['deny', false],
  ] as const) {
    connection(program.command(name))
      .description(`${name} a bot run waiting for approval`)
      .argument('<id>', 'the approval id (breakwater get events, or the approval_requested notification)')
      .action(async (id: string, o: { server?: string; token?: string }) => {
        const { decideCommand } = await import('./definitions-commands.js');
        code = await decideCommand(await endpoint(o), id, approve, io);
      });
  }

  connection(program.command('schedule'))
    .description('run a schedule now, as its tick would (operator role; recorded and audited)')
    .argument('<verb>', 'run')
    .argument('<name>', 'the schedule (breakwater get schedules)')
    .action(async (verb: string, name: string, o: { server?: string; token?: string }) => {
      if (verb !== 'run') throw new BreakwaterError('BW_ERR_CONFIG', `breakwater schedule: unknown verb ${JSON.stringify(verb)}: expected \`run <name>\``);
      const { scheduleRunCommand } = await import('./definitions-commands.js');
      code = await scheduleRunCommand(await endpoint(o), name, io);
    });

  connection(program.command('backtest'))
    .description("replay an alarm over the agents' stored metrics: when it would have fired and cleared")
    .argument('<file>', 'a YAML file holding the alarm (and any custom metrics it uses)')
    .option('--hours <n>', 'how far back (default 1; per-second history covers the last hour)', '1')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { server?: string; token?: string; hours: string; json?: boolean }) => {
      const hours = Number(o.hours);
      if (!(hours > 0 && hours <= 24)) throw new BreakwaterError('BW_ERR_CONFIG', `--hours: expected a number of hours from 0 to 24, found ${JSON.stringify(o.hours)}`);
      const { backtestCommand } = await import('./definitions-commands.js');
      code = await backtestCommand(await endpoint(o), file, { hours, ...(o.json ? { json: true } : {}) }, io);
    });

  const token = program.command('token').description('manage API and join tokens');
  connection(token.command('create'))
    .description('create a token; the secret is printed once')
    .addOption(new Option('--role <role>', 'what it may do').choices(['agent', 'viewer', 'operator', 'admin']).makeOptionMandatory())
    .option('--name <name>', 'a name for the audit log', `token-${Date.now().toString(36)}`)
    .option('--expires <duration>', 'lifetime, e.g. 30d, or never (default: 24h for join tokens, never for the others)')
    .option('--uses <n>', 'join tokens: how many agents it may enroll (default: any number until it expires)')
    .option('--json', 'print JSON')
    .action(async (o: { server?: string; token?: string; role: string; name: string; expires?: string; uses?: string; json?: boolean }) => {
      const { tokenCreateCommand } = await import('./admin-commands.js');
      code = await tokenCreateCommand(await endpoint(o), { role: o.role, name: o.name, ...(await tokenLimits(o)), ...(o.json ? { json: true } : {}) }, io);
    });
  connection(token.command('revoke'))
    .description('revoke a token by name or id; agents a join token enrolled keep their own credentials')
    .argument('<token>', 'the token\'s name (when one active token has it) or id')
    .action(async (which: string, o: { server?: string; token?: string }) => {
      const { tokenRevokeCommand } = await import('./agent-admin-commands.js');
      code = await tokenRevokeCommand(await endpoint(o), which, io);
    });

  addSecretCommands(program, connection, io, done);
  addOperateCommands(program, connection, io, done, { outputOption, outputFormatOf });

  program
    .command('server')
    .description('run the control plane (SQLite in --data, or PostgreSQL with --store)')
    .option('--port <port>', 'HTTP port', '7070')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--data <dir>', 'data directory', '.breakwater')
    .option('--store <url>', 'postgres://... to use PostgreSQL')
    .option('--max-targets <n>', 'blast radius: commands and actions reaching more resources need --yes (default 10)')
    .option('--webhook <url>', 'POST alarm, escalation and approval events here as JSON; repeat for more (no user:password in the URL: set $BREAKWATER_WEBHOOK_AUTHORIZATION)', collect)
    .option('--public-url <url>', 'the web UI\'s address as people reach it, for links in Slack messages (default this server\'s own address)')
    .option('--pagerduty-url <url>', 'PagerDuty Events API v2 endpoint of pagerduty integrations (default https://events.pagerduty.com/v2/enqueue)')
    .option('--probe-allow <cidr|host:port>', 'targets a viewer\'s http_ok/tcp_ok may probe (operators probe any); repeat for more', collect)
    .option('--run-output-visibility <who>', 'who reads run output: operator (operators, admins and whoever ran it; default) or all')
    .option('--metrics-auth <how>', 'who may scrape GET /metrics: token (any viewer token, as Authorization: Bearer; default) or none')
    .option('--log-level <level>', 'debug, info, warn, error or silent')
    .option('--agent-quota <kind=n>', 'what one agent may send per minute: events=600, rows=600000, permits=60 (the defaults); repeat for more', collect)
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM, with its chain); default: a generated one in <data>/tls')
    .option('--tls-key <file>', "the certificate's private key (PEM)")
    .option('--tls-san <name>', 'another DNS name or IP address for the generated certificate; repeat for more', collect)
    .option('--client-ca <file>', "mutual TLS: agents' WebSockets must present a client certificate signed by this CA (with <data>/tls/ca.pem, enrollment issues them)")
    .option('--no-tls', 'plain HTTP, for a TLS-terminating proxy in front (tokens and commands travel unencrypted otherwise)')
    .option('--bus <url>', 'scaled mode: nats://HOST:PORT (or tls://) of NATS with JetStream; needs --store postgres://…')
    .option('--nats-creds <file>', 'NATS credentials file (JWT and nkey seed) for --bus')
    .option('--nats-prefix <prefix>', 'subject prefix of this fleet on NATS (default bw)')
    .option('--nats-ca <file>', "CA file for the NATS server's certificate (turns TLS on)")
    .option('--nats-account-seed <file>', "scaled mode: the NATS account signing key (account-signing-key.json of nats-setup); enrollment then issues each agent its NATS credentials (default: $BREAKWATER_NATS_ACCOUNT_SEED_FILE)")
    .action(async (o: ServerFlags) => {
      code = await (await import('./server-command.js')).serverCommand(o, io);
    });

  program
    .command('nats-setup')
    .description('scaled mode: make a NATS operator and accounts (JWT/nkey) and write the nats-server include, the replicas\' creds and the signing key for agents\' credentials')
    .requiredOption('--out <dir>', 'a new directory to write them into (existing files are never replaced)')
    .option('--prefix <prefix>', 'the fleet\'s NATS subject prefix', 'bw')
    .action(async (o: NatsSetupFlags) => {
      code = await (await import('./nats-setup-command.js')).natsSetupCommand(o, io);
    });

  // Listed here for `breakwater --help`; the command line after `agent` is the agent's own
  // (agentMain, the same as the `breakwater-agent` binary), handled before commander below.
  const agent = program
    .command('agent')
    .description('run the agent on this host (the same as the breakwater-agent binary, which loads less); or `agent revoke|delete NAME`')
    .helpOption(false)
    .addHelpText('after', `\n${agentUsage()}`);
  // The parent's help is the daemon's (agentMain); these subcommands have their own.
  connection(agent.command('revoke').helpOption('-h, --help', 'display help for command'))
    .description("end an agent's credential and disconnect it at once; the host stays in the inventory and may enroll again with a join token")
    .argument('<name>', 'the agent')
    .action(async (name: string, o: { server?: string; token?: string }) => {
      const { agentRevokeCommand } = await import('./agent-admin-commands.js');
      code = await agentRevokeCommand(await endpoint(o), name, io);
    });
  connection(agent.command('delete').helpOption('-h, --help', 'display help for command'))
    .description('remove an agent and its credential from the inventory, disconnecting it at once; its name is free again')
    .argument('<name>', 'the agent')
    .action(async (name: string, o: { server?: string; token?: string }) => {
      const { agentDeleteCommand } = await import('./agent-admin-commands.js');
      code = await agentDeleteCommand(await endpoint(o), name, io);
    });

  program
    .command('lab')
    .description('start a local lab: a control plane and N real agent processes on this machine')
    .option('--hosts <n>', 'how many hosts, each a real agent process (default 3)')
    .option('--agents <n>', 'the same as --hosts')
    .option('--services', "run the lab's demo service on each host (what the demo's faults act on); default none")
    .option('--max-targets <n>', "the control plane's blast radius: commands and actions reaching more resources need --yes (default 10)")
    .option('--no-tls', 'the control plane serves plain HTTP (http:// URL, no CA); agents and the CLI use it as is')
    .option('--port <port>', 'control plane port (default: a free one)')
    .option('--dir <dir>', 'working directory for the lab')
    .option('--scaled', 'the scaled mode: control-plane replicas on this machine\'s PostgreSQL (127.0.0.1:5432) and NATS (127.0.0.1:4222), in a database and subject prefix of the lab\'s own')
    .option('--replicas <n>', 'with --scaled: how many control planes (default 2)')
    .action(async (o: LabFlags) => {
      code = await (await import('./lab-command.js')).labCommand(o, io);
    });

  program
    .command('swarm')
    .description('run N simulated agents in this process (synthetic metrics, built-in commands) for load tests')
    .option('--server <url>', 'control plane URL (default: $BREAKWATER_SERVER)')
    .option('--token <token>', 'join token (default: $BREAKWATER_JOIN_TOKEN)')
    .option('--ca <file>', "the control plane's CA, PEM (default: $BREAKWATER_CA)")
    .requiredOption('--agents <n>', 'how many simulated agents')
    .option('--prefix <prefix>', 'agents are named <prefix>-1 … <prefix>-N', 'swarm')
    .option('--retention <duration>', 'per-second history each agent keeps (default 5m)')
    .option('--concurrency <n>', 'agents enrolling and connecting at once (default 50)')
    .option('--collect-interval <duration>', 'metric collection interval (default 1s)')
    .option('--log-level <level>', 'debug, info, warn, error or silent (default warn)')
    .option('--bus <nats-url>', 'scaled mode: the agents share one NATS connection instead of a WebSocket each (they still enroll with --server)')
    .option('--nats-prefix <prefix>', 'NATS subject prefix of the fleet (default bw)')
    .option('--nats-creds <file>', 'NATS credentials file, for a NATS that requires one')
    .action(async (o: SwarmFlags) => {
      code = await (await import('./swarm-command.js')).swarmCommand(o, io);
    });

  program
    .command('explain')
    .description('explain a stage, metric, attribute, function or resource type of the language; no name: list them all')
    .argument('[entry]', 'a name from the catalogue, e.g. disk_usage, top, rate, host')
    .option('--json', 'print the entries as JSON')
    .action(async (name: string | undefined, o: { json?: boolean }) => {
      code = await (await import('./explain-command.js')).explainCommand(name, o, io);
    });

  program
    .command('completion')
    .description('print the shell completion script: source <(breakwater completion bash), or zsh, or fish')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: 'bash' | 'zsh' | 'fish') => {
      code = (await import('./completion-command.js')).completionCommand(shell, io);
    });

  program
    .command('demo')
    .description('the local demo: a lab of 4 hosts, the lab pack applied, two faults fixed live; runs until Ctrl-C')
    .action(async () => {
      code = await (await import('./demo-command.js')).demoCommand(io);
    });

  try {
    // What the completion scripts call at each Tab: candidates from the program above.
    if (argv[0] === '__complete') return await (await import('./complete-command.js')).completeCommand(program, argv.slice(1), io);
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof BreakwaterError) {
      const style = styleFor(io.stderr, io.env);
      io.stderr.write(`${style.red('error')}: ${err.message} ${style.dim(`[${err.code}]`)}\n`);
      return err.code === 'BW_ERR_CONFIG' ? EXIT.usage : EXIT.failed;
    }
    throw err;
  }
  return code;
}

/** A duration flag (`30s`, `5m`) in ms; the parser is the agent's, loaded only when such a flag is given. */
async function flagDurationMs(option: string, value: string): Promise<number> {
  return (await import('../agent/index.js')).durationMs(option, value);
}

/** `--expires D|never` and `--uses N` of `token create`, as the API's fields (omitted: the server's defaults). */
async function tokenLimits(o: { expires?: string; uses?: string }): Promise<{ expiresInSeconds?: number | null; uses?: number }> {
  let expiresInSeconds: number | null | undefined;
  if (o.expires === 'never') expiresInSeconds = null;
  else if (o.expires !== undefined) {
    expiresInSeconds = Math.round((await flagDurationMs('--expires', o.expires)) / 1000);
    // Rounded to 0, a sub-second lifetime would be sent as none at all: a token that never expires.
    if (expiresInSeconds === 0) throw new BreakwaterError('BW_ERR_CONFIG', `--expires: expected at least 1s or never, found ${JSON.stringify(o.expires)}`);
  }
  let uses: number | undefined;
  if (o.uses !== undefined) {
    uses = Number(o.uses);
    if (!/^\d+$/.test(o.uses) || uses < 1) throw new BreakwaterError('BW_ERR_CONFIG', `--uses: expected a whole number of at least 1, found ${JSON.stringify(o.uses)}`);
  }
  return { ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }), ...(uses === undefined ? {} : { uses }) };
}
