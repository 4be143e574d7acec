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
  return new Option('-o, --output <format>', 'how to print: table (the default), wide (more columns), json, yaml, name (kind/name, one a line)').choices(OUTPUT_FORMATS);
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
 * need it, and the CLI's start-up time is what an operator waits for). YAML 1.2, with any string
 * a YAML 1.1 reader (PyYAML, older tools) would read as something else quoted too: `"yes"`,
 * `"on"`, `"1:20"`, `"1_000"` stay strings everywhere.
 *
 * @example
 * io.stdout.write(await yamlDocuments([{ name: 'web-1', enabled: 'yes' }])); // '---\nname: web-1\nenabled: "yes"\n'
 */
export async function yamlDocuments(values: readonly unknown[]): Promise<string> {
  const { Document, Scalar, parse, visit } = await import('yaml');
  /** Read as itself, alone on a line, by both versions of YAML. */
  const plainEverywhere = (s: string) => {
    try {
      return parse(s, { version: '1.1', logLevel: 'silent' }) === s && parse(s, { logLevel: 'silent' }) === s;
    } catch {
      return false;
    }
  };
  return values
    .map((v) => {
      const doc = new Document(v);
      visit(doc, {
        Scalar(_, node) {
          // Booleans, numbers, dates and nulls are short one-liners: longer text is never one of them.
          if (typeof node.value === 'string' && node.value.length < 64 && !node.value.includes('\n') && !plainEverywhere(node.value)) node.type = Scalar.QUOTE_DOUBLE;
        },
      });
      return `---\n${doc.toString({ lineWidth: 0 })}`;
    })
    .join('');
}
