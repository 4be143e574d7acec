import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import type { AuditRow, RunRow } from '../scenarios/scenario-helpers.js';
import { BY_NAME, sleep } from '../scenarios/scenario-helpers.js';
import type { FleetEventRow, RunDetail } from './pack-lab.js';
import { botTimeline, cli, events, installPack, labHost, packLab, query, waitFor } from './pack-lab.js';
import { FaultProcesses, appHealthy, appPid, niceOf, running, watchRestarts, zombieChildren } from './process-fault-helpers.js';

/*
 * The process-fault packs (issue 16) on one lab, each fault real and on hosts of its own:
 * memory-leak-rolling-restart (web-1, web-2, db-3: the lab service leaks), hung-workers (cache-4:
 * the service's workers hang), zombie-processes (web-5: a parent that reaps on SIGCHLD; web-6: one
 * that never reaps) and runaway-cpu-process (db-7: a busy loop). Each pack is installed with the
 * real CLI, with short timings.
 */

/** Far from other labs' services. */
const APP_PORT_BASE = 19_460;
const MiB = 1024 * 1024;

interface Approval {
  readonly id: string;
  readonly bot: string;
  readonly host: string;
  readonly status: string;
}

describe('process-fault packs', () => {
  let lab: Lab;
  const faults = new FaultProcesses();
  /**
   * The memory pack's limit: the services' resident memory at the start plus 56 MiB, above what
   * the service's everyday leak ever adds (50 MiB), so only the injected leak crosses it.
   */
  let maxRssMiB = 0;
  const host = (name: string): LabHost => labHost(lab, name);

  packLab({ hosts: 7, apps: true, appPortBase: APP_PORT_BASE }, (l) => (lab = l));
  /** Installs the pack with the real CLI: its definitions applied and its runbook (named like the pack) kept. */
  async function install(pack: string, values: Record<string, string | number>): Promise<void> {
    const answer = await installPack(lab, pack, values);
    expect(answer.runbooks).toEqual([{ name: pack, op: 'create' }]);
    expect(answer.plan.every((p) => p.op === 'create')).toBe(true);
  }

  beforeAll(async () => {
    const rows = await waitFor(
      'every service\'s resident memory',
      async () => {
        const r = await query(lab, 'process | name = "bw-app" | mem_rss_bytes');
        return r.length === lab.hosts.length && r.every((x) => typeof x.values.mem_rss_bytes === 'number') ? r : undefined;
      },
      30_000,
    );
    maxRssMiB = Math.ceil(Math.max(...rows.map((r) => r.values.mem_rss_bytes as number)) / MiB) + 56;
    await install('memory-leak-rolling-restart', {
      process: 'bw-app',
      max_rss: `${maxRssMiB}MiB`,
      fire_for: '1s',
      restart_after: '4s',
      min_uptime: '5s',
      health_url: 'http://127.0.0.1:$BW_TAG_PORT/health',
      pause: '1s',
      health_timeout: '20s',
      check_every: '2s',
    });
    await install('hung-workers', {
      process: 'bw-app',
      busy_file: '/run/app.busy',
      pid_file: '/run/app.pid',
      patch_signal: 'USR2',
      fire_busy: 3,
      clear_busy: 2,
      fire_for: '0s',
      sample_every: '1s',
      cooldown: '2s',
      verify_within: '20s',
    });
    await install('zombie-processes', { parent: 'bw-zombie-maker', min_zombies: 5, fire_for: '1s', restart_after: '6s' });
    // A low CPU limit: the machine is shared, the loop may get little of a core; only bw-spin is watched.
    await install('runaway-cpu-process', { process: '^bw-spin$', cpu: 3, clear_cpu: 0.5, window: '3s', cooldown: '1m' });
  }, 120_000);

  afterAll(() => faults.stopAll());

  /** Events of one host since `since`, oldest first, that concern `alarms` or `bots`. */
  async function timeline(h: LabHost, since: number, names: { alarms?: readonly string[]; bots?: readonly string[] }): Promise<FleetEventRow[]> {
    const all = await events(lab, { host: h.name, since });
    return all.filter((e) => (e.alarm !== null && names.alarms?.includes(e.alarm)) || (e.bot !== null && names.bots?.includes(e.bot))).reverse();
  }

  /** `t` when `done` holds of it; else throws what it holds so far (a timeout then shows it). */
  function complete(t: FleetEventRow[], done: (t: FleetEventRow[]) => boolean): FleetEventRow[] {
    if (done(t)) return t;
    throw new Error(`so far: ${t.map((e) => `${e.type} ${e.bot ?? e.alarm} ${e.resource}`).join(', ') || 'no events'}`);
  }

  /** The bot run of `event` is a run record like any other, audited under its principal. */
  async function expectRunRecord(runId: string | null, principal: string, h: LabHost, stdout: RegExp): Promise<RunDetail> {
    expect(runId).toBeTruthy();
    const run = await lab.api<RunDetail>(`/api/v1/runs/${String(runId)}`);
    expect(run.run).toMatchObject({ principal, status: 'succeeded', targets: 1, failures: 0 });
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ host: h.name, exitCode: 0 });
    expect(run.results[0]?.stdout).toMatch(stdout);
    const audit = await lab.api<AuditRow[]>(`/api/v1/audit?principal=${encodeURIComponent(principal)}&limit=200`);
    expect(audit).toContainEqual(expect.objectContaining({ principal, action: 'run', runId, outcome: 'ok' }));
    return run;
  }

  it('memory-leak-rolling-restart: restarts the leaking services one host at a time, each healthy before the next', async () => {
    const leaking = ['web-1', 'web-2', 'db-3'].map(host);
    const others = lab.hosts.filter((h) => !leaking.includes(h));
    const othersBefore = new Map(others.map((h) => [h.name, appPid(h)]));
    const started = Date.now();
    // The leak goes on until the service restarts; the new process runs the fixed release.
    const watcher = watchRestarts(leaking, (h) => lab.leakMemory(h, false));
    try {
      for (const h of leaking) await lab.leakMemory(h, true);
      const restarts = await watcher.done(60_000);

      // One host at a time, each answering healthy before the next went down.
      for (let i = 1; i < restarts.length; i++) expect(restarts[i]!.down).toBeGreaterThanOrEqual(restarts[i - 1]!.up as number);

      // Memory back down: the new process holds far less than the limit the old one passed.
      for (const r of restarts) {
        const row = await waitFor(
          `${r.host}'s new service (pid ${r.newPid}) in the process list`,
          async () => {
            const rows = await query(lab, `process | host = "${r.host}" and name = "bw-app" | mem_rss_bytes`);
            const found = rows.find((x) => x.resource?.id === `${r.host}/${r.newPid}`);
            if (!found) throw new Error(`rows: ${JSON.stringify(rows)}; pid file: ${appPid(host(r.host))}`);
            return found;
          },
          10_000,
        );
        expect(row.values.mem_rss_bytes as number).toBeLessThan((maxRssMiB - 20) * MiB);
      }

      // The schedule's runs: each restarted its hosts in order, every one healthy, recorded and audited.
      const principal = 'schedule:restart-leaking-processes';
      const details = await waitFor(
        'the schedule\'s runs that restarted them to finish',
        async () => {
          const runs = (await lab.api<RunRow[]>(`/api/v1/runs?principal=${encodeURIComponent(principal)}&limit=200`)).filter((r) => r.principal === principal && r.startedAt >= started);
          const all = await Promise.all(runs.map((r) => lab.api<RunDetail>(`/api/v1/runs/${r.id}`)));
          const done = all.filter((d) => d.results.length > 0);
          if (done.flatMap((d) => d.results).length < leaking.length || done.some((d) => d.run.finishedAt === null)) throw new Error(`runs so far: ${JSON.stringify(all.map((d) => d.run))}`);
          return done;
        },
        15_000,
      );
      // A check restarts the processes over the limit by then (the leaks cross it at slightly different
      // times, so one or more checks): each in the rollout's order (by host name), the checks one after the other.
      details.sort((a, b) => a.run.startedAt - b.run.startedAt);
      const restartedBy = details.flatMap((d) => d.results.map((x) => ({ run: d.run, ...x })));
      expect(restartedBy.map((x) => x.host)).toEqual(restarts.map((r) => r.host));
      for (const d of details) {
        expect(d.run).toMatchObject({ status: 'succeeded', failures: 0 });
        expect(d.results.map((x) => x.host)).toEqual(d.results.map((x) => x.host).sort(BY_NAME));
      }
      for (let i = 1; i < details.length; i++) expect(details[i]!.run.startedAt).toBeGreaterThanOrEqual(details[i - 1]!.run.finishedAt as number);
      for (const x of restartedBy) {
        const r = restarts.find((y) => y.host === x.host)!;
        expect(x).toMatchObject({ status: 'ok', exitCode: 0, resourceId: `${x.host}/${r.oldPid}` });
        expect(x.stdout).toContain(`stopped pid ${r.oldPid} (bw-app`);
        const audit = await lab.api<AuditRow[]>(`/api/v1/audit?principal=${encodeURIComponent(principal)}&limit=200`);
        expect(audit).toContainEqual(expect.objectContaining({ principal, action: 'run', runId: x.run.id }));

        // The alarm fired on the leaking process before its restart and cleared once it was gone.
        const h = host(x.host);
        const seen = await waitFor(
          `process-memory-leak to fire and clear on ${x.host}/${r.oldPid}`,
          async () => {
            const t = (await timeline(h, started, { alarms: ['process-memory-leak'] })).filter((e) => e.resource === `${x.host}/${r.oldPid}`);
            return t.some((e) => e.type === 'alarm_cleared') ? t : undefined;
          },
          15_000,
        );
        expect(seen.map((e) => e.type)).toEqual(['alarm_fired', 'alarm_cleared']);
        expect(seen[0]!.value).toBeGreaterThan(maxRssMiB * MiB);
        expect(seen[0]!.time).toBeLessThanOrEqual(x.run.startedAt);
        // Cleared when the old process was gone: after the restart began (often before its successor wrote its pid).
        expect(seen[1]!.time).toBeGreaterThanOrEqual(x.run.startedAt);
      }

      // The other hosts' services were left alone.
      for (const h of others) expect(appPid(h), h.name).toBe(othersBefore.get(h.name));
    } finally {
      watcher.stop();
      for (const h of leaking) await lab.leakMemory(h, false);
    }
  }, 90_000);

  it('hung-workers: patches the hung service from the custom metric, and again after its restart', async () => {
    const h = host('cache-4');
    const started = Date.now();
    await lab.hangWorkers(h, true);
    try {
      const seen = await botTimeline(lab, { host: h.name, alarm: 'service-workers-hung', bot: 'hung-workers-patch', since: started });
      expect(seen.map((e) => e.type)).toEqual(['alarm_fired', 'bot_ran', 'alarm_cleared']);
      const [fired, ran] = seen as [FleetEventRow, FleetEventRow];
      expect(fired.value).toBeGreaterThanOrEqual(3);
      const principal = `bot:hung-workers-patch@${h.name}`;
      expect(ran).toMatchObject({ action: 'apply_worker_patch', principal, details: expect.objectContaining({ ok: true, exitCode: 0 }) });
      await expectRunRecord(ran.runId, principal, h, new RegExp(`sent SIGUSR2 to pid ${appPid(h)}`));
      const state = (await (await fetch(`http://127.0.0.1:${h.port}/health`)).json()) as { busy: number; patched: boolean };
      expect(state).toMatchObject({ busy: 0, patched: true });

      // The restart forgets the patch; the other bot gives it to the new process.
      const oldPid = appPid(h);
      const at = Date.now();
      await lab.restartApp(h);
      const pid = await waitFor('the new service to answer', async () => (appPid(h) !== oldPid && (await appHealthy(h)) ? appPid(h) : undefined), 10_000, 50);
      const again = await waitFor(
        `hung-workers-reapply-on-restart on ${h.name}/${pid}`,
        async () => (await events(lab, { type: 'bot_ran', bot: 'hung-workers-reapply-on-restart', host: h.name, since: at })).find((e) => e.resource === `${h.name}/${pid}`),
        15_000,
      );
      expect(again).toMatchObject({ principal: `bot:hung-workers-reapply-on-restart@${h.name}`, details: expect.objectContaining({ ok: true, trigger: 'process_restarted' }) });
      await waitFor('the patch in the new process', async () => ((await (await fetch(`http://127.0.0.1:${h.port}/health`)).json()) as { pid: number; patched: boolean }).patched, 10_000);
    } finally {
      await lab.hangWorkers(h, false);
    }
  }, 60_000);

  it('zombie-processes: SIGCHLD makes a late-handler parent reap; a parent that never reaps is restarted only once approved', async () => {
    const lateHandler = host('web-5');
    const neverReaps = host('web-6');
    const started = Date.now();
    const late = await faults.start(lateHandler, 'bw-zombie-maker', ['12', 'reap-on-sigchld']);
    const never = await faults.start(neverReaps, 'bw-zombie-maker', ['12', 'never']);
    await waitFor('12 zombies under each parent', () => zombieChildren(late.pid).length === 12 && zombieChildren(never.pid).length === 12, 10_000);

    // The late handler: one SIGCHLD reaps them all; the alarm clears, no restart is proposed.
    const alarms = ['zombies-found', 'zombies-persist'];
    const bots = ['zombies-signal-parent', 'zombies-restart-parent'];
    const reaped = await waitFor(
      `zombies-found to fire, the parent to be signalled and the alarm to clear on ${lateHandler.name}`,
      async () => {
        const t = await timeline(lateHandler, started, { alarms, bots });
        return complete(t, () => t.some((e) => e.type === 'alarm_cleared') && t.some((e) => e.type === 'bot_ran'));
      },
      20_000,
    );
    // The bot's event is recorded when its run ends, after it counted the zombies left: the alarm may clear first.
    expect(reaped.map((e) => `${e.type} ${e.bot ?? e.alarm}`).sort()).toEqual(['alarm_cleared zombies-found', 'alarm_fired zombies-found', 'bot_ran zombies-signal-parent']);
    const [fired, cleared, ran] = ['alarm_fired', 'alarm_cleared', 'bot_ran'].map((t) => reaped.find((e) => e.type === t)!) as [FleetEventRow, FleetEventRow, FleetEventRow];
    expect(fired.value).toBe(12);
    const signalBot = `bot:zombies-signal-parent@${lateHandler.name}`;
    expect(ran).toMatchObject({ principal: signalBot, details: expect.objectContaining({ ok: true, exitCode: 0 }) });
    const signalRun = await expectRunRecord(ran.runId, signalBot, lateHandler, new RegExp(`sent SIGCHLD to bw-zombie-maker \\(pid ${late.pid}, 12 zombie children\\)[\\s\\S]*left: 0`));
    expect(fired.time).toBeLessThanOrEqual(signalRun.run.startedAt);
    expect(signalRun.run.startedAt).toBeLessThanOrEqual(cleared.time);
    expect(zombieChildren(late.pid)).toEqual([]);
    expect(running(late.pid)).toBe(true);

    // The parent that never reaps: SIGCHLD does nothing, so after restart_after a restart is proposed.
    const requested = await waitFor(
      `a restart of the parent proposed on ${neverReaps.name}`,
      async () => (await events(lab, { type: 'approval_requested', bot: 'zombies-restart-parent', host: neverReaps.name, since: started }))[0],
      20_000,
    );
    const before = await timeline(neverReaps, started, { alarms, bots });
    expect(before.map((e) => `${e.type} ${e.bot ?? e.alarm}`)).toEqual(['alarm_fired zombies-found', 'bot_ran zombies-signal-parent', 'alarm_fired zombies-persist', 'approval_requested zombies-restart-parent']);
    expect(before[1]?.details).toMatchObject({ ok: true, exitCode: 0 });
    expect(requested).toMatchObject({ action: 'restart_zombie_parent', principal: `bot:zombies-restart-parent@${neverReaps.name}` });
    // Nothing is restarted while the approval waits.
    await sleep(1500);
    expect(running(never.pid)).toBe(true);
    expect(zombieChildren(never.pid)).toHaveLength(12);
    expect(await events(lab, { type: 'bot_ran', bot: 'zombies-restart-parent', since: started })).toEqual([]);
    // The web-5 host, fixed by SIGCHLD, got no such proposal.
    const pending = await lab.api<Approval[]>('/api/v1/approvals?status=pending');
    expect(pending.filter((a) => a.bot === 'zombies-restart-parent').map((a) => a.host)).toEqual([neverReaps.name]);

    const id = String(requested.details.approval);
    const approvedAt = Date.now();
    const r = await cli(lab, ['approve', id]);
    expect(r.code, r.stderr).toBe(0);
    const runId = /approved; it ran as run ([0-9a-f-]{36})/.exec(r.stdout)?.[1] ?? null;
    const run = await expectRunRecord(runId, 'admin (approving bot:zombies-restart-parent)', neverReaps, new RegExp(`stopped bw-zombie-maker \\(pid ${never.pid}, 12 zombie children`));
    expect(run.run.startedAt).toBeGreaterThanOrEqual(approvedAt - 1000);
    await waitFor('the parent gone and its zombies reaped by init', () => !running(never.pid) && zombieChildren(never.pid).length === 0, 10_000);
    await waitFor(
      `both zombie alarms to clear on ${neverReaps.name}`,
      async () => (await events(lab, { type: 'alarm_cleared', host: neverReaps.name, since: started })).filter((e) => alarms.includes(e.alarm ?? '')).length === 2,
      15_000,
    );
  }, 60_000);

  it('runaway-cpu-process: renices the busy loop at once; stops it only after the approval', async () => {
    const h = host('db-7');
    const started = Date.now();
    const spin = await faults.start(h, 'bw-spin');
    try {
      expect(niceOf(spin.pid)).toBe(0);
      const reniced = await waitFor(
        `runaway-cpu to fire and the loop to be reniced on ${h.name}`,
        async () => (await timeline(h, started, { alarms: ['runaway-cpu'], bots: ['runaway-cpu-renice'] })).find((e) => e.type === 'bot_ran'),
        20_000,
      );
      const principal = `bot:runaway-cpu-renice@${h.name}`;
      expect(reniced).toMatchObject({ resource: `${h.name}/${spin.pid}`, principal, details: expect.objectContaining({ ok: true, exitCode: 0 }) });
      await expectRunRecord(reniced.runId, principal, h, new RegExp(`reniced pid ${spin.pid} \\(bw-spin\\): nice 0 -> 10`));
      expect(niceOf(spin.pid)).toBe(10);

      const requested = await waitFor(
        'the stop proposed for approval',
        async () => (await events(lab, { type: 'approval_requested', bot: 'runaway-cpu-stop', host: h.name, since: started }))[0],
        10_000,
      );
      expect(requested).toMatchObject({ resource: `${h.name}/${spin.pid}`, action: 'stop_process', principal: `bot:runaway-cpu-stop@${h.name}` });
      // The stop waits for the person: still spinning, reniced.
      await sleep(1500);
      expect(running(spin.pid)).toBe(true);
      expect(await events(lab, { type: 'bot_ran', bot: 'runaway-cpu-stop', since: started })).toEqual([]);

      const approvedAt = Date.now();
      const r = await cli(lab, ['approve', String(requested.details.approval)]);
      expect(r.code, r.stderr).toBe(0);
      const runId = /approved; it ran as run ([0-9a-f-]{36})/.exec(r.stdout)?.[1] ?? null;
      const run = await expectRunRecord(runId, 'admin (approving bot:runaway-cpu-stop)', h, new RegExp(`stopped pid ${spin.pid} \\(bw-spin\\)`));
      expect(run.run.startedAt).toBeGreaterThanOrEqual(approvedAt - 1000);
      await waitFor('the loop to exit', () => spin.exitCode !== null || spin.signalCode !== null, 10_000);
      expect(spin.signalCode).toBe('SIGTERM');
      const t = await waitFor(
        `runaway-cpu to clear on ${h.name}`,
        async () => {
          const all = await timeline(h, started, { alarms: ['runaway-cpu'], bots: ['runaway-cpu-renice', 'runaway-cpu-stop'] });
          return all.some((e) => e.type === 'alarm_cleared') ? all : undefined;
        },
        15_000,
      );
      // Fired; then the renice and the stop's approval request (both on the firing, in either order);
      // then the approval and the clearing (once the loop is gone; the approval is recorded as its run ends).
      const steps = t.map((e) => `${e.type} ${e.bot ?? e.alarm}`);
      expect(steps[0]).toBe('alarm_fired runaway-cpu');
      expect(steps.slice(1, 3).sort()).toEqual(['approval_requested runaway-cpu-stop', 'bot_ran runaway-cpu-renice']);
      expect(steps.slice(3).sort()).toEqual(['alarm_cleared runaway-cpu', 'approved runaway-cpu-stop']);
      expect(t.find((e) => e.type === 'alarm_cleared')!.time).toBeGreaterThanOrEqual(run.run.startedAt);
      expect(t[0]!.value).toBeGreaterThan(3);
    } finally {
      await faults.stopAll();
    }
  }, 60_000);
});
