// Bundles the agent (dist/cli/agent-main.js and what it imports) into one file,
// dist/breakwater-agent.js, for bin/breakwater-agent.js: one module to load instead of ~90, and
// only the code the agent runs. Why: docs/design-decisions.md, "The agent's memory".
import { rolldown } from 'rolldown';

// No side effects on import: yaml, reached only through the definitions barrel; and the agent's own
// NATS modules, reached statically only through the agent barrel's re-exports (the agent loads them
// with import() under --bus). Otherwise the bundle would import the NATS chunk for its side effects,
// and every WebSocket agent would load the NATS client and, through it, Node's root certificates.
const SIDE_EFFECT_FREE = /\/node_modules\/yaml\/|[\\/]dist[\\/]agent[\\/]nats[\\/]/;

const bundle = await rolldown({
  input: 'dist/cli/agent-main.js',
  platform: 'node',
  treeshake: { moduleSideEffects: (id) => !SIDE_EFFECT_FREE.test(id) },
  // ws's optional native speed-ups: absent, ws uses its JavaScript fallbacks.
  external: ['bufferutil', 'utf-8-validate'],
  // What codeSplitting.includeDependenciesRecursively = false (below) needs; the entry keeps its exports.
  preserveEntrySignatures: 'allow-extension',
});
// The NATS transport (`--bus`, the scaled mode) and the exporter (`--metrics-listen`) are imported
// dynamically by the agent: each becomes a chunk of its own beside the bundle, loaded only by the
// agents that use it.
const { output } = await bundle.write({
  dir: 'dist',
  entryFileNames: 'breakwater-agent.js',
  chunkFileNames: 'breakwater-agent-[name].js',
  // Left alone, the bundler may merge code the agent always runs (zod, the protocol) into the NATS
  // chunk, which the bundle then imports statically: the NATS client and what only it uses get a group.
  // Likewise the exporter (`--metrics-listen`): prom-client and what only it uses, loaded only by agents that serve metrics.
  codeSplitting: {
    includeDependenciesRecursively: false,
    groups: [
      { name: 'nats', test: /node_modules[\\/](@nats-io|tweetnacl)[\\/]|[\\/]agent[\\/]nats[\\/]/ },
      { name: 'exporter', test: /node_modules[\\/](prom-client|tdigest|bintrees|@opentelemetry)[\\/]|[\\/]agent[\\/]exporter[\\/]/ },
    ],
  },
  format: 'esm',
  // Escaped non-ASCII characters (a few dashes and superscripts in the metric catalogue): V8 holds a
  // script's source for as long as it runs, as one byte a character only when every one fits.
  charset: 'ascii',
  minify: true,
  sourcemap: true,
  banner: '// Breakwater agent, bundled from dist/cli/agent-main.js by tools/build-agent.mjs (source map beside it).',
});
await bundle.close();
for (const chunk of output.filter((o) => o.type === 'chunk')) {
  const packages = new Set(Object.keys(chunk.modules).flatMap((id) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(id)?.[1] ?? []));
  if (process.env.BW_BUILD_VERBOSE) console.log(`dist/${chunk.fileName}: ${Math.round(chunk.code.length / 1024)} kB; packages: ${[...packages].sort().join(', ')}`);
}
