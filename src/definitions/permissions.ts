import type { Scalar } from 'yaml';
import { isMap, isScalar } from 'yaml';
import type { Fields } from './fields.js';
import { describe } from './fields.js';
import type { ActionDefinition, ActionRole, ActionRunBy } from './types.js';

/*
 * Who may run an action and where (Shoreline's allowed_entities / allowed_resources_query).
 * `allowed` is either the statement of where it may run (the original form, still valid), or a
 * mapping `{ where, roles, principals }`. The rule is evaluated here, purely, by the control plane
 * (people, schedules, approvals), by the agent (bots) and by the definitions checker (a bot or
 * schedule that calls an action it may not run is refused at apply time).
 */

export const ACTION_ROLES: readonly ActionRole[] = ['operator', 'admin'];
const RANK: Readonly<Record<string, number>> = { viewer: 1, operator: 2, admin: 3 };

/** A token name (as the API creates them), or an automation principal. */
const PRINCIPAL = /^([A-Za-z0-9][A-Za-z0-9_.@-]{0,127}|bot:[a-z][a-z0-9_-]{0,62}(@[A-Za-z0-9][A-Za-z0-9_.@-]{0,127})?|schedule:[a-z][a-z0-9_-]{0,62})$/;

/** Who asks to run an action: a person (a token with its role), or automation (`bot:…`, `schedule:…`) with no role. */
export interface ActionCaller {
  readonly name: string;
  readonly role?: 'viewer' | 'operator' | 'admin';
}

/** The principal a bot runs as on a host: `bot:<bot>@<host>`. */
export const botPrincipal = (bot: string, host: string): string => `bot:${bot}@${host}`;

const isAutomation = (name: string) => name.startsWith('bot:') || name.startsWith('schedule:');

/** Whether a rule's principal names the caller: exact, or `bot:x` for `bot:x@<any host>`. */
function names(entry: string, caller: string): boolean {
  return entry === caller || (entry.startsWith('bot:') && !entry.includes('@') && caller.startsWith(`${entry}@`));
}

/** The rule in words: `the admin role or dba-oncall, bot:restart-db`. */
export function describeRunBy(r: ActionRunBy): string {
  const parts: string[] = [];
  if (r.roles.length) parts.push(`the ${r.roles.join(' or ')} role${r.roles.length > 1 ? 's' : ''}`);
  if (r.principals.length) parts.push(r.principals.map((p) => `\`${p}\``).join(', '));
  return parts.join(' or ');
}

/**
 * Why `caller` may not run `action` by its `allowed` rule, or undefined when it may. Roles count
 * for people only (that role or above); bots and schedules must be named in `principals`.
 * Without a rule, anyone reaching this point may (people still need the operator role, which the
 * statement's plan requires).
 */
export function actionRefusal(action: Pick<ActionDefinition, 'name' | 'runBy'>, caller: ActionCaller): string | undefined {
  const rule = action.runBy;
  if (!rule) return undefined;
  if (rule.principals.some((p) => names(p, caller.name))) return undefined;
  const role = caller.role;
  if (role && !isAutomation(caller.name) && rule.roles.some((r) => (RANK[role] ?? 0) >= (RANK[r] ?? 99))) return undefined;
  const who = role && !isAutomation(caller.name) ? `\`${caller.name}\` has the ${role} role and is not named` : `\`${caller.name}\` is not named in its principals`;
  return `action \`${action.name}\` may be run only by ${describeRunBy(rule)} (its \`allowed\` rule); ${who}`;
}

/**
 * Why a bot may not call `action` on any host, for the definitions checker: it must be named as
 * `bot:<bot>` or as `bot:<bot>@<host>` for some host (the agent then checks the host).
 */
export function botRefusal(action: Pick<ActionDefinition, 'name' | 'runBy'>, bot: string): string | undefined {
  const me = `bot:${bot}`;
  if (!action.runBy || action.runBy.principals.some((p) => p === me || p.startsWith(`${me}@`))) return undefined;
  return `${actionRefusal(action, { name: me }) ?? ''}: add \`${me}\` (or \`${me}@<host>\`) to its \`allowed.principals\``;
}

/** What `allowed` holds once read: where (a statement, checked by the caller) and who. */
export interface AllowedField {
  readonly where: { value: string; node: Scalar.Parsed } | undefined;
  readonly runBy: ActionRunBy | undefined;
}

/**
 * Reads an action's `allowed` field: a statement (where it may run), or a mapping of `where`,
 * `roles` and `principals`. Problems are reported on `f`.
 */
export function readAllowed(f: Fields): AllowedField {
  const n = f.node('allowed');
  const whereExpected = 'a statement selecting the resources it may run on, e.g. `host | env = "prod"`';
  if (n === undefined) return { where: undefined, runBy: undefined };
  if (isScalar(n)) return { where: f.scalar('allowed', `${whereExpected}, or a mapping of \`where\`, \`roles\`, \`principals\``, false, { nonEmpty: true }), runBy: undefined };
  if (!isMap(n)) {
    f.bad('allowed', 'BWD_NOT_A_MAPPING', `expected a statement (where it may run) or a mapping of \`where\`, \`roles\`, \`principals\` (who may run it), found ${describe(n)}`);
    return { where: undefined, runBy: undefined };
  }
  const m = f.map('allowed', 'a mapping of `where`, `roles`, `principals`', false) as Fields;
  m.allow(['where', 'roles', 'principals'], '`allowed`');
  const where = m.scalar('where', whereExpected, false, { nonEmpty: true });
  if (!m.has('roles') && !m.has('principals')) {
    if (!m.has('where')) m.doc.report(m.anchor, m.path, 'BWD_MISSING_FIELD', '`allowed` needs `where` (a statement), `roles` or `principals`');
    return { where, runBy: undefined };
  }
  let bad = 0;
  const roles: ActionRole[] = [];
  for (const { value, node } of m.strings('roles', 'a role (`operator` or `admin`)') ?? []) {
    if ((ACTION_ROLES as readonly string[]).includes(value)) roles.push(value as ActionRole);
    else {
      const why = value === 'viewer' ? '`viewer` cannot be given: viewers never run actions' : `expected \`operator\` or \`admin\`, found ${JSON.stringify(value)}`;
      m.doc.report(node.range[0], m.field('roles'), 'BWD_BAD_VALUE', why);
      bad++;
    }
  }
  const principals: string[] = [];
  for (const { value, node } of m.strings('principals', 'a principal') ?? []) {
    if (PRINCIPAL.test(value)) principals.push(value);
    else {
      m.doc.report(node.range[0], m.field('principals'), 'BWD_BAD_VALUE', `expected a token name, \`bot:<bot>\`, \`bot:<bot>@<host>\` or \`schedule:<schedule>\`, found ${JSON.stringify(value)}`);
      bad++;
    }
  }
  if (!roles.length && !principals.length && bad === 0) {
    m.doc.report(m.anchor, m.path, 'BWD_BAD_VALUE', '`roles` and `principals` are both empty: nobody could run the action; remove the action, or name who may run it');
  }
  return { where, runBy: { roles, principals } };
}
