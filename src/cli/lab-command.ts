import type { LabOptions, LabProgress } from '../lab/index.js';
import { startLab } from '../lab/index.js';
import { BreakwaterError } from '../protocol/index.js';
import { untilSignal } from './daemon-support.js';
import type { Io } from './io.js';
import { styleFor } from './style.js';

/** `breakwater lab`'s flags as commander gives them. */
export interface LabFlags {
  hosts?: string;
  /** The same as --hosts (each host is one agent). */
  agents?: string;
  port?: string;
  dir?: string;
  scaled?: boolean;
  replicas?: string;
  services?: boolean;
  maxTargets?: string;
  /** False with --no-tls. */
  tls?: boolean;
}

const DEFAULT_HOSTS = '3';

/**
 * The lab's options from its flags; a flag out of range is a BW_ERR_CONFIG naming it.
 *
 * @example
 * labOptions({ hosts: '3', scaled: true, replicas: '2' }) // { hosts: 3, scaled: { replicas: 2 } }
 * labOptions({ agents: '200', maxTargets: '500', tls: false }) // { hosts: 200, maxTargets: 500, noTls: true }
 */
export function labOptions(flags: LabFlags): LabOptions {
  if (flags.hosts !== undefined && flags.agents !== undefined && flags.hosts !== flags.agents) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--hosts ${JSON.stringify(flags.hosts)} and --agents ${JSON.stringify(flags.agents)} disagree: they are the same count (one agent per host); give one`);
  }
  const count = flags.agents ?? flags.hosts ?? DEFAULT_HOSTS;
  const hosts = wholeNumber(count);
  if (hosts === undefined || hosts < 1) throw new BreakwaterError('BW_ERR_CONFIG', `--${flags.agents === undefined ? 'hosts' : 'agents'}: expected a whole number of at least 1, found ${JSON.stringify(count)}`);
  const port = flags.port === undefined ? undefined : wholeNumber(flags.port);
  if (port === undefined ? flags.port !== undefined : port > 65535) throw new BreakwaterError('BW_ERR_CONFIG', `--port: expected a port number, found ${JSON.stringify(flags.port)}`);
  if (flags.replicas !== undefined && !flags.scaled) throw new BreakwaterError('BW_ERR_CONFIG', '--replicas needs --scaled: the embedded mode has one control plane');
  const replicas = flags.replicas === undefined ? 2 : wholeNumber(flags.replicas);
  if (replicas === undefined || replicas < 1 || replicas > 9) throw new BreakwaterError('BW_ERR_CONFIG', `--replicas: expected a whole number from 1 to 9, found ${JSON.stringify(flags.replicas)}`);
  const maxTargets = flags.maxTargets === undefined ? undefined : wholeNumber(flags.maxTargets);
  if (maxTargets === undefined ? flags.maxTargets !== undefined : maxTargets < 1) throw new BreakwaterError('BW_ERR_CONFIG', `--max-targets: expected a whole number of at least 1, found ${JSON.stringify(flags.maxTargets)}`);
  return {
    hosts,
    ...(port !== undefined ? { port } : {}),
    ...(flags.dir ? { dir: flags.dir } : {}),
    ...(flags.scaled ? { scaled: { replicas } } : {}),
    ...(flags.services ? { apps: true } : {}),
    ...(maxTargets !== undefined ? { maxTargets } : {}),
    ...(flags.tls === false ? { noTls: true } : {}),
  };
}

/** Digits only, as a number (Number('') is 0 and Number('1e3') 1000: neither is a count someone typed). */
function wholeNumber(text: string): number | undefined {
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

/**
 * Prints a lab's start-up progress on `stream`: one line rewritten in place on a terminal; else a
 * line when the count changed, at most every `everyMs`, and the last one. `done()` ends the line.
 *
 * @example
 * const progress = progressPrinter(io.stderr, io.env);
 * await startLab({ hosts: 200, onProgress: progress.update }); // agents: 120/200 connected (34 s)
 * progress.done();
 */
export function progressPrinter(stream: Io['stderr'], env: NodeJS.ProcessEnv, everyMs = 2000): { update(p: LabProgress): void; done(): void } {
  const style = styleFor(stream, env);
  const tty = stream.isTTY === true;
  let shown: LabProgress | undefined;
  let shownAt = -Infinity;
  let open = false;
  const line = (p: LabProgress) => `agents: ${style.bold(`${p.connected}/${p.total}`)} connected ${style.dim(`(${Math.round(p.elapsedMs / 1000)} s)`)}`;
  return {
    update(p) {
      if (tty) {
        stream.write(`\r\u001b[2K${line(p)}`);
        open = true;
        return;
      }
      const complete = p.connected === p.total;
      if (p.connected === shown?.connected || (!complete && p.elapsedMs - shownAt < everyMs)) return;
      stream.write(`${line(p)}\n`);
      shown = p;
      shownAt = p.elapsedMs;
    },
    done() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}

/** Names of a few hosts: all of up to six, else the first three and the last. */
function someNames(names: readonly string[]): string {
  return names.length <= 6 ? names.join(', ') : `${names.slice(0, 3).join(', ')}, …, ${names.at(-1)}`;
}

/**
 * `breakwater lab --hosts N [--services] [--max-targets N] [--no-tls] [--scaled [--replicas N]]`:
 * prints progress while the agents start and the connection lines once ready; stops everything on Ctrl-C.
 */
export async function labCommand(flags: LabFlags, io: Io): Promise<number> {
  const options = labOptions(flags);
  const scaled = options.scaled ? `, ${options.scaled.replicas} control plane${options.scaled.replicas === 1 ? '' : 's'} on PostgreSQL and NATS` : '';
  io.stderr.write(`starting a lab of ${options.hosts} host${options.hosts === 1 ? '' : 's'}${scaled}${options.apps ? ', each with the lab service' : ''}...\n`);
  const started = Date.now();
  const progress = progressPrinter(io.stderr, io.env);
  const lab = await startLab({ ...options, onProgress: progress.update }).finally(() => progress.done());
  // Listening before the ready lines: a script that reads them and signals at once must stop the lab, not kill it.
  const stopAsked = untilSignal();
  const seconds = Math.round((Date.now() - started) / 1000);
  io.stderr.write(`lab ready in ${seconds} s: ${lab.hosts.length} host${lab.hosts.length === 1 ? '' : 's'} (${someNames(lab.hosts.map((h) => h.name))}), logs in ${lab.dir}/logs. Ctrl-C stops everything.\n`);
  if (lab.scaled) {
    io.stderr.write(`control planes: ${lab.replicas.map((r) => r.server).join(', ')}\n`);
    io.stderr.write(`store: database ${lab.scaled.database}; NATS ${lab.scaled.bus}, subject prefix ${lab.scaled.prefix} (both removed on stop)\n`);
  }
  if (!lab.ca) io.stderr.write('TLS off (--no-tls): tokens and commands travel unencrypted, on this machine only\n');
  io.stdout.write(`BREAKWATER_SERVER=${lab.server}\n${lab.ca ? `BREAKWATER_CA=${lab.ca}\n` : ''}BREAKWATER_TOKEN=${lab.token}\n`);
  await stopAsked;
  io.stderr.write('stopping the lab...\n');
  await lab.stop();
  return 0;
}
