// @ts-check
/**
 * The fleet: how long a statement takes across N agents through the real HTTP API, what a
 * connected agent costs the control plane, and what an idle agent costs its host.
 *
 *  - Latency (mean, p50, p99) of `host | cpu_usage > -1 | count` (a metric filter on every agent)
 *    and of host | `true` (a command on every agent, recorded as a run) through
 *    POST /api/v1/query, reading the NDJSON until the summary line, over one keep-alive
 *    connection, one query at a time: against a swarm of 10, 100 and 1,000 simulated agents, and
 *    against labs of 10 and 50 real agent processes.
 *    The control plane and the swarm are separate child processes (`node bin/breakwater.js server
 *    …`, `node bin/breakwater.js swarm …`), so each process pays only for itself; a fresh control
 *    plane per case, so earlier cases' agents are not in the inventory as offline hosts.
 *  - Control-plane memory per connected agent: the server's RSS with 0 agents, and with 1,000
 *    swarm agents connected and idle for 10 s.
 *  - One real agent at idle, collecting every second: CPU (utime + stime over wall time, % of one
 *    core) and RSS over 60 s after a 10 s warm-up.
 *
 * Every process the suite starts is stopped at the end, also when a case fails.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { startLab, stopChild } from '../../dist/lab/index.js';
import { Children, clockTicks, rssBytes, startServerProcess, startSwarmProcess, statusBytes, usageOver } from '../support/processes.js';
import { latencyCase, round2, sleep } from '../support/latency.js';
import { Client } from '../support/query-client.js';

export const name = 'fleet';
export const description = 'queries across swarms (10–1,000 simulated agents) and labs (10, 50 real agents) through the HTTP API; control-plane memory per agent; idle agent CPU and RSS';

/** After a lab is up, before measuring. */
const LAB_SETTLE_MS = 5000;

/** What the issue compares against (measured elsewhere; not re-measured here). */
const PDSH = 'pdsh with persistent SSH ran `uptime` on 10/50/200 hosts in 58 ms / 308 ms / 1.25 s';
const AGENTS_COMPARED = 'node_exporter 0.77% and 20 MB; netdata 1.1% and 67 MB; monit 0.4% and 7 MB';

/** @typedef {import('../run.js').Measurement} Measurement */
/** @typedef {import('node:child_process').ChildProcess} ChildProcess */

/**
 * RSS of a Node.js process that does nothing (`node -e 'setTimeout(…)'`): the floor under any
 * agent written for Node.js on this machine.
 * @param {Children} children
 */
async function nodeBaseline(children) {
  const child = children.add(spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' }));
  try {
    await sleep(2000);
    const pid = /** @type {number} */ (child.pid);
    return { rss: await statusBytes(pid, 'VmRSS'), anon: await statusBytes(pid, 'RssAnon') };
  } finally {
    await stopChild(child, 2000);
  }
}

/**
 * What an agent's metric history holds once it is full (host series: an hour at 1 s and a day of
 * 1-minute roll-ups; process series: ten minutes at 1 s) for every process on this machine: the
 * idle measurement above runs for a minute and, as a lab host, sees only its own processes, so
 * this is what a real host adds over it in a day. Computed by filling the agent's own store
 * (agentHistory) with this machine's real series.
 * @param {import('../run.js').Context} ctx
 * @returns {Promise<Measurement[]>}
 */
async function historyAtFullRetention(ctx) {
  const { ProcSource, agentHistory, processSeriesKey } = await import('../../dist/agent/index.js');
  const source = new ProcSource();
  await source.collect();
  await sleep(1000);
  const snap = await source.collect();
  const tsdb = agentHistory();
  const day = 86_400;
  for (let s = 0; s < day; s++) {
    const t = snap.time + s * 1000;
    tsdb.append('host', t, snap.host);
    if (s >= day - 600) for (const p of snap.processes) tsdb.append(processSeriesKey(p.info.pid), t, p.samples);
  }
  const processSeries = tsdb.seriesCount - snap.host.length;
  ctx.log(`history at full retention: ${snap.processes.length} processes, ${tsdb.seriesCount} series, ${round2(tsdb.bytes / 1e6)} MB`);
  return [
    {
      name: 'agent history at full retention',
      unit: 'MB',
      value: round2(tsdb.bytes / 1e6),
      note: `the agent's metric store after a day on this machine: ${snap.host.length} host series (1 h at 1 s + 24 h of 1-minute roll-ups) and ${snap.processes.length} processes (${processSeries} series, 10 min at 1 s); on top of the idle RSS above, measured on a lab host that sees only its own processes`,
    },
  ];
}

/**
 * @param {import('../run.js').Context} ctx
 * @returns {Promise<Measurement[]>}
 */
export async function run(ctx) {
  const n = ctx.quick ? { warmup: 5, iterations: 20 } : { warmup: 20, iterations: 200 };
  const swarmSizes = ctx.quick ? [10, 100] : [10, 100, 1000];
  const idle = ctx.quick ? { warmupMs: 3000, windowMs: 5000 } : { warmupMs: 10_000, windowMs: 60_000 };
  const memoryIdleMs = ctx.quick ? 3000 : 10_000;
  const dir = await mkdtemp(path.join(tmpdir(), 'breakwater-bench-fleet-'));
  const children = new Children();
  /** @type {Measurement[]} */
  const out = [];
  let finished = false;
  ctx.log(`logs in ${dir}`);
  try {
    // ---- one real agent at idle -------------------------------------------------------------
    {
      ctx.log('idle agent: a lab of 1 host');
      const lab = await startLab({ hosts: 1, dir: path.join(dir, 'lab-idle') });
      children.labs.add(lab);
      const host = /** @type {import('../../dist/lab/index.js').LabHost} */ (lab.hosts[0]);
      const pid = /** @type {number} */ (host.process.pid);
      ctx.log(`idle agent: warm-up ${idle.warmupMs / 1000} s, then ${idle.windowMs / 1000} s measured`);
      await sleep(idle.warmupMs);
      const [usage] = await usageOver([pid], idle.windowMs);
      const { cpuPercent, userTicks, systemTicks, wallS, rssEnd, rssMax, anonEnd } = /** @type {import('../support/processes.js').Usage} */ (usage);
      const processes = (await readFile('/proc/loadavg', 'utf8')).split(' ')[3] ?? '?';
      await lab.stop();
      children.labs.delete(lab);
      const baseline = await nodeBaseline(children);
      out.push(
        {
          name: 'real agent idle · cpu',
          unit: '% of a core',
          value: round2(cpuPercent),
          target: { op: '<', value: 0.5 },
          note: `utime+stime of all its threads over ${Math.round(wallS)} s at 1 s collection: ${userTicks} user + ${systemTicks} system ticks at ${clockTicks()}/s; the host had ${processes} tasks (running/total) for it to read in /proc each second. Compare: ${AGENTS_COMPARED}`,
        },
        { name: 'real agent idle · rss', unit: 'MB', value: round2(rssEnd / 1e6), target: { op: '<', value: 50 }, note: `VmRSS at the end of the window (max ${round2(rssMax / 1e6)} MB), \`bin/breakwater-agent.js\` (bundled, lite mode; see its first line). Compare: ${AGENTS_COMPARED}` },
        { name: 'real agent idle · private memory', unit: 'MB', value: round2(anonEnd / 1e6), note: 'RssAnon: the resident pages that are its own (heap, stacks); the rest of VmRSS is mapped files, mostly the node binary, shared with every Node.js process' },
        { name: 'node.js baseline · rss', unit: 'MB', value: round2(baseline.rss / 1e6), note: `VmRSS of \`node -e 'setTimeout(…)'\` on this machine (RssAnon ${round2(baseline.anon / 1e6)} MB): the floor under any agent that runs on Node.js` },
      );
      ctx.log(`idle agent: ${round2(cpuPercent)}% of a core, ${round2(rssEnd / 1e6)} MB (node.js alone: ${round2(baseline.rss / 1e6)} MB)`);
      out.push(...(await historyAtFullRetention(ctx)));
    }

    // ---- swarms ---------------------------------------------------------------------------------
    for (const size of swarmSizes) {
      const caseDir = path.join(dir, `swarm-${size}`);
      await mkdir(caseDir, { recursive: true });
      ctx.log(`swarm ${size}: starting a control plane`);
      const server = await startServerProcess(ctx.root, caseDir, children);
      let rss0 = 0;
      if (size === 1000) {
        await sleep(2000);
        rss0 = await rssBytes(server.pid);
      }
      ctx.log(`swarm ${size}: starting ${size} simulated agents`);
      const swarm = await startSwarmProcess(ctx.root, caseDir, children, { server: server.server, caFile: server.caFile, joinToken: server.joinToken, agents: size, log: ctx.log });
      if (size === 1000) {
        ctx.log(`swarm ${size}: idle ${memoryIdleMs / 1000} s for the memory measurement`);
        await sleep(memoryIdleMs);
        const rss1 = await rssBytes(server.pid);
        out.push(
          { name: 'control plane · rss with 0 agents', unit: 'MB', value: round2(rss0 / 1e6), note: 'VmRSS of the server process after start-up' },
          { name: `control plane · rss with ${size} agents`, unit: 'MB', value: round2(rss1 / 1e6), note: `VmRSS with ${size} swarm agents connected and idle for ${memoryIdleMs / 1000} s (heartbeats every 5 s)` },
          { name: 'control plane · memory per agent', unit: 'KB', value: round2((rss1 - rss0) / size / 1024), note: `(rss with ${size} − rss with 0) / ${size}: WebSocket, session, inventory and store caches, and not-yet-collected garbage of the enrollments` },
        );
        ctx.log(`swarm ${size}: control plane ${round2(rss0 / 1e6)} MB → ${round2(rss1 / 1e6)} MB`);
      }
      const client = new Client(server.server, server.token, server.ca);
      try {
        out.push(
          ...(await latencyCase(
            `swarm ${size}`,
            [client],
            size,
            n,
            { ...(size === 1000 ? { metricP50: 100 } : {}), note: `${size} simulated agents in one child process (breakwater swarm), control plane in another. Compare: ${PDSH}` },
            ctx.log,
          )),
        );
      } finally {
        client.close();
        await stopChild(swarm, 10_000);
        await stopChild(server.child, 10_000);
      }
    }

    // ---- labs of real agents ------------------------------------------------------------------
    for (const hosts of ctx.quick ? [10] : [10, 50]) {
      ctx.log(`lab ${hosts}: starting a control plane and ${hosts} real agent processes`);
      /** @type {import('../../dist/lab/index.js').Lab} */
      let lab;
      try {
        lab = await startLab({ hosts, dir: path.join(dir, `lab-${hosts}`) });
      } catch (err) {
        if (hosts === 10) throw err;
        const why = err instanceof Error ? err.message : String(err);
        ctx.log(`lab ${hosts}: could not start: ${why}`);
        out.push({ name: `real ${hosts} · not measured`, unit: 'agents', value: 0, note: `the lab of ${hosts} real agents did not start on this machine: ${why}` });
        continue;
      }
      children.labs.add(lab);
      await sleep(LAB_SETTLE_MS); // the agents' start-up (loading, first collections) is over
      const client = new Client(lab.server, lab.token, await readFile(lab.ca, 'utf8'));
      const target = hosts === 10 ? 25 : 150;
      try {
        out.push(...(await latencyCase(`real ${hosts}`, [client], hosts, n, { metricP50: target, commandP50: target, note: `${hosts} real agent processes (breakwater lab) on this ${availableParallelism()}-core machine, each spawning /bin/sh for the command. Compare: ${PDSH}` }, ctx.log)));
      } finally {
        client.close();
        await lab.stop();
        children.labs.delete(lab);
      }
    }
    finished = true;
  } finally {
    await children.stopAll();
    // Logs stay for a look when something failed.
    if (finished) await rm(dir, { recursive: true, force: true });
    else ctx.log(`stopped every process; logs kept in ${dir}`);
  }
  return out;
}
