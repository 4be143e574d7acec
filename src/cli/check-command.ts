import type { DefinitionDiagnostic } from '../definitions/index.js';
import type { Catalogue, Diagnostic, Plan } from '../lang/index.js';
import { BUILTIN_CATALOGUE, analyze } from '../lang/index.js';
import { BreakwaterError } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import type { Io } from './io.js';
import { readAll } from './io.js';
import { renderDiagnostics } from './render-diagnostics.js';
import { styleFor } from './style.js';

export interface CheckOptions {
  readonly json?: boolean;
  /** A folder of definition files (or one file): checked first, and their actions and metrics join the catalogue. */
  readonly definitions?: string;
  /**
   * A control plane to check on (`--server`): its catalogue (the applied definitions) and its
   * fleet, so filters on values no host has, near ones some have, are warned about. Without it the
   * check is offline.
   */
  readonly endpoint?: Endpoint;
}

interface Checked {
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  readonly plan?: Plan | null;
}

/** POST /api/v1/check; the HTTP client is loaded only here, so the offline check stays quick to start. */
async function checkOnServer(ep: Endpoint, statement: string): Promise<Checked> {
  const { postJson } = await import('./api.js');
  return postJson<Checked>(ep, '/api/v1/check', { statement });
}

/**
 * `breakwater check '<pipeline>'`: prints `ok`, or every diagnostic with the
 * source line and a caret. `-` reads the statement from stdin. With
 * `--definitions DIR` (`-f`), the definition files are checked first (each
 * problem as `file:line:column field: message [code]`) and the statement is
 * then checked with their actions and custom metrics. Exit 0 when valid, 1
 * when not. With `--server` the control plane checks it instead, against its definitions and its
 * fleet (warnings such as `no host has role = "wbe"; did you mean "web" (12 hosts)?`).
 */
export async function checkCommand(statement: string, options: CheckOptions, io: Io): Promise<number> {
  if (options.endpoint && options.definitions !== undefined) throw new BreakwaterError('BW_ERR_CONFIG', '--definitions and --server: pass one (with --server the statement is checked with the definitions the control plane has)');
  let catalogue: Catalogue = BUILTIN_CATALOGUE;
  let definitionDiagnostics: readonly DefinitionDiagnostic[] | undefined;
  if (options.definitions !== undefined) {
    // Loaded only with -f: a statement alone needs neither the definitions nor the YAML parser.
    const [{ formatDefinitionDiagnostic, parseDefinitions }, { readDefinitionFiles }] = await Promise.all([import('../definitions/index.js'), import('./definition-files.js')]);
    const parsed = parseDefinitions(readDefinitionFiles(options.definitions), BUILTIN_CATALOGUE);
    definitionDiagnostics = parsed.diagnostics;
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error').length;
    if (!options.json && parsed.diagnostics.length) {
      const stream = io.stderr;
      const style = styleFor(stream, io.env);
      for (const d of parsed.diagnostics) stream.write(`${d.severity === 'error' ? style.red(formatDefinitionDiagnostic(d)) : style.yellow(formatDefinitionDiagnostic(d))}\n`);
    }
    if (errors > 0) {
      if (options.json) io.stdout.write(`${JSON.stringify({ ok: false, definitionDiagnostics, diagnostics: [], plan: null }, null, 2)}\n`);
      else io.stderr.write(`${errors} error${errors === 1 ? '' : 's'} in the definitions under ${options.definitions}\n`);
      return 1;
    }
    catalogue = parsed.catalogue;
  }
  const source = statement === '-' ? (await readAll(io.stdin)).replace(/\r?\n$/, '') : statement;
  const result: Checked = options.endpoint ? await checkOnServer(options.endpoint, source) : analyze(source, catalogue);
  if (options.json) {
    const extra = definitionDiagnostics ? { definitionDiagnostics } : {};
    io.stdout.write(`${JSON.stringify({ ok: result.ok, diagnostics: result.diagnostics, plan: result.plan ?? null, ...extra }, null, 2)}\n`);
    return result.ok ? 0 : 1;
  }
  if (result.diagnostics.length) {
    const stream = result.ok ? io.stdout : io.stderr;
    stream.write(renderDiagnostics(source, result.diagnostics, styleFor(stream, io.env)));
  }
  if (result.ok) {
    io.stdout.write(`${styleFor(io.stdout, io.env).green('ok')}\n`);
    return 0;
  }
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  io.stderr.write(`${errors} error${errors === 1 ? '' : 's'}\n`);
  return 1;
}
