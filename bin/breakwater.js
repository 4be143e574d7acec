#!/usr/bin/env node
// The published entry point: the CLI bundled by `npm run build` (tools/build-cli.mjs) into
// dist/cli/breakwater.js, whose commands load their own code only when they run. Node's compile
// cache (Node >= 22.1) is turned on before the bundle loads, so that it is compiled once, not on
// every start (docs/design-decisions.md, "The CLI's start-up").
import { enableCompileCache } from '../dist/cli/compile-cache.js';

enableCompileCache(process.env);
const { cli } = await import('../dist/cli/breakwater.js');
process.exitCode = await cli(process.argv.slice(2));
