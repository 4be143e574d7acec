import { parseArgs } from 'node:util';
import { createAgent, resolveAgentConfig, type AgentOptions } from '../agent/index.js';
import { BreakwaterError } from '../protocol/index.js';
import { AGENT_FLAGS } from './agent-flags.js';
import { keyValues, untilSignal } from './daemon-support.js';
import type { Io } from './io.js';

/**
 * Reads the agent's command line; a flag that is unknown, lacks its value or is repeated when it
 * may not be is a BW_ERR_CONFIG naming it.
 *
 * @example
 * parseAgentFlags(['--server', 'http://cp:7070', '--tag', 'role=web']) // { server: 'http://cp:7070', tag: ['role=web'] }
 */
export function parseAgentFlags(argv: readonly string[]): AgentFlags | 'help' {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const f of AGENT_FLAGS) options[f.flag] = { type: f.boolean ? 'boolean' : 'string', ...(f.repeat ? { multiple: true } : {}) };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let given: string[];
  try {
    const parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false, tokens: true });
    values = parsed.values;
    given = parsed.tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : []));
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONFIG', `${(err as Error).message.split('. To specify')[0]} (flags: ${AGENT_FLAGS.map((f) => `--${f.flag}`).join(', ')})`, {}, { cause: err });
  }
  if (values.help) return 'help';
  for (const f of AGENT_FLAGS) {
    if (!f.repeat && given.filter((name) => name === f.flag).length > 1) throw new BreakwaterError('BW_ERR_CONFIG', `--${f.flag} was given more than once`);
  }
  const flags: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (k !== 'help' && v !== undefined) flags[k.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())] = v;
  return flags as AgentFlags;
}

/** The flags by their camel-cased names: the agent's options where a flag sets one as it is, text and lists of text for the others. */
export type AgentFlags = Partial<Pick<AgentOptions, 'server' | 'token' | 'name' | 'fileRoot' | 'processRoot' | 'hostProc' | 'hostCgroup' | 'healthFile' | 'containerSocket' | 'criSocket' | 'ca' | 'caFingerprint' | 'insecure' | 'clientCert' | 'clientKey' | 'bus' | 'natsCreds' | 'natsPrefix' | 'natsCa' | 'metricsListen' | 'metricsAllowRemote'>> & {
  tag?: string[];
  data?: string;
  mount?: string[];
  logLevel?: string;
  collectInterval?: string;
  env?: string[];
  containers?: string;
};

/** `breakwater agent`: runs the agent daemon until SIGINT/SIGTERM, then drains. */
export async function agentCommand(flags: AgentFlags, io: Io): Promise<number> {
  const server = flags.server ?? io.env.BREAKWATER_SERVER;
  if (!server) throw new BreakwaterError('BW_ERR_CONFIG', 'no control plane: pass --server URL or set BREAKWATER_SERVER');
  const token = flags.token ?? io.env.BREAKWATER_JOIN_TOKEN;
  const mounts = keyValues('--mount', flags.mount);
  const ca = flags.ca ?? (flags.caFingerprint ? undefined : io.env.BREAKWATER_CA);
  const caFingerprint = flags.caFingerprint ?? (flags.ca ? undefined : io.env.BREAKWATER_CA_FINGERPRINT);
  const config = resolveAgentConfig(
    {
      server,
      ...(token ? { token } : {}),
      ...(flags.name ? { name: flags.name } : {}),
      tags: keyValues('--tag', flags.tag),
      ...(flags.data ? { dataDir: flags.data } : {}),
      ...(Object.keys(mounts).length ? { mounts } : {}),
      ...(flags.logLevel ? { logLevel: flags.logLevel as 'info' } : {}),
      ...(flags.collectInterval ? { collectInterval: flags.collectInterval } : {}),
      ...(flags.env?.length ? { env: keyValues('--env', flags.env) } : {}),
      ...(flags.fileRoot ? { fileRoot: flags.fileRoot } : {}),
      ...(flags.processRoot ? { processRoot: flags.processRoot } : {}),
      ...(flags.hostProc ? { hostProc: flags.hostProc } : {}),
      ...(flags.hostCgroup ? { hostCgroup: flags.hostCgroup } : {}),
      ...(flags.healthFile ? { healthFile: flags.healthFile } : {}),
      ...(flags.containers === undefined ? {} : { containers: onOff('--containers', flags.containers) }),
      ...(flags.containerSocket ? { containerSocket: flags.containerSocket } : {}),
      ...(flags.criSocket ? { criSocket: flags.criSocket } : {}),
      ...(ca ? { ca } : {}),
      ...(caFingerprint ? { caFingerprint } : {}),
      ...(flags.insecure ? { insecure: true } : {}),
      ...(flags.clientCert ? { clientCert: flags.clientCert } : {}),
      ...(flags.clientKey ? { clientKey: flags.clientKey } : {}),
      ...(flags.bus ? { bus: flags.bus } : {}),
      ...(flags.natsCreds ? { natsCreds: flags.natsCreds } : {}),
      ...(flags.natsPrefix ? { natsPrefix: flags.natsPrefix } : {}),
      ...(flags.natsCa ? { natsCa: flags.natsCa } : {}),
      ...(flags.metricsListen ? { metricsListen: flags.metricsListen } : {}),
      ...(flags.metricsAllowRemote ? { metricsAllowRemote: true } : {}),
    },
    io.env,
  );
  const agent = await createAgent(config);
  await agent.start();
  const signal = await untilSignal();
  io.stderr.write(`${signal}: draining\n`);
  await agent.stop();
  return 0;
}

/** `on` or `off`, for a switch that is on or off by default depending on other flags. */
function onOff(flag: string, value: string): boolean {
  if (value === 'on' || value === 'off') return value === 'on';
  throw new BreakwaterError('BW_ERR_CONFIG', `${flag}: expected on or off, found ${JSON.stringify(value)}`);
}
