// @ts-check
/**
 * What an operator waits for: whole `breakwater` processes, from start to exit, medians, in one
 * run on one machine.
 *
 *  - Start-up: `node -e 0` (the floor under any Node.js program), `breakwater --version` and
 *    `breakwater check 'host | count'` (no server), interleaved so that they share the machine's
 *    load; each against 1.5× `node -e 0`.
 *  - `breakwater run 'host | \`uptime\`' --yes` against labs of N real agent processes (N from
 *    BENCH_CLI_HOSTS, default 10,50,200; --quick: 10), beside the baseline, pdsh over SSH with
 *    persistent ControlMaster connections to N hosts (bench/support/ssh-fleet.js), alternating
 *    one run of each. The ratio breakwater / pdsh has the issue's targets: ≤ 1 at 10 hosts, ≤ 0.5
 *    at 50, ≤ 0.3 at 200. Without pdsh or sshd the suite says so and records Breakwater alone.
 *
 * Every process the suite starts is stopped at the end, also when a case fails.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { startLab } from '../../dist/lab/index.js';
import { percentile, round2 } from '../support/latency.js';
import { sshFleetMissing, startSshFleet } from '../support/ssh-fleet.js';

export const name = 'cli';
export const description = 'whole CLI processes: node -e 0, --version, check, and run on 10/50/200 real agents beside pdsh over persistent SSH';

/** The issue's targets for breakwater run / pdsh, by number of hosts. */
const RUN_TARGETS = /** @type {Record<number, number>} */ ({ 10: 1, 50: 0.5, 200: 0.3 });
const STARTUP_TARGET = 1.5;
const RUN = 'host | `uptime`';

/** @typedef {import('../run.js').Measurement} Measurement */

/** The host counts to measure: BENCH_CLI_HOSTS=10,50 or the defaults. @param {boolean} quick */
function hostCounts(quick) {
  const text = process.env.BENCH_CLI_HOSTS;
  if (text === undefined || text === '') return quick ? [10] : [10, 50, 200];
  const counts = text.split(',').map((s) => Number(s.trim()));
  if (!counts.every((n) => Number.isInteger(n) && n > 0 && n <= 1000)) throw new Error(`BENCH_CLI_HOSTS: expected host counts from 1 to 1000 separated by commas, e.g. 10,50, found ${JSON.stringify(text)}`);
  return counts;
}

/**
 * Runs a process to its end; resolves with its wall time in ms and its output, rejects when it
 * exits non-zero (a benchmark of a failing command measures the wrong path).
 * @param {string[]} args node's arguments @param {Record<string, string>} env
 * @returns {Promise<{ ms: number, stdout: string }>}
 */
function timeProcess(args, env = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve({ ms, stdout });
      else reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr || stdout.slice(-2000)}`));
    });
  });
}

/** @param {number[]} samples */
const median = (samples) => percentile([...samples].sort((a, b) => a - b), 0.5);

/**
 * `node -e 0`, `--version` and `check`, one of each per round, so that a burst of load hits all three.
 * @param {import('../run.js').Context} ctx @param {string} bin
 * @returns {Promise<Measurement[]>}
 */
async function startup(ctx, bin) {
  const rounds = ctx.quick ? 5 : 20;
  const cases = {
    node: ['-e', '0'],
    version: [bin, '--version'],
    check: [bin, 'check', 'host | count'],
  };
  /** @type {Record<keyof typeof cases, number[]>} */
  const samples = { node: [], version: [], check: [] };
  for (const args of Object.values(cases)) await timeProcess(args); // warm the page cache and the compile cache
  for (let i = 0; i < rounds; i++) for (const [k, args] of Object.entries(cases)) samples[/** @type {keyof typeof cases} */ (k)].push((await timeProcess(args)).ms);
  const node = median(samples.node);
  const version = median(samples.version);
  const check = median(samples.check);
  ctx.log(`start-up: node -e 0 ${round2(node)} ms, --version ${round2(version)} ms, check ${round2(check)} ms (medians of ${rounds})`);
  const note = `median of ${rounds} whole processes, interleaved`;
  return [
    { name: 'node -e 0', unit: 'ms', value: round2(node), note: `${note}: the floor under any Node.js program on this machine (${process.version})` },
    { name: 'breakwater --version', unit: 'ms', value: round2(version), note },
    { name: "breakwater check 'host | count'", unit: 'ms', value: round2(check), note: `${note}; no server` },
    { name: '--version / node -e 0', unit: '×', value: round2(version / node), target: { op: '<=', value: STARTUP_TARGET } },
    { name: 'check / node -e 0', unit: '×', value: round2(check / node), target: { op: '<=', value: STARTUP_TARGET } },
  ];
}

/**
 * `breakwater run` on a lab of `hosts` real agents, and pdsh on as many SSH hosts, alternating.
 * @param {import('../run.js').Context} ctx @param {string} bin @param {number} hosts @param {string} dir
 * @returns {Promise<Measurement[]>}
 */
async function runCase(ctx, bin, hosts, dir) {
  const iterations = ctx.quick ? 3 : 10;
  ctx.log(`run ${hosts}: starting a lab of ${hosts} real agents`);
  /** @type {import('../../dist/lab/index.js').Lab} */
  let lab;
  try {
    lab = await startLab({ hosts, dir: path.join(dir, `lab-${hosts}`), apps: false });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    ctx.log(`run ${hosts}: the lab did not start: ${why}`);
    return [{ name: `run ${hosts} · not measured`, unit: 'hosts', value: 0, note: `the lab of ${hosts} real agents did not start on this machine: ${why}` }];
  }
  const missing = sshFleetMissing();
  /** @type {import('../support/ssh-fleet.js').SshFleet | undefined} */
  let ssh;
  try {
    const env = { BREAKWATER_SERVER: lab.server, BREAKWATER_TOKEN: lab.token, BREAKWATER_CA: lab.ca };
    const args = [bin, 'run', RUN, '--yes'];
    const first = await timeProcess(args, env);
    // Exit 0 says no host failed; the summary line says every host answered.
    if (!new RegExp(`\\b${hosts} ok\\b`).test(first.stdout)) throw new Error(`breakwater run on ${hosts} hosts: expected ${hosts} ok, found: ${first.stdout.slice(-500)}`);
    /** Why there is no baseline in this run, if there is none. */
    let noBaseline = missing;
    if (!missing) {
      try {
        ssh = await startSshFleet(hosts, ctx.log);
      } catch (err) {
        noBaseline = `the SSH hosts did not start: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (noBaseline) ctx.log(`run ${hosts}: no pdsh baseline: ${noBaseline}`);
    /** @type {number[]} */
    const bw = [];
    /** @type {number[]} */
    const pdsh = [];
    for (let i = 0; i < iterations; i++) {
      bw.push((await timeProcess(args, env)).ms);
      if (ssh) pdsh.push(await ssh.time());
    }
    const b = median(bw);
    ctx.log(`run ${hosts}: breakwater ${round2(b)} ms${ssh ? `, pdsh ${round2(median(pdsh))} ms` : ''} (medians of ${iterations})`);
    const where = `${hosts} on this ${availableParallelism()}-core machine, median of ${iterations}, alternating`;
    /** @type {Measurement[]} */
    const out = [{ name: `run ${hosts} · breakwater`, unit: 'ms', value: round2(b), note: `\`breakwater run '${RUN}' --yes\` as a whole process against a lab of ${where}` }];
    if (!ssh) {
      out.push({ name: `run ${hosts} · pdsh not measured`, unit: 'hosts', value: 0, note: noBaseline });
      return out;
    }
    const p = median(pdsh);
    out.push(
      { name: `run ${hosts} · pdsh`, unit: 'ms', value: round2(p), note: `\`pdsh -R ssh -f ${hosts} -w <${hosts} hosts> uptime\`, warm ControlMaster connections to an sshd on loopback, ${where}` },
      { name: `run ${hosts} · breakwater / pdsh`, unit: '×', value: round2(b / p), ...(RUN_TARGETS[hosts] ? { target: { op: '<=', value: /** @type {number} */ (RUN_TARGETS[hosts]) } } : {}) },
    );
    return out;
  } finally {
    await ssh?.stop();
    await lab.stop();
  }
}

/**
 * @param {import('../run.js').Context} ctx
 * @returns {Promise<Measurement[]>}
 */
export async function run(ctx) {
  const bin = path.join(ctx.root, 'bin', 'breakwater.js');
  const counts = hostCounts(ctx.quick);
  const dir = await mkdtemp(path.join(tmpdir(), 'breakwater-bench-cli-'));
  let finished = false;
  try {
    const out = await startup(ctx, bin);
    for (const hosts of counts) out.push(...(await runCase(ctx, bin, hosts, dir)));
    finished = true;
    return out;
  } finally {
    if (finished) await rm(dir, { recursive: true, force: true });
    else ctx.log(`logs kept in ${dir}`);
  }
}
