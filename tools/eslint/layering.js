/**
 * Breakwater's local ESLint plugin: the `breakwater/layering` rule.
 *
 * Why: shared/design/ARCHITECTURE.md ("Source layout" and "Layering") splits `src/` into
 * components with one public entry each (`src/<component>/index.ts`) and a strict direction of
 * dependencies. The doc asks for that to be enforced by a lint rule, not only written down:
 * a single stray import (the agent reaching into the server, the query language pulling in
 * `node:fs`) silently breaks the things the layering exists for — `lang` and `protocol` running
 * unchanged in the browser, the agent being bundled alone into one file, the same agent code
 * running as a daemon, as thousands of simulated agents, or against fakes in unit tests.
 *
 * What it checks, for every file under `src/<component>/`: each static `import` (including
 * `import type`), each `export … from`, each `import()` whose argument is a string literal (or a
 * template literal without substitutions), TypeScript `import('…')` types and
 * `import x = require('…')`.
 *   1. Component direction. Allowed dependencies, besides the file's own component:
 *        lang, protocol  -> nothing of ours
 *        definitions     -> lang, protocol (definition files parsed and checked, pure)
 *        transport       -> protocol
 *        agent, server   -> lang, protocol, definitions, transport (never each other)
 *        cli, lab        -> anything except web
 *        web             -> lang, protocol, definitions
 *   2. Purity. `lang`, `protocol` and `definitions` import no Node built-in (`node:*`, `fs`, `path`,
 *      `child_process`, …), so they run in a browser. Option `allowNodeBuiltins: true` lifts
 *      only this check (eslint.config.js sets it for `*.test.ts`: unit tests may read golden
 *      files with node:fs); the component rules still apply to tests.
 *   3. Public entries only. Another component is imported through `src/<b>/index.ts`
 *      (`../b/index.js`); `../b/foo.js` or `../b/sub/index.js` is a deep import and an error.
 *      Imports inside the same component are free, except for the sub-folders of rule 5.
 *   4. An import that resolves into `src/` but into no known component (say `src/util/x.ts`) is an
 *      error too, so that a new folder cannot quietly sidestep the layering: add it here and to
 *      the architecture doc first.
 *   5. Sub-folders, inside a component (SUB_FOLDERS, one line per sub-folder). A sub-folder with a
 *      public entry (`server/store`, `server/fleet`, …) is imported through its `index.ts` from the
 *      rest of its component too (`../store/kysely-store.js` from `src/server/api` is an error),
 *      so its files can be cut and moved freely; and a sub-folder may be barred from importing some
 *      of its siblings where the arrow runs one way (`server/store` imports none of `api`, `query`,
 *      `remediation`, `fleet`; `agent/metrics` and `agent/exec` import neither `engine` nor
 *      `query`). Each message says what to import or do instead.
 *   6. Test support. A `*.test-support.ts` module (fakes, shared set-up; left out of the build) is
 *      imported only by tests and other test-support modules, which may import it directly even
 *      inside a sub-folder with a public entry: fakes are not part of the public entry.
 *
 * Relative specifiers are resolved against the importing file with `path.posix` on normalised
 * (forward-slash) paths, so the result does not depend on the working directory. The file's
 * component is found relative to the `root` option (eslint.config.js passes its own folder);
 * without it, from the first `src/<known component>/` in the file's path.
 *
 * Plain ESM JavaScript on purpose: ESLint loads it straight from eslint.config.js, with no build.
 */
import path from 'node:path';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The components of `src/`, in layering order. */
export const COMPONENTS = Object.freeze(['lang', 'protocol', 'definitions', 'transport', 'agent', 'server', 'cli', 'web', 'lab']);

/** Components each component may import (its own is always allowed). */
export const ALLOWED = Object.freeze({
  lang: [],
  protocol: [],
  definitions: ['lang', 'protocol'],
  transport: ['protocol'],
  agent: ['lang', 'protocol', 'definitions', 'transport'],
  server: ['lang', 'protocol', 'definitions', 'transport'],
  cli: ['lang', 'protocol', 'definitions', 'transport', 'agent', 'server', 'lab'],
  lab: ['lang', 'protocol', 'definitions', 'transport', 'agent', 'server', 'cli'],
  web: ['lang', 'protocol', 'definitions'],
});

/** Components that must stay free of Node built-ins (they run in a browser). */
export const PURE = Object.freeze(['lang', 'protocol', 'definitions']);

/**
 * Sub-folders of a component that have a direction of their own, one line each, keyed
 * `<component>/<sub-folder>`:
 *   entry  the sub-folder has a public `index.ts`: from outside the sub-folder (the rest of its
 *          component) it is imported only through it, so its files can move freely;
 *   never  the sibling sub-folders it must not import (the arrow runs the other way);
 *   instead  what to do instead, said in the message.
 * A sub-folder that is not listed is unrestricted inside its component.
 */
export const SUB_FOLDERS = Object.freeze({
  'server/store': { entry: true, never: ['api', 'query', 'remediation', 'fleet', 'audit'], instead: 'the store is the bottom of the server: take what it needs as a parameter, or move the type into store' },
  'server/secrets': { entry: true, never: ['api'], instead: 'routes call secrets, not the other way: move what both need into secrets' },
  'server/tls': { entry: true, never: ['api', 'query', 'remediation', 'store', 'secrets', 'audit'], instead: 'tls only makes certificates (the time comes from fleet\'s Clock): pass in what it needs' },
  'server/fleet': { entry: true, never: ['api', 'query', 'remediation'], instead: 'the fleet is a port below execution and routes: move what it needs into fleet, or pass it in' },
  'server/remediation': { entry: true, never: ['api'], instead: 'routes call remediation, not the other way: move what both need into remediation' },
  'server/nats': { entry: true, never: ['api', 'query'], instead: 'the NATS side of the control plane sits below routes and query execution: pass in what it needs' },
  'server/audit': { entry: true, never: ['api'], instead: 'routes call audit, not the other way: move what both need into audit' },
  'server/nats-auth': { entry: true, never: ['api', 'query', 'remediation', 'store'], instead: 'NATS credentials are minted below routes and the store: pass in what they need' },
  'server/query': { entry: false, never: ['api'], instead: 'routes call query execution, not the other way: move what both need into query' },
  'agent/metrics': { entry: false, never: ['engine', 'query'], instead: 'collectors sit below the engine and the executor: move what both need into metrics/types.ts' },
  'agent/exec': { entry: false, never: ['engine', 'query', 'metrics'], instead: 'runners sit below the engine and the executor: move what both need into exec/types.ts' },
  'server/metrics': { entry: true, never: ['api', 'query', 'remediation'], instead: 'the parts tell the metrics what they count (callbacks wired in wire.ts and server.ts): pass in what the gauges read' },
  'agent/exporter': { entry: true, never: ['engine', 'query', 'exec'], instead: 'the exporter reads the daemon\'s snapshot and status (ExporterSource): pass in what it needs' },
  'agent/containers': { entry: false, never: ['engine', 'query'], instead: 'container discovery sits below the engine and the executor: pass in what it needs' },
});

/**
 * How a component's allowance is said in messages, from ALLOWED.
 * @param {string} component
 */
function allowanceOf(component) {
  const allowed = /** @type {Record<string, readonly string[]>} */ (ALLOWED)[component] ?? [];
  if (allowed.length === 0) return `${component} may import no other component of ours`;
  const others = COMPONENTS.filter((c) => c !== component && !allowed.includes(c));
  if (others.length === 1) return `${component} may import any component except ${others[0]}`;
  return `${component} may import only ${allowed.join(', ')}`;
}

const SEE = '(see shared/design/ARCHITECTURE.md, Layering)';

/** What may follow `src/<component>/` for an import to count as going through the public entry. */
const PUBLIC_ENTRY = new Set(['', 'index', 'index.js', 'index.ts']);

/** @param {string} p */
const toPosix = (p) => p.replace(/\\/g, '/');

/**
 * Finds the `src` folder and component of a file.
 * @param {string} file absolute or relative posix path of the file
 * @param {string | undefined} root posix path of the project root, if known
 * @returns {{ srcDir: string, component: string } | null}
 */
function locate(file, root) {
  if (root !== undefined) {
    const rel = path.posix.relative(root, file);
    const segs = rel.split('/');
    if (segs.length >= 3 && segs[0] === 'src' && COMPONENTS.includes(segs[1] ?? '')) {
      return { srcDir: path.posix.join(root, 'src'), component: /** @type {string} */ (segs[1]) };
    }
    return null;
  }
  const segs = file.split('/');
  for (let i = 0; i + 2 < segs.length; i++) {
    if (segs[i] === 'src' && COMPONENTS.includes(segs[i + 1] ?? '')) {
      return { srcDir: segs.slice(0, i + 1).join('/') || '/', component: /** @type {string} */ (segs[i + 1]) };
    }
  }
  return null;
}

/**
 * Resolves a specifier to a posix path when it names a file (relative, absolute or file: URL).
 * @param {string} spec
 * @param {string} fromDir posix folder of the importing file
 * @returns {string | null} null for bare specifiers (packages, Node built-ins, `#imports`)
 */
function resolvePath(spec, fromDir) {
  const bare = spec.split(/[?#]/)[0] ?? '';
  if (spec.startsWith('file:')) {
    try {
      return path.posix.normalize(toPosix(fileURLToPath(spec)));
    } catch {
      return null;
    }
  }
  if (bare === '.' || bare === '..' || bare.startsWith('./') || bare.startsWith('../')) {
    return path.posix.normalize(path.posix.join(fromDir, bare));
  }
  if (bare.startsWith('/')) return path.posix.normalize(bare);
  return null;
}

/** @type {Readonly<Record<string, { entry: boolean, never: readonly string[], instead: string }>>} */
const SUB_FOLDERS_OF = SUB_FOLDERS;

/**
 * The sub-folder a path inside `src/` is in, or '' for a file right in its component. A folder
 * import (`./store`) counts as the sub-folder when SUB_FOLDERS lists it.
 * @param {string[]} segs the path's segments from its component on: `['server', 'store', 'x.ts']`
 */
function subFolderOf(segs) {
  if (segs.length >= 3) return segs[1] ?? '';
  const only = segs[1] ?? '';
  return segs.length === 2 && `${segs[0]}/${only}` in SUB_FOLDERS_OF ? only : '';
}

/** @type {import('eslint').Rule.RuleModule} */
export const layeringRule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Enforce the layering of src/ components, their public entries, and pure (browser-safe) lang and protocol',
    },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string', description: 'Project root (the folder holding src/).' },
          allowNodeBuiltins: {
            type: 'boolean',
            description: 'Lift only the Node built-in ban (for unit tests that read golden files).',
          },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      forbidden: 'src/{{from}} must not import src/{{to}}: {{allowance}} ' + SEE,
      builtin:
        "src/{{from}} must not import the Node built-in '{{spec}}': {{from}} must stay pure so it runs in a browser " + SEE,
      deep: 'src/{{from}} must not deep-import {{target}}: import src/{{to}} through its public entry src/{{to}}/index.ts',
      testSupport: 'src/{{from}} must not import {{target}}: a `*.test-support` module is for tests only (it is left out of the build)',
      subForbidden: 'src/{{from}} must not import src/{{to}} (it imports none of {{never}}): {{instead}} ' + SEE,
      unknown:
        'src/{{from}} must not import {{target}}: it is in no known component (' +
        COMPONENTS.join(', ') +
        '); add the component to tools/eslint/layering.js and shared/design/ARCHITECTURE.md first',
    },
  },

  create(context) {
    /** @type {{ root?: string, allowNodeBuiltins?: boolean }} */
    const options = context.options[0] ?? {};
    const cwd = toPosix(context.cwd);
    /** @param {string} p */
    const absolute = (p) => (path.posix.isAbsolute(p) || /^[A-Za-z]:\//.test(p) ? p : path.posix.join(cwd, p));
    const file = path.posix.normalize(toPosix(context.filename));
    const root = options.root === undefined ? undefined : path.posix.normalize(absolute(toPosix(options.root)));
    const here = locate(root === undefined ? file : absolute(file), root);
    if (here === null) return {};
    const { srcDir, component: from } = here;
    const fromDir = path.posix.dirname(root === undefined ? file : absolute(file));
    const checkBuiltins = PURE.includes(from) && options.allowNodeBuiltins !== true;
    const allowed = /** @type {Record<string, readonly string[]>} */ (ALLOWED)[from] ?? [];
    const allowance = allowanceOf(from);
    // Tests (and the test-support modules they share) may reach a sub-folder's `*.test-support`
    // fakes directly: fakes stay out of the public entry, which production code imports.
    const fromTest = /\.test(-support)?\.tsx?$/.test(file);
    const fromSub = subFolderOf(path.posix.relative(srcDir, root === undefined ? file : absolute(file)).split('/'));

    /**
     * @param {import('estree').Node} node the node to report on (the specifier's literal)
     * @param {string} spec
     */
    function check(node, spec) {
      const target = resolvePath(spec, fromDir);
      if (target === null) {
        if (checkBuiltins && (spec.startsWith('node:') || isBuiltin(spec))) {
          context.report({ node, messageId: 'builtin', data: { from, spec } });
        }
        return;
      }
      const rel = path.posix.relative(srcDir, target);
      if (rel === '' || rel === '..' || rel.startsWith('../') || path.posix.isAbsolute(rel)) return; // outside src/
      const [to = '', ...rest] = rel.split('/');
      const testSupport = /\.test-support(\.[jt]sx?)?$/.test(rel);
      if (testSupport && !fromTest) {
        context.report({ node, messageId: 'testSupport', data: { from, target: 'src/' + rel } });
        return;
      }
      if (to === from) {
        if (testSupport) return;
        checkInside(node, rest);
        return;
      }
      if (!COMPONENTS.includes(to)) {
        context.report({ node, messageId: 'unknown', data: { from, target: 'src/' + rel } });
        return;
      }
      if (!allowed.includes(to)) {
        context.report({ node, messageId: 'forbidden', data: { from, to, allowance } });
        return;
      }
      if (!PUBLIC_ENTRY.has(rest.join('/'))) {
        context.report({ node, messageId: 'deep', data: { from, to, target: 'src/' + rel } });
      }
    }

    /**
     * An import inside the file's own component: the directions and public entries of SUB_FOLDERS.
     * @param {import('estree').Node} node
     * @param {string[]} rest the target's path inside the component
     */
    function checkInside(node, rest) {
      const toSub = subFolderOf([from, ...rest]);
      if (toSub === '' || toSub === fromSub) return;
      const here = fromSub === '' ? from : `${from}/${fromSub}`;
      const mine = SUB_FOLDERS_OF[`${from}/${fromSub}`];
      if (mine?.never.includes(toSub)) {
        const data = { from: here, to: `${from}/${toSub}`, never: mine.never.join(', '), instead: mine.instead };
        context.report({ node, messageId: 'subForbidden', data });
        return;
      }
      if (SUB_FOLDERS_OF[`${from}/${toSub}`]?.entry && !PUBLIC_ENTRY.has(rest.slice(1).join('/'))) {
        context.report({ node, messageId: 'deep', data: { from: here, to: `${from}/${toSub}`, target: `src/${from}/${rest.join('/')}` } });
      }
    }

    /** @param {any} source */
    function checkSource(source) {
      if (source == null) return;
      if (source.type === 'Literal' && typeof source.value === 'string') {
        check(source, source.value);
      } else if (source.type === 'TemplateLiteral' && source.expressions.length === 0) {
        const cooked = source.quasis[0]?.value.cooked;
        if (typeof cooked === 'string') check(source, cooked);
      }
    }

    return {
      ImportDeclaration: (node) => checkSource(node.source),
      ExportNamedDeclaration: (node) => checkSource(node.source),
      ExportAllDeclaration: (node) => checkSource(node.source),
      ImportExpression: (node) => checkSource(node.source),
      // TypeScript-only syntax (typescript-eslint's AST): `import('…')` types and `import x = require('…')`.
      /** @param {any} node */
      TSImportType: (node) => checkSource(node.source ?? node.argument?.literal),
      /** @param {any} node */
      TSExternalModuleReference: (node) => checkSource(node.expression),
    };
  },
};

/** The plugin, registered as `breakwater` in eslint.config.js. */
const plugin = {
  meta: { name: 'breakwater', version: '0.1.0' },
  rules: { layering: layeringRule },
};

export default plugin;
