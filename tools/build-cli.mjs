// Bundles the CLI (dist/cli/index.js and what it imports) for bin/breakwater.js: the command line
// and `check` load one small file instead of ~250 modules; each command's own code (run's API
// client, the server, the lab, the agent…) is a chunk loaded when that command runs, because
// src/cli/index.ts imports it dynamically. Why and what it gained: docs/design-decisions.md, "The
// CLI's start-up".
//
// The bundle sits in dist/cli/, beside the modules it was made from, so that the paths the code
// finds relative to its own file (dist/web/ for the server, bin/ and packs/ for the lab) are the
// same bundled or not.
import { readdir, rm } from 'node:fs/promises';
import { rolldown } from 'rolldown';

// Packages bundled: small, pure JavaScript, loaded by most commands. The others (fastify, pino,
// better-sqlite3, pg, kysely, NATS, ws, node-forge…) stay in node_modules and load as they are:
// only the server, the lab and the agent use them, and some find files or native code of their own.
const BUNDLED_PACKAGES = /^(zod|commander|yaml)(\/|$)/;
const bare = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !id.startsWith('node:');

// commander requires node:child_process on load, only to spawn executable subcommands, which this
// CLI has none of: loading it costs a few ms of every start. The plugin defers it to first use.
// Should commander stop matching, the build fails rather than silently losing the gain.
const COMMANDER_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const deferChildProcess = {
  name: 'defer-commander-child-process',
  transform(code, id) {
    if (!/[\\/]commander[\\/]lib[\\/]command\.js$/.test(id)) return null;
    if (!code.includes(COMMANDER_CHILD_PROCESS)) throw new Error(`${id}: expected \`${COMMANDER_CHILD_PROCESS}\` (see tools/build-cli.mjs)`);
    // Same line, same length of lines: the source map stays right without one of its own.
    return { code: code.replace(COMMANDER_CHILD_PROCESS, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"), map: null };
  },
};

const bundle = await rolldown({
  plugins: [deferChildProcess],
  input: 'dist/cli/index.js',
  platform: 'node',
  external: (id) => bare(id) && !BUNDLED_PACKAGES.test(id),
  // The pure components (no I/O, nothing done on import that another module relies on): a module of
  // theirs none of whose exports a chunk uses is left out of it, so that the command line's own
  // chunk, which needs only BreakwaterError of the protocol, does not carry its schemas.
  treeshake: { moduleSideEffects: (id) => !/[\\/]dist[\\/](protocol|lang|definitions|transport)[\\/]|[\\/]node_modules[\\/]yaml[\\/]/.test(id) },
  preserveEntrySignatures: 'allow-extension',
});
// Chunks are named after their first module, which a change of the sources may change: the last
// build's go first, so that dist/ (and the npm package) holds only what this one uses.
for (const file of await readdir('dist/cli')) if (file.startsWith('breakwater')) await rm(`dist/cli/${file}`);
const { output } = await bundle.write({
  dir: 'dist/cli',
  entryFileNames: 'breakwater.js',
  chunkFileNames: 'breakwater-[name].js',
  format: 'esm',
  // Non-ASCII characters (the marks a terminal is shown: ✓ ✗ ● …) escaped, so that V8 can hold each
  // chunk's source as one byte a character, as tools/build-agent.mjs does for the agent.
  charset: 'ascii',
  minify: true,
  sourcemap: true,
  banner: '// Breakwater CLI, bundled from dist/cli/index.js by tools/build-cli.mjs (source map beside it).',
});
await bundle.close();
for (const chunk of output.filter((o) => o.type === 'chunk')) {
  const packages = new Set(Object.keys(chunk.modules).flatMap((id) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(id)?.[1] ?? []));
  if (process.env.BW_BUILD_VERBOSE) console.log(`dist/cli/${chunk.fileName}: ${Math.round(chunk.code.length / 1024)} kB, ${Object.keys(chunk.modules).length} modules; packages: ${[...packages].sort().join(', ')}; imports: ${chunk.imports.join(', ')}`);
}
