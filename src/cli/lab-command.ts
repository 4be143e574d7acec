import type { LabOptions } from '../lab/index.js';
import { startLab } from '../lab/index.js';
import { BreakwaterError } from '../protocol/index.js';
import { untilSignal } from './daemon-support.js';
import type { Io } from './io.js';

/** `breakwater lab`'s flags as commander gives them. */
export interface LabFlags {
  hosts: string;
  port?: string;
  dir?: string;
  scaled?: boolean;
  replicas?: string;
}

/**
 * The lab's options from its flags; a flag out of range is a BW_ERR_CONFIG naming it.
 *
 * @example
 * labOptions({ hosts: '3', scaled: true, replicas: '2' }) // { hosts: 3, scaled: { replicas: 2 } }
 */
export function labOptions(flags: LabFlags): LabOptions {
  const hosts = wholeNumber(flags.hosts);
  if (hosts === undefined || hosts < 1) throw new BreakwaterError('BW_ERR_CONFIG', `--hosts: expected a whole number of at least 1, found ${JSON.stringify(flags.hosts)}`);
  const port = flags.port === undefined ? undefined : wholeNumber(flags.port);
  if (port === undefined ? flags.port !== undefined : port > 65535) throw new BreakwaterError('BW_ERR_CONFIG', `--port: expected a port number, found ${JSON.stringify(flags.port)}`);
  if (flags.replicas !== undefined && !flags.scaled) throw new BreakwaterError('BW_ERR_CONFIG', '--replicas needs --scaled: the embedded mode has one control plane');
  const replicas = flags.replicas === undefined ? 2 : wholeNumber(flags.replicas);
  if (replicas === undefined || replicas < 1 || replicas > 9) throw new BreakwaterError('BW_ERR_CONFIG', `--replicas: expected a whole number from 1 to 9, found ${JSON.stringify(flags.replicas)}`);
  return { hosts, ...(port !== undefined ? { port } : {}), ...(flags.dir ? { dir: flags.dir } : {}), ...(flags.scaled ? { scaled: { replicas } } : {}) };
}

/** Digits only, as a number (Number('') is 0 and Number('1e3') 1000: neither is a count someone typed). */
function wholeNumber(text: string): number | undefined {
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

/** `breakwater lab --hosts N [--scaled [--replicas N]]`: prints the connection lines once ready, stops everything on Ctrl-C. */
export async function labCommand(flags: LabFlags, io: Io): Promise<number> {
  const options = labOptions(flags);
  const scaled = options.scaled ? `, ${options.scaled.replicas} control plane${options.scaled.replicas === 1 ? '' : 's'} on PostgreSQL and NATS` : '';
  io.stderr.write(`starting a lab of ${options.hosts} host${options.hosts === 1 ? '' : 's'}${scaled}...\n`);
  const lab = await startLab(options);
  io.stderr.write(`lab ready: ${lab.hosts.map((h) => h.name).join(', ')} (logs in ${lab.dir}/logs). Ctrl-C stops everything.\n`);
  if (lab.scaled) {
    io.stderr.write(`control planes: ${lab.replicas.map((r) => r.server).join(', ')}\n`);
    io.stderr.write(`store: database ${lab.scaled.database}; NATS ${lab.scaled.bus}, subject prefix ${lab.scaled.prefix} (both removed on stop)\n`);
  }
  io.stdout.write(`BREAKWATER_SERVER=${lab.server}\nBREAKWATER_CA=${lab.ca}\nBREAKWATER_TOKEN=${lab.token}\n`);
  await untilSignal();
  io.stderr.write('stopping the lab...\n');
  await lab.stop();
  return 0;
}
