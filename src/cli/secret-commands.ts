import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { BreakwaterError } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import type { Connection, ConnectionFlags } from './command-wiring.js';
import type { Io } from './io.js';
import { readAll } from './io.js';


/**
 * `breakwater secret set NAME` (the value from standard input or --from-file,
 * never from the command line, where `ps` and shell history would show it),
 * `secret list` (never values) and `secret rotate-key`. The API client is loaded when one of them
 * runs, not when the command line is built (see index.ts).
 */
export function addSecretCommands(program: Command, connection: Connection, io: Io, done: (code: number) => void): void {
  const secret = program.command('secret').description('set and list secrets (values are stored encrypted and sent only to the hosts a secret selects)');
  connection(secret.command('set'))
    .description('set a secret\'s value, read from standard input (one trailing newline dropped) or --from-file')
    .argument('<name>', 'the secret, as defined (`kind: secret`)')
    .option('--from-file <path>', 'read the value from this file instead of standard input')
    .action(async (name: string, o: ConnectionFlags & { fromFile?: string }) => {
      const { endpointFrom } = await import('./api.js');
      done(await secretSetCommand(endpointFrom(o, io.env), name, o.fromFile, io));
    });
  connection(secret.command('list'))
    .description('the secrets: name, hosts, where the value comes from, set or not, last update (never values)')
    .option('--json', 'print JSON')
    .action(async (o: ConnectionFlags & { json?: boolean }) => {
      const { endpointFrom } = await import('./api.js');
      done(await secretListCommand(endpointFrom(o, io.env), o.json === true, io));
    });
  connection(secret.command('rotate-key'))
    .description('re-encrypt every stored value with a new key (secret.key in the control plane\'s data directory)')
    .action(async (o: ConnectionFlags) => {
      const { endpointFrom, postJson } = await import('./api.js');
      const { reencrypted } = await postJson<{ reencrypted: number }>(endpointFrom(o, io.env), '/api/v1/secrets/rotate-key', {});
      io.stderr.write(`Rotated the secret key: ${reencrypted} value(s) re-encrypted.\n`);
      done(0);
    });
}

async function secretSetCommand(ep: Endpoint, name: string, fromFile: string | undefined, io: Io): Promise<number> {
  if (!fromFile && (io.stdin as { isTTY?: boolean }).isTTY) io.stderr.write(`Type the value of ${name}, then Ctrl-D:\n`);
  const raw = fromFile ? await readFile(fromFile, 'utf8') : await readAll(io.stdin);
  const value = raw.replace(/\r?\n$/, '');
  if (value === '') throw new BreakwaterError('BW_ERR_CONFIG', `no value for secret ${name}: ${fromFile ? `${fromFile} is empty` : 'standard input was empty'}`);
  const { request } = await import('./api.js');
  const res = await request(ep, 'PUT', `/api/v1/secrets/${encodeURIComponent(name)}`, { value });
  await res.body?.cancel();
  io.stderr.write(`Set secret ${name}; the agents it selects receive it now.\n`);
  return 0;
}

async function secretListCommand(ep: Endpoint, json: boolean, io: Io): Promise<number> {
  const [{ getJson }, { printListing }] = await Promise.all([import('./api.js'), import('./listing.js')]);
  const items = await getJson<Record<string, unknown>[]>(ep, '/api/v1/secrets');
  await printListing(io, json ? 'json' : 'table', items, {
    columns: [
      ['NAME', (i) => String(i.name)],
      ['HOSTS', (i) => String(i.hosts)],
      ['SOURCE', (i) => String(i.source)],
      ['VALUE', (i) => `${String(i.value)}${i.problem ? `: ${String(i.problem)}` : ''}`],
      ['UPDATED', (i) => (typeof i.updatedAt === 'number' ? `${new Date(i.updatedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')} by ${String(i.updatedBy)}` : '-')],
    ],
    name: (i) => `secret/${String(i.name)}`,
  });
  return 0;
}
