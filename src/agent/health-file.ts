import type { EventEmitter } from 'node:events';
import { renameSync, utimesSync, writeFileSync } from 'node:fs';

/**
 * Keeps a file that says how the agent is, for probes that cannot ask it (a Kubernetes exec
 * probe; the agent serves no port): its text is the agent's state (`connected`, `backoff`, …)
 * and a newline, its modification time the end of the last metric collection pass (before the
 * first, the time it was started). Written on each state change (through a temporary file and a
 * rename, so a probe never reads half a word) with that time kept, so a connection that comes and
 * goes does not hide a stuck collection; touched after each pass. A file that cannot be written is
 * reported once and never stops the agent.
 *
 * @example
 * reportHealth(daemon, '/tmp/breakwater-agent.health', 'starting', (m) => logger.warn(m));
 * // readiness: grep -qx connected /tmp/breakwater-agent.health; liveness: find … -mmin -1
 */
export function reportHealth(daemon: EventEmitter, path: string, initial: string, onProblem: (message: string) => void): void {
  let reported = false;
  const attempt = (what: () => void) => {
    try {
      what();
    } catch (err) {
      if (!reported) onProblem(`health file ${path} not written: ${(err as Error).message}`);
      reported = true;
    }
  };
  let passAt = new Date();
  const write = (state: string) =>
    attempt(() => {
      writeFileSync(`${path}.tmp`, `${state}\n`);
      utimesSync(`${path}.tmp`, passAt, passAt);
      renameSync(`${path}.tmp`, path);
    });
  write(initial);
  daemon.on('state', (state: string) => write(state));
  daemon.on('collected', () =>
    attempt(() => {
      passAt = new Date();
      utimesSync(path, passAt, passAt);
    }),
  );
}
