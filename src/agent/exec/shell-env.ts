/*
 * What a command may ask for and what it gets: the checks of a CommandSpec (environment names,
 * cwd, user), the user it runs as (from passwd), and its minimal environment. Parameters travel
 * only as environment variables; the command text is never touched.
 */
import { readFile } from 'node:fs/promises';

import { describe } from './result.js';
import type { CommandSpec } from './types.js';

/** The only variables of the agent's own environment a command sees. */
export const INHERITED_ENV_NAMES: readonly string[] = Object.freeze(['PATH', 'HOME', 'LANG', 'TZ', 'USER']);

/**
 * Names `spec.env` may not set: they change how `/bin/sh` (dash or bash) or the dynamic loader
 * start, so a parameter value put in them could run code before or around the command (bash's
 * `SHELLOPTS=xtrace` + `PS4='$(…)'`, `BASH_ENV`, `ENV`, `LD_PRELOAD`, glibc's `GCONV_PATH`), or
 * change which programs the command's words resolve to (`PATH`, `IFS`). Every name beginning with
 * `LD_` is refused as well. A command that needs another PATH sets it in its own text.
 */
export const RESERVED_ENV_NAMES: readonly string[] = Object.freeze([
  'PATH',
  'IFS',
  'ENV',
  'BASH_ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'GCONV_PATH',
]);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Why `spec` cannot run, or undefined when it can.
 * @example checkSpec({ command: 'df', env: { LD_PRELOAD: 'x.so' }, timeoutMs: 1000, maxOutputBytes: 1024 }); // 'environment variable LD_PRELOAD may not be set ...'
 */
export function checkSpec(spec: CommandSpec): string | undefined {
  if (typeof spec.command !== 'string') return 'command must be a string';
  if (spec.command.includes('\0')) return 'command contains a NUL byte';
  if (typeof spec.timeoutMs !== 'number' || Number.isNaN(spec.timeoutMs) || spec.timeoutMs <= 0) {
    return `timeoutMs must be a number > 0, got ${String(spec.timeoutMs)}`;
  }
  const cap = spec.maxOutputBytes;
  if (typeof cap !== 'number' || !(cap === Infinity || (Number.isInteger(cap) && cap >= 0))) {
    return `maxOutputBytes must be an integer >= 0, got ${String(cap)}`;
  }
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    if (!ENV_NAME.test(name)) {
      return `invalid environment variable name ${JSON.stringify(name)}: names must match ^[A-Za-z_][A-Za-z0-9_]*$`;
    }
    if (RESERVED_ENV_NAMES.includes(name) || name.startsWith('LD_')) {
      return `environment variable ${name} may not be set by a command (it changes how the shell or loader starts)`;
    }
    if (typeof value !== 'string') return `environment variable ${name} must be a string`;
    if (value.includes('\0')) return `environment variable ${name} contains a NUL byte`;
  }
  if (spec.cwd !== undefined && (typeof spec.cwd !== 'string' || spec.cwd === '' || spec.cwd.includes('\0'))) {
    return `invalid cwd ${JSON.stringify(spec.cwd)}`;
  }
  if (spec.user !== undefined && (typeof spec.user !== 'string' || spec.user === '' || /[:\n\0]/.test(spec.user))) {
    return `invalid user ${JSON.stringify(spec.user)}`;
  }
  return undefined;
}

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

async function lookUpUser(user: string, passwdFile: string): Promise<PasswdEntry | string> {
  let text: string;
  try {
    text = await readFile(passwdFile, 'utf8');
  } catch (err) {
    return `cannot read ${passwdFile} to resolve user ${JSON.stringify(user)}: ${describe(err)}`;
  }
  const byUid = /^\d+$/.test(user);
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const [name = '', , uidText = '', gidText = '', , home = ''] = fields;
    const uid = Number(uidText);
    const gid = Number(gidText);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || uidText === '' || gidText === '') continue;
    if (byUid ? uid === Number(user) : name === user) return { name, uid, gid, home };
  }
  return `unknown user ${JSON.stringify(user)}: not in ${passwdFile}`;
}

/** The user a command runs as: spawn credentials (none when it is the agent's own user), HOME and USER. */
export interface RunAs {
  readonly ids?: { uid: number; gid: number };
  readonly home: string;
  readonly name: string;
}

/** Spawn credentials and the user's HOME/USER, or an error message. `getuid` gives the agent's uid. */
export async function resolveUser(user: string, passwdFile: string, getuid: () => number): Promise<RunAs | string> {
  const entry = await lookUpUser(user, passwdFile);
  if (typeof entry === 'string') return entry;
  const me = getuid();
  // Running as oneself needs no privilege: spawn without switching.
  if (entry.uid === me) return { home: entry.home, name: entry.name };
  if (me !== 0) {
    return `cannot run as user ${JSON.stringify(user)}: the agent is not running as root (uid ${me})`;
  }
  // libuv drops supplementary groups (setgroups(0)) when switching; the command gets the user's
  // primary group only.
  return { ids: { uid: entry.uid, gid: entry.gid }, home: entry.home, name: entry.name };
}

/** The command's environment: the inherited names from `baseEnv`, the user's HOME and USER, then `spec.env`. */
export function buildEnv(spec: CommandSpec, baseEnv: Readonly<Record<string, string | undefined>>, who?: RunAs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED_ENV_NAMES) {
    const value = baseEnv[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= DEFAULT_PATH;
  if (who !== undefined) {
    env.HOME = who.home;
    env.USER = who.name;
  }
  for (const [name, value] of Object.entries(spec.env ?? {})) env[name] = value;
  return env;
}
