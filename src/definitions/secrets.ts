import type { Scalar } from 'yaml';
import type { Analysis } from '../lang/index.js';
import { closest } from '../lang/index.js';
import type { Fields } from './fields.js';
import type { SecretDefinition } from './types.js';

/*
 * The `secret` kind and the `secrets` field of actions. A secret definition
 * names a secret and where it applies; its value never appears here (see
 * docs/definitions.md and docs/security.md "## Secrets").
 */

/** The environment variable a secret reaches an action's command as: `db-password` -> `BW_SECRET_DB_PASSWORD`. */
export function secretEnvName(name: string): string {
  return `BW_SECRET_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** An environment variable name a secret's `from.env` may read. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Reads a `secret` document. `checkHosts` checks the `hosts` statement with
 * the language (a host source and filters) and gives its analysis, or
 * undefined when it already reported a problem.
 */
export function readSecret(
  f: Fields,
  basics: Pick<SecretDefinition, 'name' | 'description' | 'origin'>,
  checkHosts: (s: { value: string; node: Scalar.Parsed }) => Analysis | undefined,
): SecretDefinition {
  // Absent: no agent receives it, only the control plane uses it (an integration's credentials).
  const q = f.scalar('hosts', 'a statement selecting the hosts that receive it, e.g. `host | role = "db"`', false, { nonEmpty: true });
  const analysis = q ? checkHosts(q) : undefined;
  // Only what the control plane knows of a host (tags, attributes) may select it: it decides alone which agents get the value.
  if (q && analysis?.plan && !analysis.plan.phases.every((p) => p.where === 'inventory')) {
    f.bad('hosts', 'BWD_QUERY_SHAPE', 'a secret\'s `hosts` may filter on tags and host attributes only (e.g. `host | role = "db"`): the control plane decides alone which agents receive the value, so it cannot depend on metrics or checks');
  }
  return { kind: 'secret', ...basics, hosts: q?.value.trim() ?? '', ...readFrom(f) };
}

function readFrom(f: Fields): Pick<SecretDefinition, 'from'> {
  const what = 'a mapping with `env` (a variable of the control plane\'s environment) or `file` (an absolute path on the control plane)';
  const m = f.map('from', what, false);
  if (!m) return {};
  m.allow(['env', 'file'], '`from`');
  if (m.has('env') === m.has('file')) {
    m.doc.report(m.anchor, m.path, m.has('env') ? 'BWD_CONFLICT' : 'BWD_MISSING_FIELD', `\`from\` is one of \`env\` or \`file\`: ${what}`);
    return {};
  }
  if (m.has('env')) {
    const env = m.string('env', 'an environment variable name', true, { nonEmpty: true });
    if (env === undefined) return {};
    if (!ENV_NAME.test(env)) {
      m.bad('env', 'BWD_BAD_VALUE', `expected an environment variable name (letters, digits, \`_\`, not starting with a digit), found ${JSON.stringify(env)}`);
      return {};
    }
    if (env.startsWith('BREAKWATER_')) {
      // BREAKWATER_SECRET_KEY above all: a definition must not be able to ship the key that protects every value.
      m.bad('env', 'BWD_BAD_VALUE', `\`${env}\` is the control plane's own setting (BREAKWATER_*, its secret key among them) and cannot be read as a secret; use another variable`);
      return {};
    }
    return { from: { env } };
  }
  const file = m.string('file', 'an absolute path on the control plane', true, { nonEmpty: true });
  if (file === undefined) return {};
  if (!file.startsWith('/')) {
    m.bad('file', 'BWD_BAD_PATH', `expected an absolute path on the control plane, found ${JSON.stringify(file)}`);
    return {};
  }
  return { from: { file } };
}

/** An action's `secrets`: names, each with its node so a name the set does not define is reported in place. */
export function readActionSecrets(f: Fields): { value: string; node: Scalar.Parsed }[] {
  const list = f.strings('secrets', 'a secret name') ?? [];
  const seen = new Set<string>();
  return list.filter(({ value, node }) => {
    if (!seen.has(value)) return seen.add(value);
    f.doc.report(node.range[0], 'secrets', 'BWD_BAD_VALUE', `secret \`${value}\` is listed twice`);
    return false;
  });
}

/** Reports each name of `refs` that is not a secret of the set; `field` names where they were written (an action's `secrets`, or the ref's own). */
export function checkSecretRefs(f: Fields, refs: readonly { value: string; node: Scalar.Parsed; field?: string }[], defined: readonly string[]): void {
  for (const { value, node, field } of refs) {
    if (defined.includes(value)) continue;
    const suggestion = closest(value, defined);
    const known = defined.length ? `the set defines ${defined.map((d) => `\`${d}\``).join(', ')}` : 'the set defines no secrets';
    f.doc.report(node.range[0], field ?? 'secrets', 'BWD_UNKNOWN_SECRET', `unknown secret \`${value}\`: ` + (suggestion ? `did you mean \`${suggestion}\`?` : known), { suggestion });
  }
}
