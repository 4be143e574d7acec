import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetEvent } from '../protocol/index.js';
import type { Lab } from './lab.js';
import { startLab } from './lab.js';

/** The lab pack: the scenarios' definitions, written for lab hosts. */
export const LAB_PACK = fileURLToPath(new URL('../../packs/lab', import.meta.url));
/** Runbooks the lab pack's alarms link to (`runbook: <name>`). */
export const LAB_RUNBOOKS = fileURLToPath(new URL('../../packs/lab-runbooks', import.meta.url));

export interface DemoOutput {
  /** Narration for people. */
  say(line: string): void;
}

export interface Demo {
  readonly lab: Lab;
  stop(): Promise<void>;
}

const ICONS: Partial<Record<FleetEvent['type'], string>> = {
  alarm_fired: '🔥',
  alarm_cleared: '✅',
  bot_ran: '🤖',
  bot_skipped: '⏭ ',
  escalated: '📣',
  approval_requested: '✋',
  definitions_applied: '📦',
};

/**
 * The local demo: a lab of four hosts with their services, the lab pack
 * applied, then two faults injected (S1 runaway logs filling /data on both web
 * hosts; S4 hung workers on the db host, and a restart that forgets the patch),
 * narrated live from the fleet's timeline with the time from fault to fix.
 * The lab keeps running for the operator to explore until stopped.
 */
export async function runDemo(out: DemoOutput, options: { hosts?: number; tmpfs?: boolean } = {}): Promise<Demo> {
  out.say('Starting a lab: a control plane and 4 hosts (real agent processes, each with its own /data and service)...');
  const lab = await startLab({ hosts: options.hosts ?? 4, apps: true, ...(options.tmpfs === undefined ? {} : { tmpfs: options.tmpfs }) });
  try {
    return await narrate(lab, out);
  } catch (err) {
    // A failure half-way must not leave the lab's control plane, agents and services running.
    await lab.stop();
    throw err;
  }
}

/** Applies the lab pack, injects the faults and narrates the fleet's events; the lab keeps running. */
async function narrate(lab: Lab, out: DemoOutput): Promise<Demo> {
  const started = Date.now();
  let seen = started - 60_000;
  const shown = new Set<string>();
  const waiters: { match: (e: FleetEvent) => boolean; resolve: (e: FleetEvent) => void }[] = [];
  const clock = (t: number) => `+${((t - started) / 1000).toFixed(1).padStart(5)}s`;

  const poll = setInterval(() => {
    void lab
      .api<FleetEvent[]>(`/api/v1/events?since=${seen}&limit=200`)
      .then((events) => {
        for (const e of [...events].reverse()) {
          if (shown.has(e.id)) continue;
          shown.add(e.id);
          seen = Math.max(seen, e.time - 5000);
          if (e.type === 'agent_joined' || e.type === 'agent_left') continue;
          out.say(`${clock(e.time)}  ${ICONS[e.type] ?? '  '} ${e.message}`);
          for (const w of [...waiters]) {
            if (w.match(e)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(e);
            }
          }
        }
      })
      .catch(() => undefined);
  }, 250);
  poll.unref();
  const next = (match: (e: FleetEvent) => boolean, timeoutMs = 30_000) =>
    new Promise<FleetEvent | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), timeoutMs);
      waiters.push({ match, resolve: (e) => (clearTimeout(t), resolve(e)) });
    });

  const files = readdirSync(LAB_PACK)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ path: join('packs/lab', f), text: readFileSync(join(LAB_PACK, f), 'utf8') }));
  const applied = await lab.api<{ version: number }>('/api/v1/definitions/apply', { files, baseVersion: 0 });
  out.say(`Applied the lab pack (${files.length} files) as definitions version ${applied.version}: every agent now evaluates its alarms locally, every second.`);
  const runbooks = readdirSync(LAB_RUNBOOKS).filter((f) => f.endsWith('.yaml'));
  for (const f of runbooks) await lab.api('/api/v1/runbooks/import', { text: readFileSync(join(LAB_RUNBOOKS, f), 'utf8') });
  out.say(`Imported ${runbooks.length} runbook${runbooks.length === 1 ? '' : 's'} (packs/lab-runbooks): in the web UI, an alarm that links to one opens it with its host filled in.`);
  await new Promise((r) => setTimeout(r, 2000));

  const [web1, web2, db] = [lab.hosts[0], lab.hosts[1], lab.hosts[2]];
  if (web1 && web2 && !lab.fillsDisks) {
    out.say('');
    out.say('S1 (a runaway log fills /data) is skipped: without root the lab has no tmpfs of its own, and filling /data would fill this machine\'s real disk. Run the demo as root to see it.');
  } else if (web1 && web2) {
    out.say('');
    out.say('S1: an application starts writing runaway logs into /data on web-1 and web-2 (the band-aid used to be a cron job)...');
    const fired = next((e) => e.type === 'alarm_cleared' && e.host === web2.name);
    const t1 = await lab.fillDisk(web1, 95);
    const t2 = await lab.fillDisk(web2, 96);
    const gone = await Promise.all([waitGone(join(web1.dataDir, 'logs', 'runaway.log')), waitGone(join(web2.dataDir, 'logs', 'runaway.log'))]);
    gone.forEach((g, i) => {
      const [host, t] = i === 0 ? [web1, t1] : [web2, t2];
      out.say(g ? `        ⏱  ${host.name}: fault to fixed in ${((g - t) / 1000).toFixed(2)} s (runaway log deleted by the bot)` : `        ⚠  ${host.name}: the runaway log is still there after 30 s`);
    });
    await fired;
  }
  if (db) {
    out.say('');
    out.say(`S4: the service on ${db.name} loads a buggy shared library; its workers hang one by one, while CPU and memory look fine...`);
    const patched = next((e) => e.type === 'bot_ran' && e.host === db.name && e.bot === 'patch-hung-workers');
    await lab.hangWorkers(db, true);
    await patched;
    await new Promise((r) => setTimeout(r, 1500));
    out.say(`        The patch lived only in memory: restarting the service on ${db.name} forgets it...`);
    const reapplied = next((e) => e.type === 'bot_ran' && e.host === db.name && e.bot === 'reapply-patch-on-restart');
    await lab.restartApp(db);
    await reapplied;
  }
  await new Promise((r) => setTimeout(r, 1500));
  out.say('');
  out.say(`The lab keeps running. The web UI: ${lab.server}/ (sign in with the token below; the browser will not know the lab's private CA, ${lab.ca}: accept it or import it). In another shell:`);
  out.say(`  export BREAKWATER_SERVER=${lab.server}`);
  out.say(`  export BREAKWATER_CA=${lab.ca}`);
  out.say(`  export BREAKWATER_TOKEN=${lab.token}`);
  out.say(`  npx breakwater get events            # the timeline above`);
  out.say(`  npx breakwater run 'host | disk_usage{mount="/data"} | busy_workers'`);
  out.say(`  npx breakwater run 'host | \`uptime\`'`);
  out.say(`  npx breakwater get runs; npx breakwater get audit; npx breakwater drift`);
  out.say('Ctrl-C stops everything.');
  return {
    lab,
    async stop() {
      clearInterval(poll);
      await lab.stop();
    },
  };
}

async function waitGone(path: string, timeoutMs = 30_000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!existsSync(path)) return Date.now();
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}
