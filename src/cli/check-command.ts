import { BUILTIN_CATALOGUE, analyze } from '../lang/index.js';
import type { Io } from './io.js';
import { readAll } from './io.js';
import { renderDiagnostics } from './render-diagnostics.js';
import { styleFor } from './style.js';

export interface CheckOptions {
  readonly json?: boolean;
}

/**
 * `breakwater check '<pipeline>'`: prints `ok`, or every diagnostic with the
 * source line and a caret. `-` reads the statement from stdin. Exit 0 when
 * valid, 1 when not.
 */
export async function checkCommand(statement: string, options: CheckOptions, io: Io): Promise<number> {
  const source = statement === '-' ? (await readAll(io.stdin)).replace(/\r?\n$/, '') : statement;
  const result = analyze(source, BUILTIN_CATALOGUE);
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ ok: result.ok, diagnostics: result.diagnostics, plan: result.plan ?? null }, null, 2)}\n`);
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
