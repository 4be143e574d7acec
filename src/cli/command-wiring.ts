import type { Command, Option } from 'commander';
import type { OutputFormat } from './output-format.js';

/*
 * The shapes index.ts hands to the modules that add a group of commands (operate, secret, pack):
 * types only, so building the command line loads none of those commands' code.
 */

/** Adds the connection flags (--server, --token, --ca) to a command. */
export type Connection = (cmd: Command) => Command;

/** The `-o` option and how its value is read, as index.ts loaded them (output-format.ts is not loaded before the command line is built). */
export interface OutputFlags {
  outputOption(): Option;
  outputFormatOf(flags: { output?: string; json?: boolean }): OutputFormat;
}

/** The connection flags as commander parses them. */
export interface ConnectionFlags {
  server?: string;
  token?: string;
  ca?: string;
}
