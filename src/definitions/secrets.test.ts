import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import { formatDefinitionDiagnostic, parseDefinitions, redactSecrets, secretEnvName, toYaml } from './index.js';

const parse = (text: string) => parseDefinitions([{ path: 'a.yaml', text }], BUILTIN_CATALOGUE);
const problems = (text: string) => parse(text).diagnostics.map(formatDefinitionDiagnostic);

const SECRET = 'kind: secret\nname: db-password\nhosts: host | role = "db"\n';
const ACTION = 'kind: action\nname: db_ping\ncommand: echo "$BW_SECRET_DB_PASSWORD"\nsecrets: [db-password]\n';

describe('the secret kind', () => {
  it('parses a secret and an action that uses it; the export has no value field and parses back the same', () => {
    const r = parse(`${ACTION}---\n${SECRET}`);
    expect(r.diagnostics).toEqual([]);
    expect(r.definitions.map((d) => d.kind)).toEqual(['action', 'secret']);
    expect(r.definitions[0]).toMatchObject({ kind: 'action', secrets: ['db-password'] });
    expect(r.definitions[1]).toMatchObject({ kind: 'secret', name: 'db-password', hosts: 'host | role = "db"' });
    const files = toYaml(r.definitions);
    expect(files.map((f) => f.path)).toEqual(['actions/db_ping.yaml', 'secrets/db-password.yaml']);
    expect(files[1]?.text).not.toContain('value');
    const again = parseDefinitions(files, BUILTIN_CATALOGUE);
    expect(again.definitions.map(({ origin: _o, ...d }) => d)).toEqual(r.definitions.map(({ origin: _o, ...d }) => d));
  });

  it('reads `from: {env}` and `from: {file}`', () => {
    const r = parse('kind: secret\nname: a\nhosts: host\nfrom: { env: DB_PASSWORD }\n---\nkind: secret\nname: b\nhosts: host\nfrom: { file: /etc/bw/b }\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.definitions.map((d) => (d.kind === 'secret' ? d.from : undefined))).toEqual([{ env: 'DB_PASSWORD' }, { file: '/etc/bw/b' }]);
  });

  it('refuses hosts queries the control plane cannot decide alone, a bad `from`, and unknown secrets', () => {
    expect(problems('kind: secret\nname: s\nhosts: host | cpu_usage > 50\n')).toEqual([expect.stringContaining('may filter on tags and host attributes only')]);
    expect(problems('kind: secret\nname: s\nhosts: process | name = "x"\n')).toEqual([expect.stringContaining('starts with `host`')]);
    expect(problems('kind: secret\nname: s\nhosts: host\nfrom: { env: A, file: /b }\n')).toEqual([expect.stringContaining('`from` is one of `env` or `file`')]);
    expect(problems('kind: secret\nname: s\nhosts: host\nfrom: { file: relative }\n')).toEqual([expect.stringContaining('[BWD_BAD_PATH]')]);
    expect(problems('kind: secret\nname: s\nhosts: host\nfrom: { env: "1X" }\n')).toEqual([expect.stringContaining('environment variable name')]);
    expect(problems('kind: secret\nname: s\nhosts: host\nfrom: { env: BREAKWATER_SECRET_KEY }\n')).toEqual([
      "a.yaml:4:14 from.env: `BREAKWATER_SECRET_KEY` is the control plane's own setting (BREAKWATER_*, its secret key among them) and cannot be read as a secret; use another variable [BWD_BAD_VALUE]",
    ]);
    expect(problems(`${SECRET}---\n${ACTION.replace('[db-password]', '[db-pasword]')}`)).toEqual(['a.yaml:8:11 secrets: unknown secret `db-pasword`: did you mean `db-password`? [BWD_UNKNOWN_SECRET]']);
    expect(problems(ACTION)).toEqual(['a.yaml:4:11 secrets: unknown secret `db-password`: the set defines no secrets [BWD_UNKNOWN_SECRET]']);
    expect(problems('kind: secret\nname: s\nhosts: host\nvalue: hunter2\n')).toEqual([expect.stringContaining('unknown field `value`')]);
  });

  it('names the environment variable after the secret', () => {
    expect(secretEnvName('db-password')).toBe('BW_SECRET_DB_PASSWORD');
  });
});

describe('redactSecrets', () => {
  it('replaces every occurrence, longest value first, and leaves values too short to search for', () => {
    const secrets: [string, string][] = [['short', 'abc'], ['pw', 'hunter22'], ['long', 'xhunter22x']];
    expect(redactSecrets('a hunter22 b xhunter22x c hunter22 abc', secrets)).toBe('a [secret:pw] b [secret:long] c [secret:pw] abc');
    expect(redactSecrets('nothing here', secrets)).toBe('nothing here');
  });
});
