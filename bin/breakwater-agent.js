#!/usr/bin/env -S MALLOC_ARENA_MAX=2 UV_THREADPOOL_SIZE=2 node --lite-mode --max-semi-space-size=1 --single-threaded-gc --v8-pool-size=1
// The agent for the hosts of a fleet: one bundled file (dist/breakwater-agent.js, made by
// `npm run build`), run with settings that keep an idle agent small. Each one, measured in
// docs/design-decisions.md ("The agent's memory"):
//   --lite-mode                  no optimising compilers: the agent's hot path is tiny, and JIT code
//                                and feedback cost more memory than the interpreter costs CPU
//   --max-semi-space-size=1      a 1 MiB young generation: scavenges are frequent and cheap
//   --single-threaded-gc,
//   --v8-pool-size=1,
//   UV_THREADPOOL_SIZE=2         fewer threads, each with its own stack and malloc arena
//   MALLOC_ARENA_MAX=2           at most two malloc arenas
// Lite mode turns WebAssembly off: that is why the agent speaks HTTP with node:http, not fetch.
// Node 20's V8 says so in one warning line at start; --no-expose-wasm would silence it there, but
// Node 24's V8 no longer has that flag and refuses to start with it ("bad option").
import { agentMain } from '../dist/breakwater-agent.js';

process.exitCode = await agentMain(process.argv.slice(2));
