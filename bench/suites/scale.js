// @ts-check
/**
 * The scaled mode at size (issue 11): 10,000 simulated agents over NATS against two control-plane
 * replicas on PostgreSQL, and the same 1,000-agent figures in both modes side by side.
 *
 *  - Embedded, 1,000 agents: one `breakwater server` on SQLite, `breakwater swarm` over WebSocket.
 *  - Scaled: two `breakwater server --store postgres://… --bus nats://127.0.0.1:4222 --nats-prefix
 *    <its own>` replicas on a database the suite creates and drops (createScaledBacking, as `lab
 *    --scaled`); first one `breakwater swarm --bus` of 1,000 agents (the side-by-side figures),
 *    then more of up to 3,000 each, one after the other, enrolling through alternate replicas, up
 *    to 10,000 (or BENCH_SCALE_AGENTS).
 *  - At each size: `host | cpu_usage > -1 | count` and host | `true` (a recorded run) through
 *    POST /api/v1/query, alternating between the replicas (p50, p99, mean); each replica's RSS
 *    with 0 agents and with all connected and idle (memory per agent); the RSS of this machine's
 *    nats-server at 4222 (a separate process, found in /proc) before the replicas start and with
 *    every agent connected; the time until both replicas list every agent connected
 *    (GET /api/v1/agents, polled).
 *
 * Simulated agents collect every 10 s (BENCH_SCALE_COLLECT), not every second: each real agent
 * collects on its own host, but here every simulated agent shares the control plane's two cores,
 * and 10,000 collections a second took ~60 % of them (profiled: ~120 µs of CPU each with its
 * garbage collection), which is the simulation's cost, not the control plane's. What reaches the
 * control plane is the same either way: presence heartbeats every 5 s, queries, events. The suite
 * records the swarms' and the replicas' CPU while idle at the largest size, so the share is seen.
 *
 * The machine is shared: the 1-minute load average is logged at each step and recorded, since it
 * moves every figure here. Every process, the database, the events stream and the presence bucket
 * are removed at the end, also when a step fails.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { durationMs } from '../../dist/agent/index.js';
import { createScaledBacking, stopChild } from '../../dist/lab/index.js';
import { fetchTrusting } from '../../dist/transport/index.js';
import { latencyCase, round2, sleep } from '../support/latency.js';
import { Children, clockTicks, cpuTimes, natsServerPid, rssBytes, startServerProcess, startSwarmProcess } from '../support/processes.js';
import { Client } from '../support/query-client.js';

export const name = 'scale';
export const description = 'scaled mode: 10,000 simulated agents over NATS against 2 replicas on PostgreSQL (query and command latency, memory per agent, NATS memory, time to connect); 1,000 agents embedded vs scaled side by side';

const NATS_URL = 'nats://127.0.0.1:4222';
const NATS_PORT = 4222;
/**
 * How often each simulated agent collects (BENCH_SCALE_COLLECT, a duration as the agent's
 * --collect-interval takes it): 10 s by default, see above; `1s` measures with real agents' rate.
 */
const COLLECT = process.env.BENCH_SCALE_COLLECT || '10s';
const COLLECT_MS = durationMs('BENCH_SCALE_COLLECT', COLLECT);
/** How long a swarm may take to connect: enrollment runs at tens of agents a second on a busy 2-core machine. */
const CONNECT_TIMEOUT_MS = 20 * 60_000;

/** @typedef {import('../run.js').Measurement} Measurement */
/** @typedef {Awaited<ReturnType<typeof startServerProcess>>} ServerProcess */

/** The 1-minute load average, for the log and the notes. */
const load = () => round2(loadavg()[0] ?? 0);

/**
 * Polls every replica's GET /api/v1/agents until each lists `expected` agents connected; resolves
 * with the seconds since `since` (hrtime). Progress every poll.
 * @param {ServerProcess[]} replicas @param {number} expected @param {bigint} since @param {(m: string) => void} log
 */
async function allConnected(replicas, expected, since, log) {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  for (;;) {
    const counts = await Promise.all(
      replicas.map(async (r) => {
        const res = await fetchTrusting(`${r.server}/api/v1/agents`, { ca: r.ca, headers: { authorization: `Bearer ${r.token}` } });
        if (!res.ok) throw new Error(`GET /api/v1/agents at ${r.server}: HTTP ${res.status} ${await res.text()}`);
        return /** @type {{ status: string }[]} */ (await res.json()).filter((a) => a.status === 'connected').length;
      }),
    );
    const seconds = Number(process.hrtime.bigint() - since) / 1e9;
    log(`  connected per replica: ${counts.join(' / ')} of ${expected} (${seconds.toFixed(1)} s, load ${load()})`);
    if (counts.every((c) => c >= expected)) return seconds;
    if (Date.now() > deadline) throw new Error(`not every agent connected on both replicas in time: ${counts.join(' / ')} of ${expected}`);
    await sleep(3000);
  }
}

/**
 * Each replica's RSS and memory per agent over its RSS with none.
 * @param {string} label @param {ServerProcess[]} replicas @param {number[]} rss0 @param {number} agents @param {number} idleMs @param {number} [target]
 * @returns {Promise<Measurement[]>}
 */
async function replicaMemory(label, replicas, rss0, agents, idleMs, target) {
  /** @type {Measurement[]} */
  const out = [];
  for (const [i, r] of replicas.entries()) {
    const rss = await rssBytes(r.pid);
    const base = /** @type {number} */ (rss0[i]);
    const who = replicas.length > 1 ? `replica ${i + 1}` : 'control plane';
    out.push(
      { name: `${label} · ${who} · rss`, unit: 'MB', value: round2(rss / 1e6), note: `VmRSS with ${agents} agents connected and idle for ${idleMs / 1000} s; ${round2(base / 1e6)} MB with 0` },
      { name: `${label} · ${who} · memory per agent`, unit: 'KB', value: round2((rss - base) / agents / 1024), ...(target !== undefined ? { target: /** @type {const} */ ({ op: '<=', value: target }) } : {}), note: `(rss with ${agents} − rss with 0) / ${agents}` },
    );
  }
  return out;
}

/**
 * CPU ticks used so far by each replica and by all the swarms together.
 * @param {number[]} replicaPids @param {number[]} swarmPids
 */
async function cpuShares(replicaPids, swarmPids) {
  const ticks = async (/** @type {number} */ pid) => {
    const t = await cpuTimes(pid);
    return t.user + t.system;
  };
  const swarms = await Promise.all(swarmPids.map(ticks));
  return { replicas: await Promise.all(replicaPids.map(ticks)), swarms: swarms.reduce((a, b) => a + b, 0) };
}

/**
 * The agents of the largest case: 10,000, or BENCH_SCALE_AGENTS (1,001 to 100,000) where that
 * does not fit in the machine's memory or the time at hand.
 * @param {string | undefined} text
 */
function totalAgents(text) {
  if (text === undefined || text === '') return 10_000;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1001 || n > 100_000) throw new Error(`BENCH_SCALE_AGENTS: expected a whole number from 1001 to 100000, found ${JSON.stringify(text)}`);
  return n;
}

/** `total` agents in swarms of at most `most`. @param {number} total @param {number} most */
function swarmSizes(total, most) {
  const sizes = [];
  for (let left = total; left > 0; left -= most) sizes.push(Math.min(left, most));
  return sizes;
}

/**
 * @param {import('../run.js').Context} ctx
 * @returns {Promise<Measurement[]>}
 */
export async function run(ctx) {
  const small = ctx.quick ? 100 : 1000;
  const big = ctx.quick ? 300 : totalAgents(process.env.BENCH_SCALE_AGENTS);
  const more = swarmSizes(big - small, ctx.quick ? 100 : 3000);
  const nSmall = ctx.quick ? { warmup: 3, iterations: 10 } : { warmup: 10, iterations: 60 };
  // Few at 10,000 (seconds each): the p99 of 20 is their maximum.
  const nBig = ctx.quick ? { warmup: 2, iterations: 5 } : { warmup: 2, iterations: 20 };
  // cpu_usage is a rate: an agent has it from its second collection on, so idle for two of them.
  const idleMs = Math.max(ctx.quick ? 3000 : 10_000, 2 * COLLECT_MS + 2000);
  const dir = await mkdtemp(path.join(tmpdir(), 'breakwater-bench-scale-'));
  const children = new Children();
  /** @type {Client[]} */
  const clients = [];
  /** @type {Awaited<ReturnType<typeof createScaledBacking>> | undefined} */
  let backing;
  /** @type {Measurement[]} */
  const out = [{ name: 'load average at start', unit: '', value: load(), note: '1-minute load average of this machine (2 cores shared with other work) when the suite started' }];
  let finished = false;
  ctx.log(`logs in ${dir}; load average ${load()}`);
  try {
    // ---- embedded: one control plane on SQLite, agents over WebSocket ---------------------------
    {
      const caseDir = path.join(dir, 'embedded');
      await mkdir(caseDir, { recursive: true });
      ctx.log(`embedded ${small}: starting a control plane`);
      const server = await startServerProcess(ctx.root, caseDir, children);
      await sleep(2000);
      const rss0 = await rssBytes(server.pid);
      ctx.log(`embedded ${small}: starting ${small} simulated agents over WebSocket`);
      const swarm = await startSwarmProcess(ctx.root, caseDir, children, { server: server.server, caFile: server.caFile, joinToken: server.joinToken, agents: small, name: 'emb', log: ctx.log, collectInterval: COLLECT });
      await sleep(idleMs);
      out.push(...(await replicaMemory(`embedded ${small}`, [server], [rss0], small, idleMs)));
      const client = new Client(server.server, server.token, server.ca);
      clients.push(client);
      out.push(...(await latencyCase(`embedded ${small}`, [client], small, nSmall, { note: `one control plane on SQLite, ${small} simulated agents over WebSocket (one breakwater swarm, collecting every ${COLLECT}); load ${load()}` }, ctx.log)));
      client.close();
      await stopChild(swarm, 10_000);
      await stopChild(server.child, 10_000);
    }

    // ---- scaled: two replicas on PostgreSQL and NATS ---------------------------------------------
    backing = await createScaledBacking({ nats: NATS_URL });
    ctx.log(`scaled: database ${backing.database}, NATS prefix ${backing.prefix}`);
    const natsPid = await natsServerPid(NATS_PORT);
    const natsRss0 = natsPid === undefined ? undefined : await rssBytes(natsPid);
    const caseDir = path.join(dir, 'scaled');
    await mkdir(caseDir, { recursive: true });
    const args = ['--store', backing.store, '--bus', backing.bus, '--nats-prefix', backing.prefix];
    // Replicas read each other's secret values: one key for both, as in production.
    const env = { BREAKWATER_SECRET_KEY: randomBytes(32).toString('base64') };
    ctx.log('scaled: starting 2 replicas');
    const first = await startServerProcess(ctx.root, caseDir, children, { args, env, log: 'replica-1.log' });
    const replicas = [first, await startServerProcess(ctx.root, caseDir, children, { args, env, log: 'replica-2.log', replicaOf: first })];
    await sleep(2000);
    const rss0 = await Promise.all(replicas.map((r) => rssBytes(r.pid)));
    const bus = { collectInterval: COLLECT, bus: backing.bus, natsPrefix: backing.prefix, caFile: first.caFile, joinToken: first.joinToken, log: ctx.log };
    const scaledClients = replicas.map((r) => new Client(r.server, r.token, r.ca));
    clients.push(...scaledClients);
    const note = (/** @type {number} */ agents) => `2 replicas on PostgreSQL, ${agents} simulated agents over NATS (breakwater swarm --bus, collecting every ${COLLECT}); queries alternate between the replicas; load ${load()}`;

    ctx.log(`scaled ${small}: starting ${small} simulated agents over NATS`);
    let t0 = process.hrtime.bigint();
    const swarms = [await startSwarmProcess(ctx.root, caseDir, children, { ...bus, server: first.server, agents: small, name: 'scl-a', timeoutMs: CONNECT_TIMEOUT_MS })];
    const smallSeconds = await allConnected(replicas, small, t0, ctx.log);
    await sleep(idleMs);
    out.push(...(await replicaMemory(`scaled ${small}`, replicas, rss0, small, idleMs)));
    out.push(...(await latencyCase(`scaled ${small}`, scaledClients, small, nSmall, { note: note(small) }, ctx.log)));

    ctx.log(`scaled ${big}: starting ${more.length} more swarms (${more.join(' + ')} agents), one after the other`);
    t0 = process.hrtime.bigint();
    // One swarm after the other: three started at once (150 agents connecting at a time) on this
    // busy 2-core machine left agents waiting over 20 s for their welcome, and their swarm gave up.
    for (const [i, agents] of more.entries()) {
      swarms.push(await startSwarmProcess(ctx.root, caseDir, children, { ...bus, server: /** @type {ServerProcess} */ (replicas[(i + 1) % replicas.length]).server, agents, name: `scl-${String.fromCharCode(98 + i)}`, timeoutMs: CONNECT_TIMEOUT_MS }));
    }
    const moreSeconds = await allConnected(replicas, big, t0, ctx.log);
    out.push(
      { name: `scaled ${big} · time to connect`, unit: 's', value: round2(smallSeconds + moreSeconds), note: `until both replicas list all ${big} agents connected: ${round2(smallSeconds)} s for the first ${small} (one swarm) + ${round2(moreSeconds)} s for ${more.join(' + ')} (swarms one after the other), the measurements between them excluded; each agent enrolls over HTTPS (50 at a time per swarm), then joins the swarm's shared NATS connection` },
      { name: `scaled ${big} · connect rate`, unit: 'agents/s', value: round2((big - small) / moreSeconds), note: `the ${big - small} agents of the later swarms, enrolling 50 at a time` },
    );
    ctx.log(`scaled ${big}: all connected; idle ${idleMs / 1000} s`);
    const swarmPids = swarms.map((c) => /** @type {number} */ (c.pid));
    const natsTicks = async () => (natsPid === undefined ? 0 : Object.values(await cpuTimes(natsPid)).reduce((a, b) => a + b, 0));
    const nats0 = await natsTicks();
    const cpu0 = await cpuShares(replicas.map((r) => r.pid), swarmPids);
    const idleT0 = process.hrtime.bigint();
    await sleep(idleMs);
    const cpu1 = await cpuShares(replicas.map((r) => r.pid), swarmPids);
    const nats1 = await natsTicks();
    const idleSeconds = Number(process.hrtime.bigint() - idleT0) / 1e9;
    const ticks = clockTicks();
    out.push(
      ...replicas.map((_, i) => ({ name: `scaled ${big} · replica ${i + 1} · cpu while idle`, unit: '% of a core', value: round2(((/** @type {number} */ (cpu1.replicas[i]) - /** @type {number} */ (cpu0.replicas[i])) / ticks / idleSeconds) * 100), note: `${big} agents connected, no queries: presence heartbeats (every 5 s each) and what the replica keeps up to date` })),
      ...(natsPid === undefined ? [] : [{ name: `scaled ${big} · nats-server · cpu while idle`, unit: '% of a core', value: round2(((nats1 - nats0) / ticks / idleSeconds) * 100), note: 'heartbeats into the presence bucket and out to each replica\'s watch; other users of the server move it' }]),
      { name: `scaled ${big} · swarms · cpu while idle`, unit: '% of a core', value: round2(((cpu1.swarms - cpu0.swarms) / ticks / idleSeconds) * 100), note: `the ${1 + more.length} swarm processes simulating ${big} agents that collect every ${COLLECT} and heartbeat every 5 s: CPU real agents spend on their own hosts, here taken from the control plane's two cores` },
    );
    out.push(...(await replicaMemory(`scaled ${big}`, replicas, rss0, big, idleMs, 25)));
    if (natsPid !== undefined && natsRss0 !== undefined) {
      const natsRss = await rssBytes(natsPid);
      out.push(
        { name: 'nats-server · rss before', unit: 'MB', value: round2(natsRss0 / 1e6), note: `VmRSS of this machine's nats-server (pid ${natsPid}, port ${NATS_PORT}) before the replicas started; it also serves other work on the machine` },
        { name: `nats-server · rss with ${big}`, unit: 'MB', value: round2(natsRss / 1e6), note: `with ${big} agents connected and idle (their subscriptions on the swarms' ${1 + more.length} connections, the presence bucket, the events stream)` },
        { name: 'nats-server · memory per agent', unit: 'KB', value: round2((natsRss - natsRss0) / big / 1024), note: 'the difference over the agents; other users of the server move it' },
      );
    } else ctx.log(`no nats-server process listening on ${NATS_PORT} found in /proc: its memory is not measured`);
    out.push({ name: `load average at ${big}`, unit: '', value: load(), note: `1-minute load average before the ${big}-agent queries` });
    out.push(...(await latencyCase(`scaled ${big}`, scaledClients, big, nBig, { metricP50: 1000, note: note(big) }, ctx.log)));
    finished = true;
  } finally {
    for (const c of clients) c.close();
    await children.stopAll();
    await backing?.drop().catch((err) => ctx.log(`could not drop ${backing?.database}: ${err instanceof Error ? err.message : String(err)}`));
    if (finished) await rm(dir, { recursive: true, force: true });
    else ctx.log(`stopped every process; logs kept in ${dir}`);
  }
  return out;
}
