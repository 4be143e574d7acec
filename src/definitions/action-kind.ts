import { isScalar } from 'yaml';
import type { Catalogue, ResourceTypeName } from '../lang/index.js';
import { RESOURCE_TYPES, closest } from '../lang/index.js';
import type { Fields, YNode } from './fields.js';
import { EXPECT, describe, readDuration } from './fields.js';
import { readAllowed } from './permissions.js';
import { DEFAULTS, PARAM_FIELDS, PARAM_TYPES, paramNameProblem } from './rules.js';
import type { Raw, Written } from './set-context.js';
import { basics } from './set-context.js';
import { selection, statement } from './statements.js';
import type { ActionDefinition, ActionParam } from './types.js';

/* The `action` kind: a command with typed parameters, the resources it runs on and who may run it. */

/**
 * Reads an `action` document. Its `allowed` statement is returned apart, to be
 * checked by `actionAllowed` once the set's metrics are in the catalogue.
 *
 * @example
 * const { def, allowedStatement } = readAction(raw);
 */
export function readAction(r: Raw): { def: ActionDefinition; allowedStatement: Written | undefined } {
  const f = r.fields;
  const command = f.string('command', 'a shell command', true, { nonEmpty: true }) ?? '';
  const params = readParams(f);
  const timeoutSeconds = f.duration('timeout', DEFAULTS.actionTimeoutSeconds, 'positive') ?? DEFAULTS.actionTimeoutSeconds;
  const user = f.string('user', 'a user name', false, { nonEmpty: true });
  if (user !== undefined && !/^([a-z_][a-z0-9_.-]{0,31}|[0-9]+)$/.test(user)) {
    f.bad('user', 'BWD_BAD_VALUE', `expected a user name (lowercase letters, digits, \`_\`, \`-\`, \`.\`, starting with a letter or \`_\`) or a numeric uid, found ${JSON.stringify(user)}`);
  }
  const outputLimitBytes = f.size('output_limit', DEFAULTS.outputLimitBytes);
  const resources = readResources(f);
  const { where: allowedStatement, runBy } = readAllowed(f);
  const def: ActionDefinition = {
    kind: 'action',
    ...basics(r),
    command,
    params,
    timeoutSeconds,
    ...(user !== undefined ? { user } : {}),
    outputLimitBytes,
    resources,
    ...(allowedStatement ? { allowed: allowedStatement.value.trim() } : {}),
    ...(runBy ? { runBy } : {}),
  };
  return { def, allowedStatement };
}

function readParams(f: Fields): ActionParam[] {
  const expected = 'a mapping of parameter names to a type (`dir: string`) or to settings (`days: { type: number, default: 7 }`)';
  const pf = f.map('params', expected, false);
  if (!pf) return [];
  const params: ActionParam[] = [];
  for (const name of pf.keys()) {
    const problem = paramNameProblem(name);
    if (problem) pf.badKey(name, 'BWD_BAD_PARAM', problem);
    const param = readParam(pf, name);
    if (param && !problem) params.push(param);
  }
  return params;
}

function readParam(pf: Fields, name: string): ActionParam | undefined {
  const types = PARAM_TYPES.map((t) => `\`${t}\``).join(', ');
  const node = pf.node(name);
  if (node === undefined) {
    pf.missing(name, `a type (${types}) or a mapping with \`type\`, \`required\`, \`default\`, \`description\``);
    return undefined;
  }
  if (isScalar(node)) {
    const type = pf.oneOf(name, PARAM_TYPES, undefined);
    return type ? { name, type, required: true } : undefined;
  }
  const sub = pf.map(name, `a type (${types}) or a mapping with \`type\`, \`required\`, \`default\`, \`description\``, true);
  if (!sub) return undefined;
  sub.allow(PARAM_FIELDS, `parameter \`${name}\``);
  const type = sub.oneOf('type', PARAM_TYPES, 'string') ?? 'string';
  const description = sub.string('description', 'a description (text)', false);
  const dn = sub.node('default');
  let value: string | number | boolean | undefined;
  if (dn !== undefined) {
    value = typedValue(dn, type, (message) => sub.bad('default', 'BWD_BAD_DEFAULT', `the default of a ${type} parameter: ${message}`));
  }
  const hasDefault = dn !== undefined;
  const required = sub.has('required') ? sub.bool('required', !hasDefault) : !hasDefault;
  if (hasDefault && required) sub.badKey('required', 'BWD_CONFLICT', 'a parameter with a `default` is not required: remove `required: true` or the default');
  return { name, type, required: required && !hasDefault, ...(value !== undefined ? { default: value } : {}), ...(description !== undefined ? { description } : {}) };
}

/** A YAML value of a parameter type; durations become seconds. */
export function typedValue(n: YNode, type: ActionParam['type'], fail: (message: string) => void): string | number | boolean | undefined {
  const v = isScalar(n) ? n.value : undefined;
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v;
      fail(`expected a string, found ${describe(n)}` + (typeof v === 'number' || typeof v === 'boolean' ? '; put it in quotes' : ''));
      return undefined;
    case 'number':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      fail(`expected a number, found ${describe(n)}`);
      return undefined;
    case 'bool':
      if (typeof v === 'boolean') return v;
      fail(`expected ${EXPECT.bool}, found ${describe(n)}`);
      return undefined;
    case 'duration':
      return readDuration(n, 'zero', fail);
  }
}

function readResources(f: Fields): ResourceTypeName[] {
  const n = f.node('resources');
  if (n === undefined) return [...DEFAULTS.actionResources];
  const list = isScalar(n) && typeof n.value === 'string' ? [{ value: n.value, node: n }] : f.strings('resources', 'a resource type');
  if (!list) return [...DEFAULTS.actionResources];
  if (list.length === 0) {
    f.bad('resources', 'BWD_BAD_VALUE', `expected at least one resource type (${RESOURCE_TYPES.join(', ')}), found an empty list`);
    return [...DEFAULTS.actionResources];
  }
  const out: ResourceTypeName[] = [];
  for (const { value, node } of list) {
    if (!(RESOURCE_TYPES as readonly string[]).includes(value)) {
      const suggestion = closest(value, RESOURCE_TYPES);
      f.doc.report(node.range[0], 'resources', 'BWD_BAD_VALUE', `expected a resource type (${RESOURCE_TYPES.join(', ')}), found ${JSON.stringify(value)}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''), { suggestion });
    } else if (out.includes(value as ResourceTypeName)) {
      f.doc.report(node.range[0], 'resources', 'BWD_BAD_VALUE', `\`${value}\` is listed twice`);
    } else out.push(value as ResourceTypeName);
  }
  return out.length ? out : [...DEFAULTS.actionResources];
}

/** Checks an action's `allowed` statement: a source of one of the action's resources, and filters. */
export function actionAllowed(catalogue: Catalogue, r: Raw, allowed: Written, def: ActionDefinition): void {
  const s = statement(catalogue, r.doc, allowed.node === r.fields.node('allowed') ? 'allowed' : 'allowed.where', allowed);
  selection(r.doc, allowed.node === r.fields.node('allowed') ? 'allowed' : 'allowed.where', s, def.resources, 'an action\'s `allowed` statement');
}
