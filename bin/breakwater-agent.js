#!/usr/bin/env -S MALLOC_ARENA_MAX=2 UV_THREADPOOL_SIZE=2 node --lite-mode --no-expose-wasm --max-semi-space-size=1 --single-threaded-gc --v8-pool-size=1
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
// Lite mode turns WebAssembly off (said outright with --no-expose-wasm, which spares a warning on
// every start): that is why the agent speaks HTTP with node:http, not fetch.
import { agentMain } from '../dist/breakwater-agent.js';

process.exitCode = await agentMain(process.argv.slice(2));
