import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { BreakwaterError } from '../protocol/index.js';

/** How far a lab's start has come: `connected` of `total` agents, `elapsedMs` since the first was started. */
export interface LabProgress {
  readonly connected: number;
  readonly total: number;
  readonly elapsedMs: number;
}

/** What a staggered start needs of the lab. */
export interface StaggeredStart {
  readonly hosts: readonly { readonly name: string; process: ChildProcess | undefined }[];
  /** Starts one host's agent (sets its `process`). */
  start(index: number): void;
  /** The names of the agents the control plane has connected now. */
  connected(): Promise<ReadonlySet<string>>;
  /** At most this many agents starting (started, not connected yet) at once. */
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Where the agents' logs are, for the error that names the ones missing. */
  readonly logs: string;
  readonly onProgress?: ((progress: LabProgress) => void) | undefined;
  /** How often the control plane is asked (default 500 ms: the answer lists every agent). */
  readonly pollMs?: number;
}

/**
 * Agents starting at once on this machine: an agent needs about half a second of CPU to start (a
 * Node process, an RSA key, two TLS handshakes), so a few per core keep the cores busy without
 * starving the ones already starting; and the control plane accepts 64 unauthenticated
 * connections per address, which 200 agents started together overran (docs/design-decisions.md,
 * "A lab of 200 agents").
 */
export function startConcurrency(): number {
  return Math.max(4, 4 * availableParallelism());
}

/**
 * A lab's start-up timeout: a minute, and four seconds per host. A quiet 2-core machine starts about
 * two agents a second; shared with other work (a load average near 100), one in three seconds.
 */
export function startTimeoutMs(hosts: number): number {
  return 60_000 + 4_000 * hosts;
}

/**
 * Starts the agents in order, never more than `concurrency` starting at once, and resolves when all
 * are connected; reports progress after each look at the control plane. Rejects with
 * BW_ERR_UNAVAILABLE naming the agents missing at the timeout, or at once the first agent that
 * exits before connecting (with where its log is).
 *
 * @example
 * await startStaggered({ hosts, start: (i) => startAgent(hosts[i]!), connected, concurrency: 8, timeoutMs: 460_000, logs, onProgress: console.log });
 */
export async function startStaggered(s: StaggeredStart): Promise<void> {
  const began = Date.now();
  const total = s.hosts.length;
  let next = 0;
  for (;;) {
    const up = await s.connected();
    let starting = 0;
    for (const host of s.hosts.slice(0, next)) {
      if (up.has(host.name)) continue;
      const exited = host.process?.exitCode ?? host.process?.signalCode;
      if (exited !== null && exited !== undefined) {
        throw new BreakwaterError('BW_ERR_UNAVAILABLE', `lab: the agent of ${host.name} exited (${exited}) before it connected; see ${s.logs}/${host.name}.log`);
      }
      starting++;
    }
    for (; next < total && starting < s.concurrency; next++, starting++) s.start(next);
    const connected = s.hosts.filter((h) => up.has(h.name)).length;
    s.onProgress?.({ connected, total, elapsedMs: Date.now() - began });
    if (connected === total) return;
    if (Date.now() - began > s.timeoutMs) {
      const missing = s.hosts.filter((h) => !up.has(h.name)).map((h) => h.name);
      const notStarted = total - next;
      throw new BreakwaterError(
        'BW_ERR_UNAVAILABLE',
        `lab: ${connected} of ${total} agents connected after ${Math.round(s.timeoutMs / 1000)} s; missing ${listSome(missing)}${notStarted ? ` (${notStarted} not started yet)` : ''} (logs in ${s.logs})`,
      );
    }
    await new Promise((r) => setTimeout(r, s.pollMs ?? 500));
  }
}

/** The first few names, and how many more. */
function listSome(names: readonly string[]): string {
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`;
}
