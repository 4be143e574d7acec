import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from './api.js';
import { getJson } from './api.js';
import type { Io } from './io.js';
import type { Listing } from './listing.js';
import { TableWriter, columnsFor } from './listing.js';
import type { OutputFormat } from './output-format.js';
import { yamlDocuments } from './output-format.js';
import { styleFor } from './style.js';

/**
 * A signal aborted by Ctrl-C (SIGINT), for a `--watch` that runs until the operator stops it and
 * then ends quietly with exit 0; `done()` puts Node's own SIGINT handling back.
 *
 * @example
 * const stop = untilInterrupted();
 * try { await follow(stop.signal); } finally { stop.done(); }
 */
export function untilInterrupted(): { readonly signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, done: () => process.off('SIGINT', onSigint) };
}

/**
 * Prints a watched listing as it changes: the items there are, then each changed one under them.
 * A table keeps its columns; json is one compact object a line (NDJSON), yaml one document each,
 * name one `kind/name` a line.
 *
 * @example
 * const out = watchPrinter(io, 'table', listing);
 * await out.start(items);
 * await out.item(changed);
 */
export function watchPrinter(io: Io, format: OutputFormat, listing: Listing): { start(items: readonly Record<string, unknown>[]): Promise<void>; item(item: Record<string, unknown>): Promise<void> } {
  const write = (s: string) => io.stdout.write(s);
  if (format === 'table' || format === 'wide') {
    const table = new TableWriter(columnsFor(format, listing), styleFor(io.stdout, io.env), write);
    return { start: async (items) => table.start(items), item: async (i) => table.row(i) };
  }
  const one = async (i: Record<string, unknown>) => {
    if (format === 'json') write(`${JSON.stringify(i)}\n`);
    else if (format === 'yaml') write(await yamlDocuments([i]));
    else write(`${listing.name(i)}\n`);
  };
  return {
    start: async (items) => {
      for (const i of items) await one(i);
    },
    item: one,
  };
}

/** How often `get agents --watch` asks for the agents again. */
export const AGENT_POLL_MS = 2000;

/** What makes an agent's line worth printing again: its state as the table shows it. */
const agentState = (a: Record<string, unknown>) => `${String(a.status)}|${String(a.revokedAt ?? '')}`;

/**
 * `breakwater get agents --watch`: the agents, then a line each time one joins, connects,
 * disconnects, is revoked or deleted (polled every 2 s), until Ctrl-C (exit 0). A poll that fails
 * is said once on stderr and retried; the first listing must succeed.
 */
export async function watchAgents(ep: Endpoint, format: OutputFormat, listing: Listing & { readonly path: string }, io: Io): Promise<number> {
  const stop = untilInterrupted();
  try {
    const out = watchPrinter(io, format, listing);
    const poll = async () => new Map((await getJson<Record<string, unknown>[]>(ep, listing.path, stop.signal)).map((a) => [String(a.name), a]));
    let known = await poll();
    await out.start([...known.values()]);
    let failing = false;
    for (;;) {
      await sleep(AGENT_POLL_MS, undefined, { signal: stop.signal });
      let now: Map<string, Record<string, unknown>>;
      try {
        now = await poll();
      } catch (err) {
        if (stop.signal.aborted) throw err;
        // One failed poll (a control plane restarting) does not end the watch: say so once, keep polling.
        if (!failing) io.stderr.write(`watch: cannot list the agents (${err instanceof Error ? err.message : String(err)}); still trying every ${AGENT_POLL_MS / 1000} s\n`);
        failing = true;
        continue;
      }
      if (failing) io.stderr.write('watch: the agents are listed again\n');
      failing = false;
      for (const [name, agent] of now) {
        const before = known.get(name);
        if (!before || agentState(before) !== agentState(agent)) await out.item(agent);
      }
      for (const [name, agent] of known) if (!now.has(name)) await out.item({ ...agent, status: 'deleted' });
      known = now;
    }
  } catch (err) {
    if (stop.signal.aborted) return 0;
    throw err;
  } finally {
    stop.done();
  }
}
