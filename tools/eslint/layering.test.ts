// Tests of the `breakwater/layering` rule (tools/eslint/layering.js), with ESLint's RuleTester
// driven by vitest, plus a check of how eslint.config.js wires it up.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import plugin, { layeringRule } from './layering.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const ruleTester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
});

const ROOT = '/repo';
const opts = [{ root: ROOT }];
const file = (rel: string) => `${ROOT}/${rel}`;

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
        { name: 'import type from an allowed component', filename: file('src/agent/a.ts'), options: opts,
          code: "import type { Plan } from '../lang/index.js';\nexport type P = Plan;" },
        { name: 'export * from an allowed component', filename: file('src/server/index.ts'), options: opts,
          code: "export * from '../protocol/index.js';" },
        { name: 'export { } from an allowed component', filename: file('src/transport/index.ts'), options: opts,
          code: "export { Message } from '../protocol/index.js';" },
        { name: 'dynamic import of an allowed component', filename: file('src/cli/run.ts'), options: opts,
          code: "export const load = () => import('../server/index.js');" },
        { name: 'dynamic import, template literal, allowed', filename: file('src/cli/run.ts'), options: opts,
          code: 'export const load = () => import(`../lab/index.js`);' },
        { name: 'dynamic import with a computed specifier is not checked', filename: file('src/agent/a.ts'), options: opts,
          code: "const name = '../server/index.js';\nexport const load = () => import(name);" },
        { name: 'dynamic import with a substituted template is not checked', filename: file('src/agent/a.ts'), options: opts,
          code: "const c = 'server';\nexport const load = () => import(`../${c}/index.js`);" },
        { name: 'exports without a source', filename: file('src/lang/index.ts'), options: opts,
          code: 'const a = 1;\nexport { a as b };\nexport const c = a;' },
        { name: 'directory import of a public entry', filename: file('src/web/app.ts'), options: opts,
          code: "import { parse } from '../lang';\nexport default parse;" },
        { name: 'public entry by its .ts name', filename: file('src/web/app.ts'), options: opts,
          code: "import { parse } from '../lang/index.ts';\nexport default parse;" },
        { name: 'packages are not components', filename: file('src/protocol/schema.ts'), options: opts,
          code: "import { z } from 'zod';\nexport const s = z.string();" },
        { name: 'subpath imports (#…) are not checked', filename: file('src/agent/a.ts'), options: opts,
          code: "import x from '#server/thing';\nexport default x;" },
      ],
      invalid: [
        { name: 'import type is still an import', filename: file('src/agent/a.ts'), options: opts,
          code: "import type { Api } from '../server/index.js';\nexport type A = Api;",
          errors: [{ message: forbidden('agent', 'server', ALLOWANCE.agent!) }] },
        { name: 'side-effect import', filename: file('src/server/a.ts'), options: opts,
          code: "import '../agent/index.js';",
          errors: [{ message: forbidden('server', 'agent', ALLOWANCE.server!) }] },
        { name: 'export * from', filename: file('src/server/index.ts'), options: opts,
          code: "export * from '../agent/index.js';",
          errors: [{ message: forbidden('server', 'agent', ALLOWANCE.server!) }] },
        { name: 'export * as ns from', filename: file('src/protocol/index.ts'), options: opts,
          code: "export * as lang from '../lang/index.js';",
          errors: [{ message: forbidden('protocol', 'lang', ALLOWANCE.protocol!) }] },
        { name: 'export { } from', filename: file('src/web/index.ts'), options: opts,
          code: "export { Bus } from '../transport/index.js';",
          errors: [{ message: forbidden('web', 'transport', ALLOWANCE.web!) }] },
        { name: 'export type { } from', filename: file('src/lang/index.ts'), options: opts,
          code: "export type { Message } from '../protocol/index.js';",
          errors: [{ message: forbidden('lang', 'protocol', ALLOWANCE.lang!) }] },
        { name: 'dynamic import()', filename: file('src/agent/a.ts'), options: opts,
          code: "export const load = () => import('../server/index.js');",
          errors: [{ message: forbidden('agent', 'server', ALLOWANCE.agent!), line: 1, column: 34 }] },
        { name: 'dynamic import() of a template literal', filename: file('src/cli/a.ts'), options: opts,
          code: 'export const load = () => import(`../web/index.js`);',
          errors: [{ message: forbidden('cli', 'web', ALLOWANCE.cli!) }] },
        { name: "TypeScript import('…') type", filename: file('src/agent/a.ts'), options: opts,
          code: "export type S = import('../server/index.js').Server;",
          errors: [{ message: forbidden('agent', 'server', ALLOWANCE.agent!) }] },
        { name: "import x = require('…')", filename: file('src/transport/a.ts'), options: opts,
          code: "import agent = require('../agent/index.js');\nexport const a = agent;",
          errors: [{ message: forbidden('transport', 'agent', ALLOWANCE.transport!) }] },
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
        { name: 'deep import inside the same component', filename: file('src/agent/alarms/eval.ts'), options: opts,
          code: "import { Tsdb } from '../tsdb/store.js';\nimport { run } from '../exec/sub/run.js';\nexport default [Tsdb, run];" },
        { name: 'same component through its own folder name', filename: file('src/agent/alarms/eval.ts'), options: opts,
          code: "import { Tsdb } from '../../agent/tsdb/store.js';\nexport default Tsdb;" },
        { name: 'public entry from a nested file', filename: file('src/transport/ws/client.ts'), options: opts,
          code: "import { Message } from '../../protocol/index.js';\nexport type M = Message;" },
        { name: 'deep import inside lang', filename: file('src/lang/parser/expr.ts'), options: opts,
          code: "export { lex } from '../lexer/lex.js';" },
      ],
      invalid: [
        { name: 'a file of another component', filename: file('src/agent/a.ts'), options: opts,
          code: "import { WsBus } from '../transport/ws/client.js';\nexport default WsBus;",
          errors: [{ message: deep('agent', 'transport', 'src/transport/ws/client.js'), line: 1, column: 23 }] },
        { name: "a sub-folder's index of another component", filename: file('src/agent/a.ts'), options: opts,
          code: "import { WsBus } from '../transport/ws/index.js';\nexport default WsBus;",
          errors: [{ message: deep('agent', 'transport', 'src/transport/ws/index.js') }] },
        { name: 'deep import from a nested file', filename: file('src/server/store/pg.ts'), options: opts,
          code: "import { Message } from '../../protocol/messages.js';\nexport type M = Message;",
          errors: [{ message: deep('server', 'protocol', 'src/protocol/messages.js') }] },
        { name: 'deep export from', filename: file('src/cli/commands/query.ts'), options: opts,
          code: "export { plan } from '../../lang/planner/plan.js';",
          errors: [{ message: deep('cli', 'lang', 'src/lang/planner/plan.js') }] },
        { name: 'deep dynamic import', filename: file('src/lab/fleet.ts'), options: opts,
          code: "export const load = () => import('../agent/daemon.js');",
          errors: [{ message: deep('lab', 'agent', 'src/agent/daemon.js') }] },
        { name: 'a forbidden deep import reports the layering only', filename: file('src/agent/a.ts'), options: opts,
          code: "import { db } from '../server/store/sqlite.js';\nexport default db;",
          errors: [{ message: forbidden('agent', 'server', ALLOWANCE.agent!) }] },
        { name: 'an import into src/ outside any component', filename: file('src/agent/a.ts'), options: opts,
          code: "import { u } from '../util/x.js';\nexport default u;",
          errors: [{ message: unknown('agent', 'src/util/x.js') }] },
        { name: 'an import of a file directly in src/', filename: file('src/server/a.ts'), options: opts,
          code: "import { u } from '../shared.js';\nexport default u;",
          errors: [{ message: unknown('server', 'src/shared.js') }] },
      ],
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
        { name: 'packages that only look like built-ins are not built-ins', filename: file('src/lang/a.ts'), options: opts,
          code: "import x from 'fs-extra';\nimport y from 'path-browserify';\nexport default [x, y];" },
      ],
      invalid: [
        ...['lang', 'protocol'].flatMap((c) =>
          builtins.map((spec) => ({
            name: `${c} must not import ${spec}`, filename: file(`src/${c}/a.ts`), options: opts,
            code: `import * as m from '${spec}';\nexport default m;`,
            errors: [{ message: builtin(c, spec), line: 1, column: 20 }],
          })),
        ),
        { name: 'dynamic import of a built-in', filename: file('src/lang/a.ts'), options: opts,
          code: "export const load = () => import('node:child_process');",
          errors: [{ message: builtin('lang', 'node:child_process') }] },
        { name: 'export from a built-in', filename: file('src/protocol/a.ts'), options: opts,
          code: "export { createHash } from 'node:crypto';",
          errors: [{ message: builtin('protocol', 'node:crypto') }] },
        { name: 'any node: specifier counts', filename: file('src/lang/a.ts'), options: opts,
          code: "import x from 'node:not-yet-a-module';\nexport default x;",
          errors: [{ message: builtin('lang', 'node:not-yet-a-module') }] },
        { name: 'a test without allowNodeBuiltins is checked', filename: file('src/lang/parser.test.ts'), options: opts,
          code: "import fs from 'node:fs';\nexport default fs;",
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
        { name: 'files outside src/ are not checked', filename: file('test/e2e/fleet.test.ts'), options: opts,
          code: "import { s } from '../../src/server/store/pg.js';\nimport fs from 'node:fs';\nexport default [s, fs];" },
        { name: 'bench files are not checked', filename: file('bench/query.ts'), options: opts,
          code: "import { plan } from '../src/lang/planner/plan.js';\nexport default plan;" },
        { name: 'a file directly in src/ is in no component', filename: file('src/index.ts'), options: opts,
          code: "export * from './server/store/pg.js';" },
        { name: 'a file in an unknown folder is not checked', filename: file('src/util/x.ts'), options: opts,
          code: "export * from '../server/store/pg.js';" },
        { name: 'imports leaving src/ are not component imports', filename: file('src/lang/catalogue.ts'), options: opts,
          code: "import pkg from '../../package.json' with { type: 'json' };\nexport default pkg;" },
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
