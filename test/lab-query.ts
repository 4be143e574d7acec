import type { Lab } from '../src/lab/index.js';
import type { ResultRow } from '../src/protocol/index.js';
import { runCli } from './helpers.js';
import type { PodmanContainers } from './podman.js';

/** The rows `breakwater run --json` gives for a statement, through a lab's control plane. */
export async function queryRows(lab: Lab, statement: string): Promise<ResultRow[]> {
  const r = await runCli(['run', '--json', statement], { env: { BREAKWATER_SERVER: lab.server, BREAKWATER_CA: lab.ca, BREAKWATER_TOKEN: lab.token } });
  const lines = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; row?: ResultRow });
  if (!lines.length) throw new Error(`no output from breakwater run: ${r.stderr}`);
  return lines.filter((line) => line.type === 'row').map((line) => line.row as ResultRow);
}

/** For `afterAll`: stops the lab, then removes the run's containers, whatever happened before. */
export async function stopLabAndContainers(lab: Lab | undefined, podman: PodmanContainers | undefined): Promise<void> {
  try {
    await lab?.stop();
  } finally {
    await podman?.stop();
  }
}
