/* Shared by the long-running commands (server, agent, lab, swarm, demo). */
import { BreakwaterError } from '../protocol/index.js';

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

