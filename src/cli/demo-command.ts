import type { Io } from './io.js';

/** Placeholder until the lab exists: says so plainly instead of pretending. */
export function demoCommand(io: Io): number {
  io.stderr.write(
    [
      'breakwater demo: not available yet.',
      'The local demo (control plane + agents + web UI) arrives with the agents and the control plane.',
      "Meanwhile the query language works: npx breakwater check 'host | cpu_usage > 80 | count'",
      '',
    ].join('\n'),
  );
  return 1;
}
