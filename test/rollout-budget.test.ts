import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import type { BotState, ResultRow, RunExplanation } from '../src/protocol/index.js';
import type { AuditRow } from './scenarios/scenario-helpers.js';
import { BY_NAME, cli, jsonLines, labForFile } from './scenarios/scenario-helpers.js';

/*
 * Rollouts with an error budget on real agents: a command that fails on three chosen hosts, rolled
 * out two at a time with `max_errors = 2`, aborts after the batch that makes the third failure,
 * and says what ran, what failed and what never started. Its dry run explains the batches, the
 * breaker of the bot that runs the same action, the approval and the blast radius, and runs nothing.
 */

const DEFINITIONS = `kind: action
name: note_run
command: echo "ran on $BW_HOST" >> "$HOST_ROOT/run/note-run.log"
timeout: 10s
---
kind: alarm
name: never
query: host
fire: ok(\`test -e "$HOST_ROOT/run/never"\`)
---
kind: bot
name: noter
trigger: { alarm: never }
action: note_run
cooldown: 0s
circuit_breaker: { max: 4, window: 10m }
approval: { expires: 10m }
`;

describe('rollouts with an error budget (lab)', () => {
  let lab: Lab;
  labForFile({ hosts: 6, maxTargets: 4 }, { 'rollout.yaml': DEFINITIONS }, (l) => (lab = l));
  const names = () => lab.hosts.map((h) => h.name).sort(BY_NAME);
  /** Fails on the 2nd, 3rd and 4th host by name. */
  const failing = () => `\`case "$BW_HOST" in ${names().slice(1, 4).join('|')}) echo broken >&2; exit 3;; esac; echo fine\``;

  it('aborts once failures exceed max_errors: the rest never start, and the output says what ran, failed and never started', async () => {
    const [h1, h2, h3, h4, h5, h6] = names() as [string, string, string, string, string, string];
    const statement = `host | rolling(batch = 2, max_errors = 2) | ${failing()}`;
    const r = await cli(lab, ['run', '--yes', '--json', statement], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    const rows = lines.filter((l) => l.type === 'row').map((l) => l.row as ResultRow);
    const by = new Map(rows.map((x) => [x.resource?.name, x]));
    expect(by.get(h1)).toMatchObject({ status: 'ok', values: { exit_code: 0 } });
    for (const h of [h2, h3, h4]) expect(by.get(h)).toMatchObject({ status: 'ok', values: { exit_code: 3 } });
    const why = `3 failures > max_errors 2: batch 2 failed on ${h3}, ${h4}`;
    for (const h of [h5, h6]) expect(by.get(h)).toMatchObject({ status: 'cancelled', error: `not run: the rollout halted (${why})` });
    const progress = lines.filter((l) => l.type === 'progress');
    expect(progress.map((p) => `${String(p.stage)} ${String(p.batch)} errors ${String(p.errors)}/${String(p.maxErrors)}`)).toEqual(['batch_started 1 errors 0/2', 'batch_done 1 errors 1/2', 'batch_started 2 errors 1/2', 'halted 2 errors 3/2']);
    const summary = lines.find((l) => l.type === 'summary');
    expect(summary?.rollout).toEqual({ batches: 3, started: 2, maxErrors: 2, ok: [h1], failed: [h2, h3, h4], notStarted: [h5, h6], aborted: why });

    // People read the same: the budget, then what ran, failed and never started.
    const human = await cli(lab, ['run', '--yes', statement], { timeoutMs: 60_000 });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`rollout aborted after batch 2/3, errors 3/2: ${why}`);
    expect(human.stdout).toMatch(new RegExp(`failed +3 +${h2}, ${h3}, ${h4}`));
    expect(human.stdout).toMatch(new RegExp(`not started +2 +${h5}, ${h6}`));
    expect(human.stderr).toContain('rollout: batch 1/3 done: batch 1 failed on');
    expect(human.stderr).toContain('(errors 1/2)');
  }, 90_000);

  it('run --dry-run explains the batches, breakers, approval and blast radius, and runs and consumes nothing', async () => {
    const [h1, h2, h3, h4, h5, h6] = names() as [string, string, string, string, string, string];
    const statement = 'host | rolling(batch = 4, max_errors = 1, ramp = exponential) | note_run()';
    const breaker = async () => (await lab.api<BotState[]>('/api/v1/bots')).find((b) => b.name === 'noter')?.breaker;
    const before = await breaker();
    const r = await cli(lab, ['run', '--dry-run', statement]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dry run: nothing was run. 6 targets:');
    expect(r.stdout).toContain('batches       3, up to 4 each (ramp exponential: 1, 2, 4, …), max_errors 1');
    expect(r.stdout).toContain(`              1  1  ${h1}\n              2  2  ${h2}, ${h3}\n              3  3  ${h4}, ${h5}, ${h6}\n`);
    expect(r.stdout).toContain('breakers      bot noter (note_run): 0/4 used in 10m, 4 left; this run takes 0');
    expect(r.stdout).toContain("bot noter's runs of note_run wait for approval by the operator role or above");
    expect(r.stdout).toContain('blast radius  over the limit: 6 targets > 4; runs only with --yes');

    const json = await cli(lab, ['run', '--dry-run', '--json', statement]);
    const summary = jsonLines(json.stdout).find((l) => l.type === 'summary');
    const explanation = summary?.explanation as RunExplanation;
    expect(explanation.rollout?.batches.map((b) => b.names)).toEqual([[h1], [h2, h3], [h4, h5, h6]]);
    expect(explanation.blastRadius).toEqual({ verdict: 'over', targets: 6, limit: 4 });

    // Nothing ran, nothing was consumed, and both dry runs are audited as such.
    for (const h of lab.hosts) expect(existsSync(join(h.dir, 'run', 'note-run.log')), h.name).toBe(false);
    expect(await breaker()).toEqual(before);
    const audit = await lab.api<AuditRow[]>('/api/v1/audit?action=run.dry&limit=10');
    expect(audit.filter((a) => a.target === statement)).toHaveLength(2);
  }, 60_000);
});
