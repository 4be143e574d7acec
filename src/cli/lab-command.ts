import { startLab } from '../lab/index.js';
import { BreakwaterError } from '../protocol/index.js';
import { untilSignal } from './daemon-support.js';
import type { Io } from './io.js';

/** `breakwater lab --hosts N`: prints the connection lines once ready, stops everything on Ctrl-C. */
export async function labCommand(flags: { hosts: string; port?: string; dir?: string }, io: Io): Promise<number> {
  const hosts = Number(flags.hosts);
  if (!Number.isInteger(hosts) || hosts < 1) throw new BreakwaterError('BW_ERR_CONFIG', `--hosts: expected a whole number of at least 1, found ${JSON.stringify(flags.hosts)}`);
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new BreakwaterError('BW_ERR_CONFIG', `--port: expected a port number, found ${JSON.stringify(flags.port)}`);
  io.stderr.write(`starting a lab of ${hosts} host${hosts === 1 ? '' : 's'}...\n`);
  const lab = await startLab({ hosts, ...(port !== undefined ? { port } : {}), ...(flags.dir ? { dir: flags.dir } : {}) });
  io.stderr.write(`lab ready: ${lab.hosts.map((h) => h.name).join(', ')} (logs in ${lab.dir}/logs). Ctrl-C stops everything.\n`);
  io.stdout.write(`BREAKWATER_SERVER=${lab.server}\nBREAKWATER_CA=${lab.ca}\nBREAKWATER_TOKEN=${lab.token}\n`);
  await untilSignal();
  io.stderr.write('stopping the lab...\n');
  await lab.stop();
  return 0;
}
