/*
 * Shared by the pack lab tests (test/packs/*.test.ts): one lab per test file, a pack installed
 * with the real CLI (`breakwater pack install NAME --set ... --yes --json`, the user's code path),
 * and the events of one alarm and bot on one host. The rest comes from the scenario helpers
 * (waitFor, events, labHost, query, cli), re-exported here so a pack test imports one module.
 *
 * @example
 * let lab: Lab;
 * packLab({ hosts: 2 }, (l) => (lab = l));
 * it('fixes it', async () => {
 *   await installPack(lab, 'disk-full-logs', { directory: 'data/logs', min_size: '1MiB' });
 *   const started = Date.now();
 *   await lab.fillDisk(labHost(lab, 'web-1'), 95);
 *   const [fired, ran, cleared] = await botTimeline(lab, { host: 'web-1', alarm: 'disk-full-logs', bot: 'disk-full-logs', since: started });
 * });
 */
import { afterAll, beforeAll } from 'vitest';
import type { Lab, LabOptions } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import type { CliResult } from '../helpers.js';
import type { FleetEventRow } from '../scenarios/scenario-helpers.js';
import { cli, events, waitFor, waitNoDrift } from '../scenarios/scenario-helpers.js';

export type { FleetEventRow, RunDetail } from '../scenarios/scenario-helpers.js';
export { cli, events, labHost, query, waitFor } from '../scenarios/scenario-helpers.js';

/** Starts a lab of `options` before the file's tests (no definitions yet) and stops it after them. */
export function packLab(options: LabOptions, started: (lab: Lab) => void, timeoutMs = 60_000): void {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await startLab(options);
    started(lab);
  }, timeoutMs);
  afterAll(async () => {
    await lab?.stop();
  });
}

/** What `pack install --json` prints: the pack, its values, the plan's lines, the runbooks and the version applied. */
export interface PackInstallAnswer {
  readonly pack: string;
  readonly version: string;
  readonly values: Record<string, string | number | boolean>;
  readonly plan: { op: 'create' | 'update' | 'delete'; kind: string; name: string; change?: { field: string; before: string; after: string } }[];
  readonly runbooks: { name: string; op: 'create' | 'replace' | 'unchanged' }[];
  readonly applied: number | null;
}

/**
 * Installs pack `name` from the package's packs/ with the real CLI and these values (`--set k=v`
 * each; `extra` flags after them, such as `--values FILE`), then waits until every agent runs the
 * new definitions. Fails the test unless the CLI exits 0.
 */
export async function installPack(lab: Lab, name: string, values: Readonly<Record<string, string | number | boolean>> = {}, extra: readonly string[] = []): Promise<PackInstallAnswer & { cli: CliResult }> {
  const sets = Object.entries(values).flatMap(([k, v]) => ['--set', `${k}=${String(v)}`]);
  const r = await cli(lab, ['pack', 'install', name, ...sets, ...extra, '--yes', '--json']);
  if (r.code !== 0) throw new Error(`breakwater pack install ${name} exited ${r.code}: ${r.stderr}${r.stdout}`);
  const answer = JSON.parse(r.stdout) as PackInstallAnswer;
  if (answer.applied !== null) await waitNoDrift(lab, answer.applied);
  return { ...answer, cli: r };
}

/**
 * Waits until `alarm` fired, `bot` ran and `alarm` cleared on `host` since `since` (ms), and
 * returns those events oldest first (with any others of the alarm and bot between them).
 */
export async function botTimeline(lab: Lab, o: { host: string; alarm: string; bot: string; since: number; timeoutMs?: number }): Promise<FleetEventRow[]> {
  const all = await waitFor(
    `alarm ${o.alarm} fired, bot ${o.bot} ran and the alarm cleared on ${o.host}`,
    async () => {
      const mine = (await events(lab, { host: o.host, since: o.since })).filter((e) => e.alarm === o.alarm || e.bot === o.bot);
      return mine.some((e) => e.type === 'alarm_cleared') && mine.some((e) => e.type === 'bot_ran') ? mine : undefined;
    },
    o.timeoutMs ?? 30_000,
  );
  return [...all].reverse();
}
