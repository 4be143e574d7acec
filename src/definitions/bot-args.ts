import type { Scalar } from 'yaml';
import { isScalar } from 'yaml';
import { closest } from '../lang/index.js';
import { typedValue } from './action-kind.js';
import type { TriggerInfo } from './bot-trigger.js';
import type { Fields, YNode } from './fields.js';
import { describe } from './fields.js';
import { RESOURCE_TEMPLATE_VARIABLES, TEMPLATE_VARIABLES, parseTemplate } from './templates.js';
import type { ActionDefinition, ActionParam } from './types.js';

/**
 * Reads a bot's `args` against its action's parameters; `${...}` templates are
 * checked against what the trigger provides.
 *
 * @example
 * const values = readArgs(fields, action, info); // { dir: '/data/tmp', days: 7 }
 */
export function readArgs(f: Fields, action: ActionDefinition | undefined, info: TriggerInfo | undefined): Record<string, string | number | boolean> {
  const args: Record<string, string | number | boolean> = {};
  const af = f.map('args', 'a mapping of the action\'s parameters to values', false);
  if (af) {
    for (const key of af.keys()) {
      const param = action?.params.find((p) => p.name === key);
      if (action && !param) {
        const names = action.params.map((p) => p.name);
        const suggestion = closest(key, names);
        af.doc.report(af.keyAt(key), af.field(key), 'BWD_UNKNOWN_ARG', `action \`${action.name}\` has no parameter \`${key}\`: ` + (suggestion ? `did you mean \`${suggestion}\`?` : names.length ? `its parameters are ${names.map((n) => `\`${n}\``).join(', ')}` : 'it takes no parameters'), { suggestion });
        continue;
      }
      const n = af.node(key);
      if (n === undefined) {
        af.missing(key, param ? `a ${param.type}` : 'a value');
        continue;
      }
      const value = readArg(af, key, n, param?.type, info);
      if (value !== undefined) args[key] = value;
    }
  }
  if (action) {
    for (const p of action.params) {
      if (p.required && !af?.has(p.name)) {
        const at = af ? af.anchor : f.keyAt('action');
        f.doc.report(at, af ? 'args' : 'action', 'BWD_MISSING_ARG', `action \`${action.name}\` needs \`${p.name}\` (a ${p.type}${p.description ? `: ${p.description}` : ''}); add it under \`args\``);
      }
    }
  }
  return args;
}

/** One argument: a value of the parameter's type, or a string with templates (a lone `${...}` for non-strings). */
function readArg(af: Fields, key: string, n: YNode, type: ActionParam['type'] | undefined, info: TriggerInfo | undefined): string | number | boolean | undefined {
  const fail = (message: string) => af.bad(key, 'BWD_BAD_ARG', `\`${key}\` is a ${type ?? 'value'} parameter: ${message}`);
  if (isScalar(n) && typeof n.value === 'string' && n.value.includes('${')) {
    const ok = checkTemplates(af, key, n as Scalar.Parsed, info);
    if (type !== undefined && type !== 'string' && !/^\$\{[^}]*\}$/.test(n.value.trim())) {
      fail(`expected a ${type} or a single template such as \`\${alarm.value}\`, found ${describe(n)}`);
      return undefined;
    }
    return ok ? n.value : undefined;
  }
  if (type === undefined) {
    if (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number' || typeof n.value === 'boolean')) return n.value;
    fail(`expected a string, number or boolean, found ${describe(n)}`);
    return undefined;
  }
  return typedValue(n, type, fail);
}

/** What a resource's template variables need, by their prefix. */
const NEEDS: Readonly<Record<string, string>> = {
  process: 'a trigger that gives a process (`event: process_restarted`, or an alarm whose query is on `process`)',
  container: 'a trigger that gives a container (`event: container_restarted` or `container_oom_killed`, or an alarm whose query is on `container`)',
  pod: 'a trigger that gives a container or a pod (`event: container_restarted` or `container_oom_killed`, or an alarm whose query is on `container` or `pod`)',
};

/** An outside alert's labels and annotations (`${event.labels.severity}`): only an `external` trigger carries them. */
const ALERT_PATH = /^event\.(labels|annotations)\.[A-Za-z_][A-Za-z0-9_]*$/;

function checkEventPath(af: Fields, key: string, at: number, name: string, info: TriggerInfo | undefined): boolean {
  const external = info !== undefined && 'external' in info.trigger;
  if (ALERT_PATH.test(name) && (external || info === undefined)) return true;
  const message = ALERT_PATH.test(name)
    ? `\`\${${name}}\` is an outside alert's label or annotation: it needs an \`external\` trigger; this bot's trigger is ${info?.describe ?? 'unknown'}`
    : `\`\${${name}}\`: an event's fields are \`\${event.<field>}\`, and an outside alert's \`\${event.labels.<name>}\` and \`\${event.annotations.<name>}\``;
  af.doc.report(at, af.field(key), 'BWD_BAD_TEMPLATE', message);
  return false;
}

/** Checks the `${...}` templates of a string against what the trigger provides. */
function checkTemplates(af: Fields, key: string, n: Scalar.Parsed, info: TriggerInfo | undefined): boolean {
  const text = n.value as string;
  const { parts, errors } = parseTemplate(text);
  for (const e of errors) af.doc.report(af.doc.offsetIn(n, e.offset), af.field(key), 'BWD_BAD_TEMPLATE', e.message);
  let ok = errors.length === 0;
  const trigger = info?.trigger;
  const available = new Set<string>(['host', 'resource']);
  if (trigger && 'alarm' in trigger) for (const v of ['alarm.name', 'alarm.value', 'alarm.severity']) available.add(v);
  for (const v of (info?.resource && RESOURCE_TEMPLATE_VARIABLES[info.resource]) || []) available.add(v);
  for (const p of parts) {
    if (p.kind !== 'var' || available.has(p.name) || /^event\.[A-Za-z_][A-Za-z0-9_]*$/.test(p.name)) continue;
    const at = af.doc.offsetIn(n, p.start);
    if (p.name.startsWith('event.')) {
      ok = checkEventPath(af, key, at, p.name, info) && ok;
      continue;
    }
    const known = (TEMPLATE_VARIABLES as readonly string[]).includes(p.name);
    if (known && info === undefined) continue; // the trigger is broken and reported; do not guess
    ok = false;
    const list = `${[...available].map((v) => `\`\${${v}}\``).join(', ')}, \`\${event.<field>}\``;
    if (known) {
      const needs = p.name.startsWith('alarm.') ? 'an alarm trigger' : NEEDS[p.name.split('.')[0] as string];
      af.doc.report(at, af.field(key), 'BWD_BAD_TEMPLATE', `\`\${${p.name}}\` needs ${needs}; this bot's trigger is ${info?.describe ?? 'unknown'}, which gives ${list}`);
    } else {
      const suggestion = closest(p.name, [...TEMPLATE_VARIABLES]);
      af.doc.report(at, af.field(key), 'BWD_BAD_TEMPLATE', `unknown template variable \`\${${p.name}}\`` + (suggestion ? `; did you mean \`\${${suggestion}}\`?` : `; expected one of ${list}`), suggestion ? { suggestion: `\${${suggestion}}` } : {});
    }
  }
  return ok;
}
