import type { Command } from 'commander';
import type { Endpoint } from './api.js';
import type { Connection, ConnectionFlags, OutputFlags } from './command-wiring.js';
import type { Io } from './io.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `breakwater pack list | show NAME | install NAME [--set k=v ...] [--values FILE]` (docs/packs.md).
 * The packs' code and the API client are loaded when one of them runs, not when the command line
 * is built (see index.ts).
 *
 * @example
 * addPackCommands(program, connection, io, (c) => (code = c), { outputOption, outputFormatOf });
 */
export function addPackCommands(program: Command, connection: Connection, io: Io, done: (code: number) => void, output: OutputFlags): void {
  const { outputOption, outputFormatOf } = output;
  const endpoint = async (o: ConnectionFlags): Promise<Endpoint> => (await import('./api.js')).endpointFrom(o, io.env);
  const pack = program.command('pack').description('packs: parameterised definitions for common problems, installed through the normal plan and apply (docs/packs.md)');
  const packsDir = (c: Command) => c.option('--dir <dir>', "the packs folder (default: the package's own packs/)");
  /** The control plane for `pack list`, when one is configured: without one it lists the packs offline. */
  const optionalEndpoint = async (o: { server?: string; token?: string; ca?: string }) => ((o.server ?? io.env.BREAKWATER_SERVER) ? endpoint(o) : undefined);
  connection(packsDir(pack.command('list')))
    .description('list the packs in the packs folder, and (with a control plane) which version of each is installed')
    .addOption(outputOption())
    .option('--json', 'the same as -o json')
    .action(async (o: { server?: string; token?: string; ca?: string; dir?: string; output?: string; json?: boolean }) => {
      const [{ packListCommand }, { DEFAULT_PACKS_DIR }] = await Promise.all([import('./pack-command.js'), import('./pack-files.js')]);
      done(await packListCommand(o.dir ?? DEFAULT_PACKS_DIR, await optionalEndpoint(o), outputFormatOf(o), io));
    });
  packsDir(pack.command('show'))
    .description('show a pack: what it fixes and replaces, its parameters, files and README')
    .argument('<name>', 'the pack (breakwater pack list)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { dir?: string; json?: boolean }) => {
      const [{ packShowCommand }, { DEFAULT_PACKS_DIR }] = await Promise.all([import('./pack-command.js'), import('./pack-files.js')]);
      done(await packShowCommand(o.dir ?? DEFAULT_PACKS_DIR, name, o.json ? 'json' : 'table', io));
    });
  connection(packsDir(pack.command('install')))
    .description('render a pack with its values and apply it beside the running definitions: the plan shows what it adds or changes')
    .argument('<name>', 'the pack (breakwater pack list)')
    .option('--set <key=value>', 'a parameter value (repeatable); wins over --values, which wins over the defaults', collect, [])
    .option('--values <file>', 'a YAML file of parameter values (`key: value` lines)')
    .option('--yes', 'install without asking (for scripts and CI)')
    .option('--dry-run', 'show the plan only')
    .option('--json', 'print what was planned and applied as JSON')
    .action(async (name: string, o: { server?: string; token?: string; ca?: string; dir?: string; set: string[]; values?: string; yes?: boolean; dryRun?: boolean; json?: boolean }) => {
      const [{ packInstallCommand }, { DEFAULT_PACKS_DIR }] = await Promise.all([import('./pack-command.js'), import('./pack-files.js')]);
      done(await packInstallCommand(await endpoint(o), o.dir ?? DEFAULT_PACKS_DIR, name, { sets: o.set, ...(o.values === undefined ? {} : { values: o.values }), ...(o.yes ? { yes: true } : {}), ...(o.dryRun ? { dryRun: true } : {}), ...(o.json ? { json: true } : {}) }, io));
    });
}
