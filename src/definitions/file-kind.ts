import { isScalar } from 'yaml';
import type { Fields } from './fields.js';
import { describe } from './fields.js';
import { DEFAULTS, parseMode, pathProblem } from './rules.js';
import type { Raw, SetContext } from './set-context.js';
import { basics } from './set-context.js';
import { sha256Hex } from './sha256.js';
import { hostSelection } from './statements.js';
import type { FileDefinition } from './types.js';

/* The `file` kind: content the agents place on the hosts a query selects. */

/**
 * Reads a `file` document. A second file at the same path is a warning (their queries may select different hosts).
 *
 * @example
 * const def = readFile(ctx, raw); // { kind: 'file', path: '/etc/app/app.conf', mode: 0o644, sha256: '...', ... }
 */
export function readFile(ctx: SetContext, r: Raw): FileDefinition {
  const f = r.fields;
  const path = f.string('path', 'an absolute path, e.g. `/etc/app/app.conf`', true) ?? '';
  if (f.has('path') && path !== '') {
    const problem = pathProblem(path);
    if (problem) f.bad('path', 'BWD_BAD_PATH', `${problem}; found ${JSON.stringify(path)}`);
    else {
      const other = ctx.filePaths.get(path);
      if (other) {
        f.bad('path', 'BWD_DUPLICATE_PATH', `file \`${other.name}\` (${other.doc.file}:${other.line}) is also placed at ${path}: make sure their queries select different hosts`, { severity: 'warning' });
      } else ctx.filePaths.set(path, r);
    }
  } else if (f.has('path')) f.bad('path', 'BWD_BAD_PATH', 'expected an absolute path, found an empty string');
  const content = f.string('content', 'the file\'s content (text; use a `|` block for several lines)', true) ?? '';
  const q = f.scalar('query', 'a statement selecting hosts, e.g. `host | role = "api"`', true, { nonEmpty: true });
  if (q) hostSelection(ctx.catalogue, r.doc, 'query', q, 'a file\'s query');
  return { kind: 'file', ...basics(r), path, mode: readMode(f), content, sha256: sha256Hex(content), query: q?.value.trim() ?? '' };
}

function readMode(f: Fields): number {
  const n = f.node('mode');
  if (n === undefined) return DEFAULTS.fileMode;
  if (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number')) {
    // Read as written: YAML would take an unquoted 0644 for the decimal number 644.
    const text = typeof n.value === 'string' ? n.value : n.source;
    const mode = parseMode(text);
    if (mode !== undefined) return mode;
  }
  f.bad('mode', 'BWD_BAD_MODE', `expected an octal mode such as "0644" or "0755", found ${describe(n)}`);
  return DEFAULTS.fileMode;
}
