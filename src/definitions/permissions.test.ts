import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import type { ActionDefinition } from './index.js';
import { actionRefusal, diffDefinitions, parseDefinitions, toYaml } from './index.js';

const ACTION = `kind: action
name: restart_db
command: systemctl restart postgresql
`;

const parse = (text: string) => parseDefinitions([{ path: 'a.yaml', text }], BUILTIN_CATALOGUE);
const action = (text: string) => parse(text).definitions.find((d): d is ActionDefinition => d.kind === 'action');

describe('an action\'s `allowed` rule', () => {
  it('a statement is still where it may run (the original form), with no rule on who', () => {
    const a = action(`${ACTION}allowed: host | role = "db"\n`);
    expect(a?.allowed).toBe('host | role = "db"');
    expect(a?.runBy).toBeUndefined();
  });

  it('a mapping gives where, roles and principals', () => {
    const a = action(`${ACTION}allowed:\n  where: host | role = "db"\n  roles: [admin]\n  principals: [dba, "bot:restart-db", "schedule:nightly"]\n`);
    expect(a?.allowed).toBe('host | role = "db"');
    expect(a?.runBy).toEqual({ roles: ['admin'], principals: ['dba', 'bot:restart-db', 'schedule:nightly'] });
  });

  it('refuses a viewer role, a malformed principal, an empty rule and an unknown field, each at its place', () => {
    const r = parse(`${ACTION}allowed:\n  roles: [viewer]\n  principals: ["bot:"]\n  whom: [x]\n`);
    const lines = r.diagnostics.map((d) => `${d.line}:${d.column} ${d.field} ${d.code} ${d.message}`);
    expect(lines).toEqual([
      expect.stringMatching(/^5:11 allowed.roles BWD_BAD_VALUE `viewer` cannot be given: viewers never run actions/),
      expect.stringMatching(/^6:16 allowed.principals BWD_BAD_VALUE expected a token name/),
      expect.stringMatching(/^7:3 allowed.whom BWD_UNKNOWN_FIELD/),
    ]);
    const empty = parse(`${ACTION}allowed: { roles: [], principals: [] }\n`);
    expect(empty.diagnostics.map((d) => d.code)).toEqual(['BWD_BAD_VALUE']);
    expect(empty.diagnostics[0]?.message).toContain('nobody could run the action');
  });

  it('checks `where` as a statement of the action\'s resources', () => {
    const r = parse(`${ACTION}allowed: { where: 'process | name = "x"', roles: [admin] }\n`);
    expect(r.diagnostics.map((d) => [d.field, d.code])).toEqual([['allowed.where', 'BWD_QUERY_SHAPE']]);
  });

  it('people by role (that role or above) or by name; automation by name only', () => {
    const a = action(`${ACTION}allowed: { roles: [admin], principals: [dba, "bot:restart-db", "schedule:nightly"] }\n`) as ActionDefinition;
    expect(actionRefusal(a, { name: 'root', role: 'admin' })).toBeUndefined();
    expect(actionRefusal(a, { name: 'dba', role: 'operator' })).toBeUndefined();
    expect(actionRefusal(a, { name: 'bot:restart-db@db-1' })).toBeUndefined();
    expect(actionRefusal(a, { name: 'schedule:nightly' })).toBeUndefined();
    expect(actionRefusal(a, { name: 'bob', role: 'operator' })).toBe('action `restart_db` may be run only by the admin role or `dba`, `bot:restart-db`, `schedule:nightly` (its `allowed` rule); `bob` has the operator role and is not named');
    expect(actionRefusal(a, { name: 'bot:other@db-1' })).toContain('`bot:other@db-1` is not named in its principals');
    // A schedule gets no role from the rule's roles, whatever role the control plane runs it with.
    expect(actionRefusal(a, { name: 'schedule:other', role: 'admin' })).toContain('`schedule:other` is not named');
    const onOperator = action(`${ACTION}allowed: { roles: [operator] }\n`) as ActionDefinition;
    expect(actionRefusal(onOperator, { name: 'root', role: 'admin' })).toBeUndefined();
    const onHost = action(`${ACTION}allowed: { principals: ["bot:restart-db@db-1"] }\n`) as ActionDefinition;
    expect(actionRefusal(onHost, { name: 'bot:restart-db@db-2' })).toContain('is not named');
  });

  it('a bot or schedule calling an action that does not name it is refused at apply time', () => {
    const bot = `\n---\nkind: alarm\nname: db-down\nquery: host\nfire: load1 > 100\n---\nkind: bot\nname: fix-db\ntrigger: { alarm: db-down }\naction: restart_db\n`;
    const schedule = `\n---\nkind: schedule\nname: nightly\nevery: 1h\nrun: host | restart_db()\n`;
    const r = parse(`${ACTION}allowed: { roles: [admin] }${bot}${schedule}`);
    expect(r.definitions).toEqual([]);
    expect(r.diagnostics.map((d) => [d.field, d.code, d.message])).toEqual([
      ['action', 'BWD_NOT_PERMITTED', expect.stringContaining('`bot:fix-db` is not named in its principals: add `bot:fix-db` (or `bot:fix-db@<host>`) to its `allowed.principals`')],
      ['run', 'BWD_NOT_PERMITTED', expect.stringContaining('`schedule:nightly` is not named in its principals: add `schedule:nightly`')],
    ]);
    expect(parse(`${ACTION}allowed: { roles: [admin], principals: ["bot:fix-db@db-1", "schedule:nightly"] }${bot}${schedule}`).diagnostics).toEqual([]);
  });

  it('exports back to the mapping, and a plan shows a change of the rule', () => {
    const a = action(`${ACTION}allowed: { where: host | role = "db", roles: [admin], principals: [dba] }\n`) as ActionDefinition;
    const [file] = toYaml([a]);
    expect(action(file?.text ?? '')).toEqual({ ...a, origin: expect.anything() });
    const b = action(`${ACTION}allowed: { where: host | role = "db", roles: [operator], principals: [dba] }\n`) as ActionDefinition;
    const diff = diffDefinitions([a], [b]);
    expect(diff.update[0]?.changes.map((c) => c.field)).toEqual(['allowed.roles']);
  });
});
