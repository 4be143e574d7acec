import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import type { FleetEventRow, RunDetail } from './scenario-helpers.js';
import { cli, events, labForFile, tempDefinitions, waitFor, waitNoDrift } from './scenario-helpers.js';
import { describeInModes } from '../modes.js';

/*
 * The limits that keep remediation safe: definitions are checked before
 * anything is applied, a fleet-wide circuit breaker caps how often a bot
 * runs, and approval-gated bots wait for a person (or expire and do nothing).
 */

/** ask-first: a bot that waits for approval when run/ask exists; its action writes run/approved-ran. */
const APPROVAL_DEFINITIONS = readFileSync(new URL('../fixtures/approval-bot.yaml', import.meta.url), 'utf8');

const SAFETY_DEFINITIONS = `# Test definitions: each fault is a file the test creates in a host's run/ folder.
kind: alarm
name: trip-wire
description: Something is wrong on the host.
query: host
fire: ok(\`test -e "$HOST_ROOT/run/trip"\`)
interval: 1s
---
kind: action
name: note_run
command: echo "ran on $BW_HOST" >> "$HOST_ROOT/run/note-run.log"
timeout: 10s
---
kind: bot
name: limited
trigger: { alarm: trip-wire, on: fired }
action: note_run
cooldown: 0s
circuit_breaker: { max: 2, window: 10m }
---
kind: alarm
name: trip-wire-2
query: host
fire: ok(\`test -e "$HOST_ROOT/run/trip2"\`)
interval: 1s
---
kind: bot
name: limited-restart
trigger: { alarm: trip-wire-2, on: fired }
action: mark
args: { marker: restart-ran }
cooldown: 0s
circuit_breaker: { max: 1, window: 10m }
---
kind: alarm
name: barrier
description: Fired on purpose by the test, to prove the agents' alarm loops went on (see barrier()).
query: host
fire: ok(\`test -e "$HOST_ROOT/run/barrier"\`)
interval: 1s
---
kind: action
name: mark
params:
  marker: string
command: echo "$BW_HOST" > "$HOST_ROOT/run/$marker"
timeout: 10s
---
kind: alarm
name: needs-quick-approval
query: host
fire: ok(\`test -e "$HOST_ROOT/run/ask-quick"\`)
---
kind: bot
name: ask-quick
trigger: { alarm: needs-quick-approval }
action: mark
args: { marker: quick-ran }
approval: { expires: 3s }
cooldown: 0s
`;

/** Three mistakes: a misspelt field, a bot on an alarm that does not exist, a cron that cannot be. */
const BAD_DEFINITIONS = `kind: alarm
name: disk-nearly-full
query: host
fire: disk_usage > 90
fire_fr: 10s
---
kind: action
name: say_hi
command: echo hi
---
kind: bot
name: greet
trigger: { alarm: disk-nerly-full }
action: say_hi
---
kind: schedule
name: nightly
cron: "61 3 * * *"
run: host | count
`;

await describeInModes('safety', 'test/scenarios/safety.test.ts', (mode) => {
  let lab: Lab;
  const cleanups = labForFile(mode.lab({ hosts: 4 }), { 'safety.yaml': SAFETY_DEFINITIONS, 'approval.yaml': APPROVAL_DEFINITIONS }, (l) => (lab = l));
  const hostNamed = (name: string): LabHost => {
    const h = lab.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no lab host ${name}`);
    return h;
  };
  const runFile = (h: LabHost, name: string) => join(h.dir, 'run', name);

  /**
   * Proves the hosts' agents went on evaluating alarms and delivering events in order, instead of
   * sleeping and hoping: fires the barrier alarm on `hosts` and waits until it has fired and cleared
   * on each (two evaluations or more). An agent's events arrive in the order it made them, so an event
   * it made before the barrier (a bot retrying, say) has arrived by then.
   */
  async function barrier(hosts: readonly LabHost[]): Promise<void> {
    // New events are told apart by id, not by time: an evaluation that started just before the file
    // was written can see it and stamp its event a moment earlier than a timestamp taken here.
    const earlier = new Set((await events(lab, { alarm: 'barrier' })).map((e) => e.id));
    await Promise.all(hosts.map((h) => writeFile(runFile(h, 'barrier'), 'now\n')));
    const onEvery = (type: string) => async () => {
      const seen = new Set((await events(lab, { type, alarm: 'barrier' })).filter((e) => !earlier.has(e.id)).map((e) => e.host));
      return hosts.every((h) => seen.has(h.name));
    };
    await waitFor('the barrier alarm to fire on every host', onEvery('alarm_fired'), 20_000);
    await Promise.all(hosts.map((h) => rm(runFile(h, 'barrier'), { force: true })));
    await waitFor('the barrier alarm to clear on every host', onEvery('alarm_cleared'), 20_000);
  }

  interface Approval {
    readonly id: string;
    readonly bot: string;
    readonly host: string;
    readonly status: string;
    readonly decidedBy: string | null;
    readonly runId: string | null;
  }

  describe('bad definitions are refused whole', () => {
    it('exits 1 with file:line diagnostics and leaves the running version alone', async () => {
      const before = await lab.api<{ version: number; definitions: unknown[] }>('/api/v1/definitions');
      expect(before.version).toBe(1);
      const bad = await tempDefinitions({ 'bad.yaml': BAD_DEFINITIONS });
      cleanups.push(bad.cleanup);

      const r = await cli(lab, ['apply', '-f', bad.dir, '--yes']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/bad\.yaml:5:1 fire_fr: unknown field `fire_fr` in an alarm; did you mean `fire_for`\? \[BWD_UNKNOWN_FIELD\]/);
      expect(r.stderr).toContain('bad.yaml:13:19 trigger.alarm: unknown alarm `disk-nerly-full`: did you mean `disk-nearly-full`? [BWD_UNKNOWN_ALARM]');
      expect(r.stderr).toMatch(/bad\.yaml:18:7 cron: expected a cron expression .*found \"61 3 \* \* \*\".*\[BWD_BAD_CRON\]/);
      expect(r.stderr).toContain(`3 problem(s) in ${bad.dir}; nothing was applied.`);
      expect(r.stdout).not.toContain('Applied');

      const after = await lab.api<{ version: number; definitions: unknown[] }>('/api/v1/definitions');
      expect(after).toEqual(before);
      expect((await lab.api<{ version: number }[]>('/api/v1/definitions/versions')).map((v) => v.version)).toEqual([1]);
      // The agents keep running version 1.
      await waitNoDrift(lab, 1);
    });
  });

  describe('the circuit breaker', () => {
    it('lets a bot run at most max times across the fleet when its alarm fires everywhere at once', async () => {
      const started = Date.now();
      await Promise.all(lab.hosts.map((h) => writeFile(runFile(h, 'trip'), 'tripped\n')));

      const outcomes = await waitFor(
        'every host\'s bot outcome',
        async () => {
          const es = (await events(lab, { bot: 'limited', since: started })).filter((e) => e.type === 'bot_ran' || e.type === 'bot_skipped');
          return es.length >= lab.hosts.length ? es : undefined;
        },
        20_000,
      );
      // Nothing more comes later: the alarm stays fired, the bot does not retry on its own.
      await barrier(lab.hosts);
      const final = (await events(lab, { bot: 'limited', since: started })).filter((e) => e.type === 'bot_ran' || e.type === 'bot_skipped');
      expect(final.length).toBe(outcomes.length);

      const ran = final.filter((e) => e.type === 'bot_ran');
      const skipped = final.filter((e) => e.type === 'bot_skipped');
      expect(ran).toHaveLength(2);
      expect(skipped).toHaveLength(lab.hosts.length - 2);
      expect(new Set(final.map((e) => e.host))).toEqual(new Set(lab.hosts.map((h) => h.name)));
      for (const e of skipped) {
        expect(String(e.details.reason)).toMatch(/^circuit breaker: tripped: 2 runs across the fleet in the last 600s \(limit 2\)/);
        expect(e.message).toContain('circuit breaker');
      }
      // Only the two permitted hosts ran the action.
      const noted = lab.hosts.filter((h) => existsSync(runFile(h, 'note-run.log'))).map((h) => h.name);
      expect(noted.sort()).toEqual(ran.map((e) => e.host).sort());

      await Promise.all(lab.hosts.map((h) => rm(runFile(h, 'trip'), { force: true })));
    }, 60_000);

    it('still counts the runs of the window after the control plane restarts', async () => {
      // Its own bot (limited-restart, max 1 in 10m), used up on one host before the restart.
      const [first, ...rest] = lab.hosts as [LabHost, ...LabHost[]];
      const before = Date.now();
      await writeFile(runFile(first, 'trip2'), 'tripped\n');
      await waitFor(`limited-restart to run on ${first.name}`, async () => (await events(lab, { type: 'bot_ran', bot: 'limited-restart', since: before }))[0], 20_000);
      await lab.restartServer();
      await lab.waitConnected(undefined, 60_000);

      const started = Date.now();
      await Promise.all(rest.map((h) => writeFile(runFile(h, 'trip2'), 'tripped after the restart\n')));
      const outcomes = await waitFor(
        'every other host\'s bot outcome after the restart',
        async () => {
          const es = (await events(lab, { bot: 'limited-restart', since: started })).filter((e) => e.type === 'bot_ran' || e.type === 'bot_skipped');
          return es.length >= rest.length ? es : undefined;
        },
        20_000,
      );
      // The window (10m) still holds the run from before the restart: nothing more may run.
      expect(outcomes.filter((e) => e.type === 'bot_ran').map((e) => e.host)).toEqual([]);
      for (const e of outcomes) expect(String(e.details.reason)).toMatch(/^circuit breaker: tripped/);
      expect(rest.filter((h) => existsSync(runFile(h, 'restart-ran'))).map((h) => h.name)).toEqual([]);
      await Promise.all(lab.hosts.map((h) => rm(runFile(h, 'trip2'), { force: true })));
    }, 90_000);
  });

  /** Writes the run/ file `fault` that makes `bot` ask for approval on `host`, and waits for its approval_requested event. */
  async function askApproval(host: LabHost, fault: string, text: string, bot: string): Promise<FleetEventRow> {
    const started = Date.now();
    await writeFile(runFile(host, fault), text);
    return waitFor(
      `approval_requested for ${bot}`,
      async () => (await events(lab, { type: 'approval_requested', bot, since: started }))[0],
      20_000,
    );
  }

  describe('approvals', () => {
    it('waits for a person, then runs the action under their name', async () => {
      const web1 = hostNamed('web-1');
      const requested = await askApproval(web1, 'ask', 'please\n', 'ask-first');
      expect(requested).toMatchObject({ host: 'web-1', action: 'mark_approved', principal: 'bot:ask-first@web-1' });
      const id = String(requested.details.approval);
      expect(requested.message).toContain(`breakwater approve ${id}`);
      const pending = await lab.api<Approval[]>('/api/v1/approvals?status=pending');
      expect(pending).toContainEqual(expect.objectContaining({ id, bot: 'ask-first', host: 'web-1', status: 'pending' }));
      // Nothing runs before someone says yes.
      await barrier([web1]);
      expect(existsSync(runFile(web1, 'approved-ran'))).toBe(false);
      expect(await events(lab, { type: 'bot_ran', bot: 'ask-first' })).toEqual([]);

      const r = await cli(lab, ['approve', id]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const runId = /approved; it ran as run ([0-9a-f-]{36})/.exec(r.stdout)?.[1];
      expect(runId, r.stdout).toBeTruthy();

      expect(readFileSync(runFile(web1, 'approved-ran'), 'utf8')).toBe('web-1\n');
      for (const h of lab.hosts.filter((x) => x !== web1)) expect(existsSync(runFile(h, 'approved-ran')), h.name).toBe(false);
      const run = await lab.api<RunDetail>(`/api/v1/runs/${String(runId)}`);
      expect(run.run).toMatchObject({ status: 'succeeded', principal: 'admin (approving bot:ask-first)', targets: 1, failures: 0 });
      expect(run.results.map((x) => x.host)).toEqual(['web-1']);
      const approved = await events(lab, { type: 'approved', bot: 'ask-first' });
      expect(approved).toHaveLength(1);
      expect(approved[0]).toMatchObject({ host: 'web-1', principal: 'admin', details: { approval: id } });
      expect((await lab.api<Approval[]>('/api/v1/approvals')).find((a) => a.id === id)).toMatchObject({ status: 'approved', decidedBy: 'admin' });

      // Deciding twice is refused.
      const twice = await cli(lab, ['approve', id]);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toContain(`approval ${id} is already approved (by admin)`);
    }, 60_000);

    it('expires an approval nobody answers: status expired, a denied event, and nothing runs', async () => {
      const web2 = hostNamed('web-2');
      const requested = await askApproval(web2, 'ask-quick', 'please, quickly\n', 'ask-quick');
      const id = String(requested.details.approval);
      expect(requested.host).toBe('web-2');

      const expired = await waitFor(
        'the approval to expire',
        async () => (await lab.api<Approval[]>('/api/v1/approvals?status=expired')).find((a) => a.id === id),
        20_000,
      );
      expect(expired).toMatchObject({ bot: 'ask-quick', status: 'expired', runId: null });
      const denied = await waitFor('a denied event for the expired approval', async () => (await events(lab, { type: 'denied', bot: 'ask-quick' }))[0], 10_000);
      expect(denied).toMatchObject({ host: 'web-2', principal: 'breakwater', details: { approval: id, expired: true } });
      expect(denied.message).toContain('expired unanswered');

      // Approving too late is refused, and nothing ran anywhere.
      const late = await cli(lab, ['approve', id]);
      expect(late.code).toBe(1);
      expect(late.stderr).toContain(`approval ${id} is already expired`);
      await barrier(lab.hosts);
      for (const h of lab.hosts) expect(existsSync(runFile(h, 'quick-ran')), h.name).toBe(false);
      expect(await events(lab, { type: 'bot_ran', bot: 'ask-quick' })).toEqual([]);
      expect(await events(lab, { type: 'approved', bot: 'ask-quick' })).toEqual([]);
    }, 60_000);
  });
});
