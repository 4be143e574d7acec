import { Option } from 'commander';
import { BreakwaterError } from '../protocol/index.js';

/** What `-o` may ask for, as kubectl spells them. */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'wide', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * The `-o, --output` option shared by every `get` and `run`; commander refuses any other value
 * with the valid ones listed (exit 2).
 *
 * @example
 * program.command('get').addOption(outputOption()).option('--json', 'the same as -o json');
 */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'table (default), wide (more columns), json, yaml, or name (kind/name, one a line)').choices(OUTPUT_FORMATS);
}

/**
 * The format the flags ask for: `--json` is kept as `-o json`; both with different formats is a
 * mistake worth saying rather than guessing.
 *
 * @example
 * outputFormatOf({ json: true }); // 'json'
 */
export function outputFormatOf(flags: { output?: string; json?: boolean }): OutputFormat {
  const asked = flags.output ?? (flags.json ? 'json' : 'table');
  if (!(OUTPUT_FORMATS as readonly string[]).includes(asked)) throw new BreakwaterError('BW_ERR_CONFIG', `-o: expected one of ${OUTPUT_FORMATS.join(', ')}, found ${JSON.stringify(asked)}`);
  if (flags.json && asked !== 'json') throw new BreakwaterError('BW_ERR_CONFIG', `--json is -o json: it cannot go with -o ${asked}`);
  return asked as OutputFormat;
}

/** Formats for people (aligned, coloured), as opposed to those for programs. */
export const forPeople = (format: OutputFormat): boolean => format === 'table' || format === 'wide';

/**
 * Values as YAML documents, the `yaml` library loaded only when asked for (most commands never
 * need it, and the CLI's start-up time is what an operator waits for).
 *
 * @example
 * io.stdout.write(await yamlDocuments([{ name: 'web-1' }])); // "---\nname: web-1\n"
 */
export async function yamlDocuments(values: readonly unknown[]): Promise<string> {
  const { stringify } = await import('yaml');
  return values.map((v) => `---\n${stringify(v, { lineWidth: 0 })}`).join('');
}
