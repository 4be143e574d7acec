import { createAgent, resolveAgentConfig } from '../agent/index.js';
import { BreakwaterError } from '../protocol/index.js';
import type { Io } from './io.js';

/** Parses repeated `key=value` flags; the error names the flag and the bad value. */
export function keyValues(flag: string, values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new BreakwaterError('BW_ERR_CONFIG', `${flag}: expected key=value, found ${JSON.stringify(v)}`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Resolves when the process is asked to stop (SIGINT or SIGTERM). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export interface ServerFlags {
  maxTargets?: string;
  webhook?: string[];
  port?: string;
  host?: string;
  data?: string;
  store?: string;
  logLevel?: string;
}

/** `breakwater server`: runs the control plane until SIGINT/SIGTERM. */
export async function serverCommand(flags: ServerFlags, io: Io): Promise<number> {
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new BreakwaterError('BW_ERR_CONFIG', `--port: expected a port number from 0 to 65535, found ${JSON.stringify(flags.port)}`);
  // Loaded here, not at the top: every other command (above all `breakwater agent`, which runs
  // on every host) would otherwise carry fastify, SQLite and PostgreSQL drivers in memory (~30 MB RSS).
  const { startServer } = await import('../server/index.js');
  const server = await startServer({
    ...(port !== undefined ? { port } : {}),
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.data ? { dataDir: flags.data } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    ...(flags.logLevel ? { logLevel: flags.logLevel as 'info' } : {}),
    ...(flags.maxTargets ? { maxTargets: Number(flags.maxTargets) } : {}),
    ...(flags.webhook?.length ? { webhooks: flags.webhook } : {}),
  });
  io.stderr.write(`breakwater control plane listening on ${server.url}\n`);
  if (server.initialAdminToken) {
    io.stderr.write(`\nFirst start: an admin token was created. It is shown only now; store it safely:\n\n  BREAKWATER_TOKEN=${server.initialAdminToken}\n\n`);
  }
  io.stdout.write(`BREAKWATER_SERVER=${server.url}\n`);
  const signal = await untilSignal();
  io.stderr.write(`${signal}: stopping\n`);
  await server.close();
  return 0;
}

export interface AgentFlags {
  server?: string;
  token?: string;
  name?: string;
  tag?: string[];
  data?: string;
  mount?: string[];
  logLevel?: string;
  collectInterval?: string;
  env?: string[];
  fileRoot?: string;
  processRoot?: string;
}

/** `breakwater agent`: runs the agent daemon until SIGINT/SIGTERM, then drains. */
export async function agentCommand(flags: AgentFlags, io: Io): Promise<number> {
  const server = flags.server ?? io.env.BREAKWATER_SERVER;
  if (!server) throw new BreakwaterError('BW_ERR_CONFIG', 'no control plane: pass --server URL or set BREAKWATER_SERVER');
  const token = flags.token ?? io.env.BREAKWATER_JOIN_TOKEN;
  const mounts = keyValues('--mount', flags.mount);
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
