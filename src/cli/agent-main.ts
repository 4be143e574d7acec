/**
 * `breakwater-agent`: the agent alone, for the hosts of a fleet. The same daemon as `breakwater
 * agent`, without the rest of the command line, bundled into one file by `npm run build`
 * (dist/breakwater-agent.js) so that every host keeps as little code in memory as possible
 * (docs/design-decisions.md, "The agent's memory").
 *
 * @example
 * process.exitCode = await agentMain(['--server', 'https://bw.example.com', '--token', joinToken]);
 */
import { BreakwaterError, redactText } from '../protocol/index.js';
import { agentCommand, parseAgentFlags } from './agent-command.js';
import { agentUsage } from './agent-flags.js';
import type { Io } from './io.js';
import { processIo } from './io.js';
import { styleFor } from './style.js';

/** Exit codes as the CLI's: 0 stopped cleanly, 1 failed, 2 the command line was wrong. */
export async function agentMain(argv: readonly string[], io: Io = processIo, command = 'breakwater-agent'): Promise<number> {
  try {
    const flags = parseAgentFlags(argv);
    if (flags === 'help') {
      io.stdout.write(`Usage: ${command} [options]\n\nRun the Breakwater agent on this host.\n\n${agentUsage()}`);
      return 0;
    }
    return await agentCommand(flags, io);
  } catch (err) {
    if (!(err instanceof BreakwaterError)) throw err;
    const style = styleFor(io.stderr, io.env);
    // On a host this line goes to the journal: what the control plane answered may quote a secret.
    io.stderr.write(`${style.red('error')}: ${redactText(err.message)} ${style.dim(`[${err.code}]`)}\n`);
    return err.code === 'BW_ERR_CONFIG' ? 2 : 1;
  }
}
