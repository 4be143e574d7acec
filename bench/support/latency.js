// @ts-check
/**
 * Timing statements through the HTTP API: the two statements the fleet and scale suites
 * measure, percentiles, and a case of both statements as measurements.
 */

/** A metric filter on every agent, answered from each agent's history. */
export const METRIC = 'host | cpu_usage > -1 | count';
/** A command on every agent, recorded as a run (the simulated agents' BuiltinRunner runs no process). */
export const COMMAND = 'host | `true`';

/** @typedef {import('../run.js').Measurement} Measurement */
/** @typedef {import('./query-client.js').Client} Client */

/** Nearest-rank percentile of sorted samples. @param {number[]} sorted @param {number} p */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
/** @param {number} v */
export const round2 = (v) => Math.round(v * 100) / 100;
/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Times `iterations` queries (after `warmup` untimed ones), one at a time, checking each answer.
 * With several clients (one per control-plane replica) the queries alternate between them, as
 * behind a round-robin load balancer.
 * @param {Client[]} clients @param {string} statement @param {number} agents @param {{ warmup: number, iterations: number }} n
 */
export async function latency(clients, statement, agents, n) {
  /** @param {{ summary: Record<string, unknown>, rows: Record<string, any>[] }} r */
  const check = (r) => {
    const ok = statement === METRIC ? r.rows.length === 1 && r.rows[0]?.values?.count === agents : r.summary.rows === agents && r.summary.failed === 0;
    if (!ok) throw new Error(`wrong answer to ${statement} with ${agents} agents: ${JSON.stringify(r.summary)} ${JSON.stringify(r.rows.slice(0, 3))}`);
  };
  /** @param {number} i */
  const client = (i) => /** @type {Client} */ (clients[i % clients.length]);
  for (let i = 0; i < n.warmup; i++) check(await client(i).query(statement));
  /** @type {number[]} */
  const samples = [];
  for (let i = 0; i < n.iterations; i++) {
    const r = await client(i).query(statement);
    check(r);
    samples.push(r.ms);
  }
  samples.sort((a, b) => a - b);
  return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), count: samples.length };
}

/**
 * Measurements (p50, p99, mean) of both statements against `agents` agents.
 * @param {string} label e.g. `swarm 1000` @param {Client[]} clients @param {number} agents @param {{ warmup: number, iterations: number }} n
 * @param {{ metricP50?: number, commandP50?: number, note: string }} goals @param {(m: string) => void} log
 * @returns {Promise<Measurement[]>}
 */
export async function latencyCase(label, clients, agents, n, goals, log) {
  /** @type {Measurement[]} */
  const out = [];
  for (const [id, statement, target] of /** @type {const} */ ([
    ['metric', METRIC, goals.metricP50],
    ['command', COMMAND, goals.commandP50],
  ])) {
    log(`${label}: ${n.warmup} + ${n.iterations} × ${statement}`);
    const r = await latency(clients, statement, agents, n);
    log(`${label}: ${id} p50 ${round2(r.p50)} ms, p99 ${round2(r.p99)} ms`);
    out.push(
      { name: `${label} · ${id} · p50`, unit: 'ms', value: round2(r.p50), ...(target !== undefined ? { target: /** @type {const} */ ({ op: '<', value: target }) } : {}), note: `${statement}; ${goals.note}` },
      { name: `${label} · ${id} · p99`, unit: 'ms', value: round2(r.p99) },
      { name: `${label} · ${id} · mean`, unit: 'ms', value: round2(r.mean), note: `${r.count} queries after ${n.warmup} warm-up` },
    );
  }
  return out;
}
