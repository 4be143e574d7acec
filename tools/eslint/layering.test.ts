// Tests of the `breakwater/layering` rule (tools/eslint/layering.js), with ESLint's RuleTester
// driven by vitest, plus a check of how eslint.config.js wires it up.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import plugin, { COMPONENTS as COMPONENTS_OF_RULE, SUB_FOLDERS, layeringRule } from './layering.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const ruleTester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
});

const ROOT = '/repo';
const opts = [{ root: ROOT }];
const file = (rel: string) => `${ROOT}/${rel}`;
/** A test case: `code` written in the file `rel` of the repository, with the usual options. */
const testCase = (name: string, rel: string, code: string) => ({ name, filename: file(rel), options: opts, code });

const SEE = '(see shared/design/ARCHITECTURE.md, Layering)';
const forbidden = (from: string, to: string, allowance: string) =>
  `src/${from} must not import src/${to}: ${allowance} ${SEE}`;
const builtin = (from: string, spec: string) =>
  `src/${from} must not import the Node built-in '${spec}': ${from} must stay pure so it runs in a browser ${SEE}`;
const deep = (from: string, to: string, target: string) =>
  `src/${from} must not deep-import ${target}: import src/${to} through its public entry src/${to}/index.ts`;
const unknown = (from: string, target: string) =>
  `src/${from} must not import ${target}: it is in no known component ` +
  '(lang, protocol, definitions, transport, agent, server, cli, web, lab); ' +
  'add the component to tools/eslint/layering.js and shared/design/ARCHITECTURE.md first';

const ALLOWANCE: Record<string, string> = {
  lang: 'lang may import no other component of ours',
  protocol: 'protocol may import no other component of ours',
  transport: 'transport may import only protocol',
  agent: 'agent may import only lang, protocol, definitions, transport',
  server: 'server may import only lang, protocol, definitions, transport',
  cli: 'cli may import any component except web',
  lab: 'lab may import any component except web',
  web: 'web may import only lang, protocol, definitions',
};

// The layering of shared/design/ARCHITECTURE.md, written out independently of the rule.
const COMPONENTS = ['lang', 'protocol', 'transport', 'agent', 'server', 'cli', 'web', 'lab'];
const MAY_IMPORT: Record<string, string[]> = {
  lang: [],
  protocol: [],
  transport: ['protocol'],
  agent: ['lang', 'protocol', 'transport'],
  server: ['lang', 'protocol', 'transport'],
  cli: ['lang', 'protocol', 'transport', 'agent', 'server', 'lab'],
  lab: ['lang', 'protocol', 'transport', 'agent', 'server', 'cli'],
  web: ['lang', 'protocol'],
};
const pairs = COMPONENTS.flatMap((from) =>
  COMPONENTS.filter((to) => to !== from).map((to) => ({ from, to, ok: MAY_IMPORT[from]!.includes(to) })),
);

describe('breakwater/layering', () => {
  it('is exported by the plugin under the name breakwater', () => {
    expect(plugin.meta.name).toBe('breakwater');
    expect(plugin.rules.layering).toBe(layeringRule);
  });

  describe('component matrix (public entries)', () => {
    ruleTester.run('layering', layeringRule, {
      valid: pairs
        .filter((p) => p.ok)
        .map(({ from, to }) => ({
          name: `${from} -> ${to}`,
          filename: file(`src/${from}/a.ts`),
          options: opts,
          code: `import { x } from '../${to}/index.js';\nexport default x;`,
        })),
      invalid: pairs
        .filter((p) => !p.ok)
        .map(({ from, to }) => ({
          name: `${from} -/-> ${to}`,
          filename: file(`src/${from}/a.ts`),
          options: opts,
          code: `import { x } from '../${to}/index.js';\nexport default x;`,
          errors: [{ message: forbidden(from, to, ALLOWANCE[from]!), line: 1, column: 19 }],
        })),
    });
  });

  describe('import forms', () => {
    ruleTester.run('layering', layeringRule, {
      valid: [
        testCase('import type from an allowed component', 'src/agent/a.ts', "import type { Plan } from '../lang/index.js';\nexport type P = Plan;"),
        testCase('export * from an allowed component', 'src/server/index.ts', "export * from '../protocol/index.js';"),
        testCase('export { } from an allowed component', 'src/transport/index.ts', "export { Message } from '../protocol/index.js';"),
        testCase('dynamic import of an allowed component', 'src/cli/run.ts', "export const load = () => import('../server/index.js');"),
        testCase('dynamic import, template literal, allowed', 'src/cli/run.ts', 'export const load = () => import(`../lab/index.js`);'),
        testCase('dynamic import with a computed specifier is not checked', 'src/agent/a.ts', "const name = '../server/index.js';\nexport const load = () => import(name);"),
        testCase('dynamic import with a substituted template is not checked', 'src/agent/a.ts', "const c = 'server';\nexport const load = () => import(`../${c}/index.js`);"),
        testCase('exports without a source', 'src/lang/index.ts', 'const a = 1;\nexport { a as b };\nexport const c = a;'),
        testCase('directory import of a public entry', 'src/web/app.ts', "import { parse } from '../lang';\nexport default parse;"),
        testCase('public entry by its .ts name', 'src/web/app.ts', "import { parse } from '../lang/index.ts';\nexport default parse;"),
        testCase('packages are not components', 'src/protocol/schema.ts', "import { z } from 'zod';\nexport const s = z.string();"),
        testCase('subpath imports (#…) are not checked', 'src/agent/a.ts', "import x from '#server/thing';\nexport default x;"),
      ],
      invalid: [
        // [what, importing file, code, component imported, column of the report]
        ...([
          ['import type is still an import', 'src/agent/a.ts', "import type { Api } from '../server/index.js';\nexport type A = Api;", 'server'],
          ['side-effect import', 'src/server/a.ts', "import '../agent/index.js';", 'agent'],
          ['export * from', 'src/server/index.ts', "export * from '../agent/index.js';", 'agent'],
          ['export * as ns from', 'src/protocol/index.ts', "export * as lang from '../lang/index.js';", 'lang'],
          ['export { } from', 'src/web/index.ts', "export { Bus } from '../transport/index.js';", 'transport'],
          ['export type { } from', 'src/lang/index.ts', "export type { Message } from '../protocol/index.js';", 'protocol'],
          ['dynamic import()', 'src/agent/a.ts', "export const load = () => import('../server/index.js');", 'server', 34],
          ['dynamic import() of a template literal', 'src/cli/a.ts', 'export const load = () => import(`../web/index.js`);', 'web'],
          ["TypeScript import('…') type", 'src/agent/a.ts', "export type S = import('../server/index.js').Server;", 'server'],
          ["import x = require('…')", 'src/transport/a.ts', "import agent = require('../agent/index.js');\nexport const a = agent;", 'agent'],
        ] as const).map(([name, rel, code, to, column]: readonly [string, string, string, string, number?]) => {
          const from = rel.split('/')[1]!;
          const at = column === undefined ? {} : { line: 1, column };
          return { name, filename: file(rel), options: opts, code, errors: [{ message: forbidden(from, to, ALLOWANCE[from]!), ...at }] };
        }),
        { name: 'every offending import is reported', filename: file('src/agent/a.ts'), options: opts,
          code: [
            "import { s } from '../server/index.js';",
            "import { l } from '../lang/index.js';",
            "import { w } from '../web/index.js';",
            'export default [s, l, w];',
          ].join('\n'),
          errors: [
            { message: forbidden('agent', 'server', ALLOWANCE.agent!), line: 1 },
            { message: forbidden('agent', 'web', ALLOWANCE.agent!), line: 3 },
          ] },
      ],
    });
  });

  describe('public entries (no deep imports)', () => {
    ruleTester.run('layering', layeringRule, {
      valid: [
        testCase('deep import inside the same component', 'src/agent/alarms/eval.ts', "import { Tsdb } from '../tsdb/store.js';\nimport { run } from '../exec/sub/run.js';\nexport default [Tsdb, run];"),
        testCase('same component through its own folder name', 'src/agent/alarms/eval.ts', "import { Tsdb } from '../../agent/tsdb/store.js';\nexport default Tsdb;"),
        testCase('public entry from a nested file', 'src/transport/ws/client.ts', "import { Message } from '../../protocol/index.js';\nexport type M = Message;"),
        testCase('deep import inside lang', 'src/lang/parser/expr.ts', "export { lex } from '../lexer/lex.js';"),
      ],
      invalid: [
        { ...testCase('a file of another component', 'src/agent/a.ts', "import { WsBus } from '../transport/ws/client.js';\nexport default WsBus;"),
          errors: [{ message: deep('agent', 'transport', 'src/transport/ws/client.js'), line: 1, column: 23 }] },
        { ...testCase("a sub-folder's index of another component", 'src/agent/a.ts', "import { WsBus } from '../transport/ws/index.js';\nexport default WsBus;"),
          errors: [{ message: deep('agent', 'transport', 'src/transport/ws/index.js') }] },
        { ...testCase('deep import from a nested file', 'src/server/store/pg.ts', "import { Message } from '../../protocol/messages.js';\nexport type M = Message;"),
          errors: [{ message: deep('server', 'protocol', 'src/protocol/messages.js') }] },
        { ...testCase('deep export from', 'src/cli/commands/query.ts', "export { plan } from '../../lang/planner/plan.js';"),
          errors: [{ message: deep('cli', 'lang', 'src/lang/planner/plan.js') }] },
        { ...testCase('deep dynamic import', 'src/lab/fleet.ts', "export const load = () => import('../agent/daemon.js');"),
          errors: [{ message: deep('lab', 'agent', 'src/agent/daemon.js') }] },
        { ...testCase('a forbidden deep import reports the layering only', 'src/agent/a.ts', "import { db } from '../server/store/sqlite.js';\nexport default db;"),
          errors: [{ message: forbidden('agent', 'server', ALLOWANCE.agent!) }] },
        { ...testCase('an import into src/ outside any component', 'src/agent/a.ts', "import { u } from '../util/x.js';\nexport default u;"),
          errors: [{ message: unknown('agent', 'src/util/x.js') }] },
        { ...testCase('an import of a file directly in src/', 'src/server/a.ts', "import { u } from '../shared.js';\nexport default u;"),
          errors: [{ message: unknown('server', 'src/shared.js') }] },
      ],
    });
  });

  describe('test support (*.test-support.ts)', () => {
    const testSupport = (from: string, target: string) =>
      `src/${from} must not import ${target}: a \`*.test-support\` module is for tests only (it is left out of the build)`;
    ruleTester.run('layering', layeringRule, {
      valid: [
        testCase('a test reaches a fake inside a sub-folder with a public entry', 'src/server/query/execute.test.ts', "import { FakeFleet } from '../fleet/fake-fleet.test-support.js';\nexport default FakeFleet;"),
        testCase('test support builds on other test support', 'src/server/query/statements.test-support.ts', "import { FakeClock } from '../fleet/fake-clock.test-support.js';\nexport default FakeClock;"),
      ],
      invalid: [
        { ...testCase('production code imports a fake', 'src/server/query/execute.ts', "import { FakeFleet } from '../fleet/fake-fleet.test-support.js';\nexport default FakeFleet;"),
          errors: [{ message: testSupport('server', 'src/server/fleet/fake-fleet.test-support.js') }] },
        { ...testCase("another component's production code imports a fake", 'src/agent/a.ts', "import { FakeFleet } from '../server/fleet/fake-fleet.test-support.js';\nexport default FakeFleet;"),
          errors: [{ message: testSupport('agent', 'src/server/fleet/fake-fleet.test-support.js') }] },
      ],
    });
  });

  describe('sub-folders (SUB_FOLDERS)', () => {
    const inside = (rel: string, code: string) => testCase(`${rel}: ${code.split('\n')[0]}`, rel, code);
    const subForbidden = (from: string, to: string, never: string, instead: string) =>
      `src/${from} must not import src/${to} (it imports none of ${never}): ${instead} ${SEE}`;
    const STORE_NEVER = 'api, query, remediation, fleet, audit';
    const STORE_INSTEAD = 'the store is the bottom of the server: take what it needs as a parameter, or move the type into store';
    ruleTester.run('layering', layeringRule, {
      valid: [
        inside('src/server/api/agents-routes.ts', "import { Store } from '../store/index.js';\nexport type S = Store;"),
        inside('src/server/server.ts', "import { Store } from './store/index.js';\nexport type S = Store;"),
        inside('src/server/server.ts', "import { Store } from './store';\nexport type S = Store;"),
        inside('src/server/store/kysely-store.ts', "import { toRow } from './values.js';\nimport { q } from './sub/q.js';\nexport default [toRow, q];"),
        inside('src/server/query/execute.ts', "import { Fleet } from '../fleet/index.js';\nimport { auth } from '../auth.js';\nexport default [Fleet, auth];"),
        inside('src/server/api/routes.ts', "import { run } from '../query/run-statement.js';\nexport default run;"),
        inside('src/server/secrets/delivery.ts', "import { gw } from '../gateway.js';\nexport default gw;"),
        inside('src/agent/engine/engine.ts', "import { Tsdb } from '../metrics/tsdb.js';\nimport { run } from '../exec/shell-runner.js';\nimport { execute } from '../query/executor.js';\nexport default [Tsdb, run, execute];"),
        inside('src/agent/query/executor.ts', "import { Tsdb } from '../metrics/tsdb.js';\nimport { compile } from '../engine/compile.js';\nexport default [Tsdb, compile];"),
        inside('src/agent/metrics/proc-source.ts', "import { log } from '../log.js';\nexport default log;"),
      ],
      invalid: [
        { ...inside('src/server/api/agents-routes.ts', "import { KyselyStore } from '../store/kysely-store.js';\nexport default KyselyStore;"),
          errors: [{ message: deep('server/api', 'server/store', 'src/server/store/kysely-store.js'), line: 1, column: 29 }] },
        { ...inside('src/server/server.ts', "import { issue } from './tls/issue.js';\nexport default issue;"),
          errors: [{ message: deep('server', 'server/tls', 'src/server/tls/issue.js') }] },
        { ...inside('src/server/query/execute.ts', "import type { Clock } from '../fleet/clock.js';\nexport type C = Clock;"),
          errors: [{ message: deep('server/query', 'server/fleet', 'src/server/fleet/clock.js') }] },
        { ...inside('src/server/api/a.ts', "export { vault } from '../secrets/vault.js';"),
          errors: [{ message: deep('server/api', 'server/secrets', 'src/server/secrets/vault.js') }] },
        { ...inside('src/server/api/a.ts', "export const load = () => import('../remediation/approvals.js');"),
          errors: [{ message: deep('server/api', 'server/remediation', 'src/server/remediation/approvals.js') }] },
        { ...inside('src/server/store/kysely-store.ts', "import { route } from '../api/route.js';\nexport default route;"),
          errors: [{ message: subForbidden('server/store', 'server/api', STORE_NEVER, STORE_INSTEAD) }] },
        { ...inside('src/server/store/a.ts', "import type { Fleet } from '../fleet/index.js';\nexport type F = Fleet;"),
          errors: [{ message: subForbidden('server/store', 'server/fleet', STORE_NEVER, STORE_INSTEAD) }] },
        { ...inside('src/server/store/a.ts', "import { run } from '../query/execute.js';\nexport default run;"),
          errors: [{ message: subForbidden('server/store', 'server/query', STORE_NEVER, STORE_INSTEAD) }] },
        { ...inside('src/server/store/a.ts', "import { r } from '../remediation/index.js';\nexport default r;"),
          errors: [{ message: subForbidden('server/store', 'server/remediation', STORE_NEVER, STORE_INSTEAD) }] },
        { ...inside('src/server/query/execute.ts', "import { routes } from '../api/routes.js';\nexport default routes;"),
          errors: [{ message: subForbidden('server/query', 'server/api', 'api', 'routes call query execution, not the other way: move what both need into query') }] },
        { ...inside('src/server/fleet/fleet.ts', "import { run } from '../query/execute.js';\nimport { r } from '../api/route.js';\nexport default [run, r];"),
          errors: [
            { message: subForbidden('server/fleet', 'server/query', 'api, query, remediation', 'the fleet is a port below execution and routes: move what it needs into fleet, or pass it in'), line: 1 },
            { message: subForbidden('server/fleet', 'server/api', 'api, query, remediation', 'the fleet is a port below execution and routes: move what it needs into fleet, or pass it in'), line: 2 },
          ] },
        { ...inside('src/agent/metrics/proc-source.ts', "import { Engine } from '../engine/engine.js';\nexport default Engine;"),
          errors: [{ message: subForbidden('agent/metrics', 'agent/engine', 'engine, query', 'collectors sit below the engine and the executor: move what both need into metrics/types.ts') }] },
        { ...inside('src/agent/exec/shell-runner.ts', "import type { Row } from '../query/resources.js';\nexport type R = Row;"),
          errors: [{ message: subForbidden('agent/exec', 'agent/query', 'engine, query, metrics', 'runners sit below the engine and the executor: move what both need into exec/types.ts') }] },
        { ...inside('src/server/store/a.ts', "import { KyselyStore } from '../../server/api/x.js';\nexport default KyselyStore;"),
          errors: [{ message: subForbidden('server/store', 'server/api', STORE_NEVER, STORE_INSTEAD) }] },
      ],
    });

    it('has one line per sub-folder, each naming only siblings, with a hint', () => {
      for (const [key, spec] of Object.entries(SUB_FOLDERS)) {
        const [component, sub] = key.split('/');
        expect(COMPONENTS_OF_RULE).toContain(component);
        expect(spec.never).not.toContain(sub);
        expect(spec.instead.length).toBeGreaterThan(20);
      }
      expect(SUB_FOLDERS['server/store']?.entry).toBe(true);
      expect(SUB_FOLDERS['server/fleet']?.never).toEqual(expect.arrayContaining(['api', 'query']));
    });
  });

  describe('Node built-ins in lang and protocol', () => {
    const builtins = ['node:fs', 'fs', 'path', 'node:path', 'child_process', 'fs/promises', 'node:test', 'os', 'buffer'];
    ruleTester.run('layering', layeringRule, {
      valid: [
        ...['agent', 'server', 'transport', 'cli', 'lab', 'web'].map((c) => ({
          name: `${c} may use node:fs`, filename: file(`src/${c}/a.ts`), options: opts,
          code: "import fs from 'node:fs';\nimport path from 'path';\nexport default [fs, path];",
        })),
        { name: 'a lang unit test may read golden files with allowNodeBuiltins', filename: file('src/lang/parser.test.ts'),
          options: [{ root: ROOT, allowNodeBuiltins: true }],
          code: "import { readFileSync } from 'node:fs';\nimport path from 'node:path';\nexport default [readFileSync, path];" },
        { name: 'a protocol unit test with allowNodeBuiltins', filename: file('src/protocol/codec.test.ts'),
          options: [{ root: ROOT, allowNodeBuiltins: true }],
          code: "import fs from 'fs/promises';\nexport default fs;" },
        testCase('packages that only look like built-ins are not built-ins', 'src/lang/a.ts', "import x from 'fs-extra';\nimport y from 'path-browserify';\nexport default [x, y];"),
      ],
      invalid: [
        ...['lang', 'protocol'].flatMap((c) =>
          builtins.map((spec) => ({
            name: `${c} must not import ${spec}`, filename: file(`src/${c}/a.ts`), options: opts,
            code: `import * as m from '${spec}';\nexport default m;`,
            errors: [{ message: builtin(c, spec), line: 1, column: 20 }],
          })),
        ),
        { ...testCase('dynamic import of a built-in', 'src/lang/a.ts', "export const load = () => import('node:child_process');"),
          errors: [{ message: builtin('lang', 'node:child_process') }] },
        { ...testCase('export from a built-in', 'src/protocol/a.ts', "export { createHash } from 'node:crypto';"),
          errors: [{ message: builtin('protocol', 'node:crypto') }] },
        { ...testCase('any node: specifier counts', 'src/lang/a.ts', "import x from 'node:not-yet-a-module';\nexport default x;"),
          errors: [{ message: builtin('lang', 'node:not-yet-a-module') }] },
        { ...testCase('a test without allowNodeBuiltins is checked', 'src/lang/parser.test.ts', "import fs from 'node:fs';\nexport default fs;"),
          errors: [{ message: builtin('lang', 'node:fs') }] },
        { name: 'allowNodeBuiltins does not lift the component rules', filename: file('src/lang/parser.test.ts'),
          options: [{ root: ROOT, allowNodeBuiltins: true }],
          code: "import fs from 'node:fs';\nimport { s } from '../server/index.js';\nexport default [fs, s];",
          errors: [{ message: forbidden('lang', 'server', ALLOWANCE.lang!), line: 2 }] },
      ],
    });
  });

  describe('locating the file', () => {
    ruleTester.run('layering', layeringRule, {
      valid: [
        testCase('files outside src/ are not checked', 'test/e2e/fleet.test.ts', "import { s } from '../../src/server/store/pg.js';\nimport fs from 'node:fs';\nexport default [s, fs];"),
        testCase('bench files are not checked', 'bench/query.ts', "import { plan } from '../src/lang/planner/plan.js';\nexport default plan;"),
        testCase('a file directly in src/ is in no component', 'src/index.ts', "export * from './server/store/pg.js';"),
        testCase('a file in an unknown folder is not checked', 'src/util/x.ts', "export * from '../server/store/pg.js';"),
        testCase('imports leaving src/ are not component imports', 'src/lang/catalogue.ts', "import pkg from '../../package.json' with { type: 'json' };\nexport default pkg;"),
        { name: 'with root, src/<component> must be right under it', filename: '/repo/vendor/src/agent/a.ts', options: opts,
          code: "export * from '../server/index.js';" },
        { name: 'with root, a src/web/src/lang folder belongs to web', filename: '/repo/src/web/src/lang/a.ts', options: opts,
          code: "import { p } from '../../../lang/index.js';\nexport default p;" },
      ],
      invalid: [
        { name: 'without root: absolute path with src/ further up', filename: '/home/me/src/breakwater/src/agent/tsdb/a.ts',
          code: "export * from '../../server/index.js';",
          errors: [{ message: forbidden('agent', 'server', ALLOWANCE.agent!) }] },
        { name: 'without root: relative path', filename: 'src/agent/a.ts',
          code: "export * from '../server/index.js';",
          errors: [{ message: forbidden('agent', 'server', ALLOWANCE.agent!) }] },
        { name: 'root with a trailing slash', filename: '/repo/src/agent/a.ts', options: [{ root: '/repo/' }],
          code: "export * from '../server/index.js';",
          errors: [{ message: forbidden('agent', 'server', ALLOWANCE.agent!) }] },
        { name: 'absolute specifier', filename: '/repo/src/agent/a.ts', options: opts,
          code: "export * from '/repo/src/server/index.js';",
          errors: [{ message: forbidden('agent', 'server', ALLOWANCE.agent!) }] },
        { name: 'file: URL specifier', filename: '/repo/src/agent/a.ts', options: opts,
          code: "export * from 'file:///repo/src/transport/ws/client.js';",
          errors: [{ message: deep('agent', 'transport', 'src/transport/ws/client.js') }] },
        { name: 'with root, a web folder named lang is still web', filename: '/repo/src/web/src/lang/a.ts', options: opts,
          code: "import { b } from '../../../transport/index.js';\nexport default b;",
          errors: [{ message: forbidden('web', 'transport', ALLOWANCE.web!) }] },
      ],
    });
  });
});

describe('eslint.config.js wiring', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const eslint = new ESLint({ cwd: root });
  const lint = async (rel: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, rel) });
    return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
  };

  it('applies breakwater/layering to src/**/*.ts', async () => {
    expect(await lint('src/agent/__probe__.ts', "import { s } from '../server/index.js';\nexport default s;\n")).toEqual([
      `breakwater/layering: ${forbidden('agent', 'server', ALLOWANCE.agent!)}`,
    ]);
    expect(await lint('src/lang/__probe__.ts', "import fs from 'node:fs';\nexport default fs;\n")).toEqual([
      `breakwater/layering: ${builtin('lang', 'node:fs')}`,
    ]);
  });

  it('lifts only the built-in ban for *.test.ts', async () => {
    expect(
      await lint(
        'src/lang/__probe__.test.ts',
        "import fs from 'node:fs';\nimport { s } from '../server/index.js';\nexport default [fs, s];\n",
      ),
    ).toEqual([`breakwater/layering: ${forbidden('lang', 'server', ALLOWANCE.lang!)}`]);
  });

  it('uses typescript-eslint recommended and allows _-prefixed unused arguments', async () => {
    expect(await lint('src/agent/__probe__.ts', 'export const f = (_a: number, b: number) => b;\n')).toEqual([]);
    expect(await lint('src/agent/__probe__.ts', 'export const f = (a: number) => 1;\n')).toEqual([
      "@typescript-eslint/no-unused-vars: 'a' is defined but never used. Allowed unused args must match /^_/u.",
    ]);
    expect(await lint('test/__probe__.ts', 'export const x: any = 1;\n')).toEqual([
      '@typescript-eslint/no-explicit-any: Unexpected any. Specify a different type.',
    ]);
  });

  it('ignores build output', async () => {
    expect(await eslint.isPathIgnored(path.join(root, 'dist/cli/index.js'))).toBe(true);
    expect(await eslint.isPathIgnored(path.join(root, 'src/web/dist/assets/app.js'))).toBe(true);
    expect(await eslint.isPathIgnored(path.join(root, 'coverage/lcov.js'))).toBe(true);
    expect(await eslint.isPathIgnored(path.join(root, 'src/agent/index.ts'))).toBe(false);
  });
});
