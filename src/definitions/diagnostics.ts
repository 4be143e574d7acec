/**
 * The catalogue of definition diagnostic codes. Codes are stable: scripts, the
 * CLI, the web UI and docs/definitions.md key on them, so a code is never
 * renamed or reused once released. docs/definitions.md lists every one
 * (checked by its test).
 */
export const DEFINITION_DIAGNOSTIC_CODES = {
  BWD_YAML: 'the file is not valid YAML',
  BWD_NOT_A_MAPPING: 'a document or field that must be a mapping (key: value) is something else',
  BWD_UNKNOWN_KIND: 'a kind that does not exist',
  BWD_UNKNOWN_FIELD: 'a field the kind does not have',
  BWD_MISSING_FIELD: 'a required field that is missing or empty',
  BWD_BAD_TYPE: 'a value of the wrong YAML type (a list where a string is expected, ...)',
  BWD_BAD_VALUE: 'a value out of its allowed set or range',
  BWD_BAD_NAME: 'a name that breaks the naming rule of its kind',
  BWD_RESERVED_NAME: 'an action or metric name taken by the language (a function, reduction, resource type, metric or keyword)',
  BWD_DUPLICATE: 'a kind and name defined twice',
  BWD_DUPLICATE_PATH: 'two files placed at the same path (a warning)',
  BWD_BAD_DURATION: 'a duration that does not parse, or is negative or zero where that is not allowed',
  BWD_BAD_SIZE: 'a size that does not parse',
  BWD_CONFLICT: 'fields that cannot be used together, or one of several alternatives missing',
  BWD_BAD_PARAM: 'an action parameter name that is not a usable environment variable name',
  BWD_BAD_DEFAULT: 'a parameter default that does not match the parameter type',
  BWD_BAD_QUERY: 'a statement (query, condition, pipeline) with a language error',
  BWD_QUERY_WARNING: 'a statement with a language warning',
  BWD_QUERY_SHAPE: 'a statement of the wrong shape for its field (a command in a query, a condition that is not one filter)',
  BWD_UNKNOWN_ACTION: 'a bot that names an action the set does not define',
  BWD_UNKNOWN_ALARM: 'a bot that names an alarm the set does not define',
  BWD_UNKNOWN_ARG: 'a bot argument the action does not take',
  BWD_MISSING_ARG: 'a required action parameter that the bot does not give',
  BWD_BAD_ARG: 'a bot argument of the wrong type for its parameter',
  BWD_BAD_TEMPLATE: 'a `${...}` template that is malformed or not available for the trigger',
  BWD_ACTION_RESOURCE: 'a bot whose action cannot run on the resource its trigger gives',
  BWD_BAD_CRON: 'a cron expression that is not five valid fields, or never runs',
  BWD_BAD_PATH: 'a file path that is not absolute and normalised',
  BWD_BAD_MODE: 'a file mode that is not an octal string such as "0644"',
  BWD_NOT_PERMITTED: 'a bot or schedule that calls an action whose `allowed` rule does not name it',
  BWD_UNKNOWN_SECRET: 'an action or integration that names a secret the set does not define',
  BWD_INLINE_SECRET: 'a credential written as a value where a reference `{ secret: <name> }` to a secret definition belongs',
  BWD_PACK_MANIFEST: 'a pack without a valid `pack.yaml` (kind, name, version, parameters), or a pack file that is not a definition or runbook',
  BWD_PACK_UNKNOWN_PARAM: 'a value (`--set`, `--values`) or `{{ params.NAME }}` placeholder naming a parameter the pack does not declare',
  BWD_PACK_BAD_VALUE: 'a pack parameter value of the wrong type, or not matching its pattern',
  BWD_PACK_MISSING_VALUE: 'a pack parameter without a default that was given no value',
  BWD_PACK_PLACEHOLDER: 'a malformed placeholder, or one where placeholders cannot go (a key, an unquoted value)',
  BWD_PACK_TOO_LARGE: 'a pack with more or larger files, parameters or values than allowed',
} as const;

export type DefinitionDiagnosticCode = keyof typeof DEFINITION_DIAGNOSTIC_CODES;

/**
 * One diagnostic on one line, as compilers print them:
 * `defs/alarms.yaml:4:7 fire: unknown metric ... [BWD_BAD_QUERY]`; warnings say so.
 */
export function formatDefinitionDiagnostic(d: { file: string; line: number; column: number; field: string; code: string; message: string; severity?: 'error' | 'warning' }): string {
  const where = `${d.file}:${d.line}:${d.column}${d.field ? ` ${d.field}` : ''}`;
  return `${where}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message} [${d.code}]`;
}
