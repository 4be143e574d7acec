import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import type { ResultRow } from '../src/protocol/index.js';
import { runCli, waitUntil } from './helpers.js';
import { queryRows, stopLabAndContainers } from './lab-query.js';
import { PodmanContainers, ROOTFS_MARKER, kubeletLabels, podmanUnavailable } from './podman.js';
import { applyDefinitions, events, tempDefinitions, waitFor, waitNoDrift } from './scenarios/scenario-helpers.js';

/*
 * Real containers (podman + runc, a busybox root filesystem) on this machine, and a real lab whose
 * agent discovers them from the kernel and asks podman's Docker Engine API for their names and
 * labels; statements go through the control plane (the CLI's `run --json`).
 */

const SUITE = 'containers (test/containers.test.ts)';
const skip = podmanUnavailable(SUITE) !== undefined;

describe.skipIf(skip)(SUITE, () => {
  let podman: PodmanContainers | undefined;
  let lab: Lab | undefined;
  /** Unique per run: other runs' containers may exist on the machine (the agent sees them all). */
  const run = `r${Date.now().toString(36)}`;
  const pod = { name: `checkout-${run}`, namespace: 'shop', uid: '8f3a2b1c-4d5e-4f60-9a7b-0c1d2e3f4a5b' };
  const started: Record<string, { id: string; pid: number }> = {};
  /** cgroup v1 on this machine (podman on cgroupfs): one hierarchy per controller. */
  const cgroupFile = (controller: string, id: string, file: string) => Number(readFileSync(`/sys/fs/cgroup/${controller}/libpod_parent/libpod-${id}/${file}`, 'utf8'));

  beforeAll(async () => {
    podman = await PodmanContainers.start();
    started.web = await podman.run(`web-${run}`, { app: 'checkout', run, ...kubeletLabels(pod, 'web') });
    started.sidecar = await podman.run(`sidecar-${run}`, { app: 'checkout', run, ...kubeletLabels(pod, 'sidecar') });
    started.plain = await podman.run(`plain-${run}`, { app: 'batch', run, 'team.name': 'ops' }, `plain-${run}`, { user: '1234:2345' });
    // Busy, but held to a fifth of a core by its CPU limit, so the test costs the machine little.
    started.busy = await podman.run(`busy-${run}`, { run }, 'busy', { flags: ['--cpus', '0.2', '--memory', '64m'], command: ['sh', '-c', 'while :; do :; done'] });
    // Every process, as on a real host: a container's processes do not work under the lab's folder.
    lab = await startLab({ hosts: 1, appPortBase: 28780, containers: { socket: podman.socket }, isolateProcesses: false });
  }, 60_000);

  afterAll(() => stopLabAndContainers(lab, podman), 30_000);

  const query = (statement: string) => queryRows(lab as Lab, statement);
  const names = (rows: readonly ResultRow[]) => rows.map((r) => r.resource?.name).sort();

  it('lists a labelled container with its tags, its runtime, its init pid', async () => {
    const rows = await query(`container | run = "${run}" and team_name = "ops" | name | image | runtime | init_pid | state`);
    expect(rows).toHaveLength(1);
    const host = lab?.hosts[0]?.name as string;
    expect(rows[0]?.resource).toEqual({ type: 'container', id: `${host}/${started.plain?.id}`, name: `plain-${run}`, host });
    expect(rows[0]?.values).toEqual({ name: `plain-${run}`, image: '', runtime: 'podman', init_pid: started.plain?.pid, state: 'running' });
    expect(names(await query(`container | run = "${run}" and app = "checkout"`))).toEqual(['sidecar', 'web']);
  });

  it('lists a pod’s containers under it, and the host’s containers and pods', async () => {
    expect(names(await query(`pod | name = "${pod.name}" | container`))).toEqual(['sidecar', 'web']);
    expect(names(await query(`pod | io_kubernetes_pod_namespace = "shop" and run = "${run}" | namespace`))).toEqual([pod.name]);
    expect(names(await query(`host | container | run = "${run}"`))).toEqual([`busy-${run}`, `plain-${run}`, 'sidecar', 'web'].sort());
    expect(names(await query(`container | name = "web" and run = "${run}" | pod`))).toEqual([pod.name]);
  });

  it('completes the tags and values containers and pods carry on the command line (breakwater __complete)', async () => {
    const l = lab as Lab;
    const env = { BREAKWATER_SERVER: l.server, BREAKWATER_CA: l.ca, BREAKWATER_TOKEN: l.token };
    /** The candidates a Tab offers at the end of the statement (each the whole word again). */
    const complete = async (statement: string) =>
      (await runCli(['__complete', 'run', statement], { env })).stdout
        .split('\n')
        .filter((line) => line && !line.startsWith(':'))
        .map((line) => line.split('\t')[0]);
    expect(await complete(`container | run = "${run}" and team_n`)).toEqual([`container | run = "${run}" and team_name`]);
    // Other runs' containers may carry other apps: ours are among them.
    expect(await complete('host | container | app = "')).toEqual(expect.arrayContaining(['host | container | app = "checkout"', 'host | container | app = "batch"']));
    expect(await complete(`container | name = "plain-${run}`)).toEqual([`container | name = "plain-${run}"`]);
    expect(await complete(`pod | namespace = "shop" and name = "checkout-${run}`)).toEqual([`pod | namespace = "shop" and name = "checkout-${run}"`]);
    expect(await complete(`pod | run = "${run}`)).toEqual([`pod | run = "${run}"`]);
  });

  it('meters a container every second: its CPU and memory as its cgroup files say', async () => {
    const id = started.busy?.id as string;
    const metric = async (name: string) => (await query(`container | name = "busy-${run}" | ${name}`))[0]?.values[name];
    expect(await metric('mem_limit_bytes')).toBe(cgroupFile('memory', id, 'memory.limit_in_bytes'));
    expect(await metric('pid_count')).toBe(cgroupFile('pids', id, 'pids.current'));
    // The agent read the file up to a second ago: equal once the busy loop's memory has settled.
    await waitUntil('mem_usage_bytes equal to memory.usage_in_bytes', async () => (await metric('mem_usage_bytes')) === cgroupFile('memory', id, 'memory.usage_in_bytes'), 10_000);
    const before = { ns: cgroupFile('cpuacct', id, 'cpuacct.usage'), at: performance.now() };
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const expected = (cgroupFile('cpuacct', id, 'cpuacct.usage') - before.ns) / ((performance.now() - before.at) * 1e4);
    // Both from one answer: the same second's sample.
    const both = (await query(`container | name = "busy-${run}" | cpu_usage | cpu_limit_usage`))[0]?.values;
    const [cpu, ofLimit] = [Number(both?.cpu_usage), Number(both?.cpu_limit_usage)];
    expect(expected).toBeGreaterThan(5);
    // The agent's rate is of its last one-second window, the test's of two: the same loop held to
    // a fifth of a core, so close, but each window catches its own share of throttled periods
    // (and on a loaded machine the loop gets less than its quota).
    expect(Math.abs(cpu - expected), `agent ${cpu} %, cgroup files ${expected} %`).toBeLessThan(10);
    expect(cpu).toBeLessThan(25);
    expect(ofLimit).toBeCloseTo(cpu / 0.2, 5);
  });

  it('sums a pod’s containers', async () => {
    const rows = await query(`pod | name = "${pod.name}" | pid_count`);
    expect(rows[0]?.values.pid_count).toBe(cgroupFile('pids', started.web?.id as string, 'pids.current') + cgroupFile('pids', started.sidecar?.id as string, 'pids.current'));
  });

  it('sets off a container_restarted bot when a container restarts, and runs its action inside the new incarnation', async () => {
    const l = lab as Lab;
    const name = `rs-${run}`;
    const rs = await (podman as PodmanContainers).run(name, { run }, 'rs', { keep: true });
    const defs = await tempDefinitions({
      'containers.yaml': `kind: action\nname: note\ncommand: hostname\nresources: [container]\n---\nkind: bot\nname: on-restart\ntrigger: { event: container_restarted, container: ${name} }\naction: note\ncooldown: 0s\n`,
    });
    try {
      await applyDefinitions(l, defs.dir);
      await waitNoDrift(l);
      await waitUntil('the container seen before its restart', async () => (await query(`container | name = "${name}" | init_pid`))[0]?.values.init_pid === rs.pid, 10_000);
      const since = Date.now();
      await (podman as PodmanContainers).restart(rs.id);
      const fired = await waitFor('bot on-restart set off', async () => (await events(l, { bot: 'on-restart', since }))[0], 15_000);
      // The action ran inside the container (its hostname), not on the host in its place.
      expect(fired).toMatchObject({ type: 'bot_ran', resource: `${l.hosts[0]?.name}/${rs.id}`, details: { ok: true, stdout: 'rs\n' } });
    } finally {
      await defs.cleanup();
    }
  });

  it('sets off a container_oom_killed bot when the OOM killer strikes inside a container that keeps running', async () => {
    const l = lab as Lab;
    const name = `oomy-${run}`;
    // Under a 32 MB limit, a child shell doubles a string until the kernel kills it; its PID 1 lives on and starts another.
    const hog = 'while :; do sh -c "a=xxxxxxxxxxxxxxxx; while :; do a=\\$a\\$a; done"; sleep 3; done';
    const defs = await tempDefinitions({
      'oom.yaml': `kind: action\nname: oom_note\ncommand: hostname\nresources: [container]\n---\nkind: bot\nname: on-oom\ntrigger: { event: container_oom_killed, container: ${name} }\naction: oom_note\ncooldown: 1h\n`,
    });
    try {
      await applyDefinitions(l, defs.dir);
      await waitNoDrift(l);
      const since = Date.now();
      const oomy = await (podman as PodmanContainers).run(name, { run }, 'oomy', { flags: ['--memory', '32m', '--memory-swap', '32m'], command: ['sh', '-c', hog] });
      const fired = await waitFor('bot on-oom set off', async () => (await events(l, { bot: 'on-oom', since }))[0], 30_000);
      expect(fired).toMatchObject({ type: 'bot_ran', resource: `${l.hosts[0]?.name}/${oomy.id}`, details: { ok: true, stdout: 'oomy\n' } });
      // The kernel's own count: at least the kill the agent saw. (The first kill may be that one, when the
      // agent read the container at 0 before it; or only the count it learnt from, the next kill 3 s later.)
      const kills = Number(/oom_kill (\d+)/.exec(readFileSync(`/sys/fs/cgroup/memory/libpod_parent/libpod-${oomy.id}/memory.oom_control`, 'utf8'))?.[1]);
      expect(kills).toBeGreaterThanOrEqual(1);
      // conmon records the kill in a file named `oom` in its working directory: the lab's folder, not the checkout.
      expect(existsSync(join(process.cwd(), 'oom'))).toBe(false);
    } finally {
      await defs.cleanup();
    }
  }, 60_000);

  it('sees a container started after the agent, within a few collections', async () => {
    const late = await (podman as PodmanContainers).run(`late-${run}`, { run, app: 'late' });
    let rows: ResultRow[] = [];
    await waitUntil('the late container listed', async () => (rows = await query(`container | run = "${run}" and app = "late" | init_pid`)).length === 1, 15_000);
    expect(rows[0]?.values.init_pid).toBe(late.pid);
  });

  it('runs a command inside a container: its hostname, its PID 1, its files (from its root, also as cwd), its user and environment', async () => {
    const rows = await query(`container | name = "plain-${run}" | \`hostname; cat /proc/1/comm ${ROOTFS_MARKER.path}; cat .${ROOTFS_MARKER.path}; id -u; id -g; echo "$BW_CONTAINER_NAME $HOSTNAME"\``);
    expect(rows.map((r) => [r.status, r.error])).toEqual([['ok', undefined]]);
    expect(String(rows[0]?.values.stdout).split('\n')).toEqual([`plain-${run}`, 'sleep', ROOTFS_MARKER.text.trim(), ROOTFS_MARKER.text.trim(), '1234', '2345', `plain-${run} plain-${run}`, '']);
    // A pod's command runs in its main container (the first by name: sidecar), a named one with `| container`.
    const inPod = await query(`pod | name = "${pod.name}" | \`hostname\``);
    expect(inPod.map((r) => r.values.stdout)).toEqual([`sidecar-${run}\n`]);
    const named = await query(`pod | name = "${pod.name}" | container | name = "web" | \`hostname\``);
    expect(named.map((r) => r.values.stdout)).toEqual([`web-${run}\n`]);
  });

  it('records the run with the container as its resource', async () => {
    const l = lab as Lab;
    const env = { BREAKWATER_SERVER: l.server, BREAKWATER_CA: l.ca, BREAKWATER_TOKEN: l.token };
    const ran = await runCli(['run', '--json', `container | name = "plain-${run}" | \`true\``], { env });
    const summary = ran.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; runId?: string }).find((line) => line.type === 'summary');
    expect(summary?.runId).toBeTruthy();
    const record = await runCli(['get', 'run', summary?.runId as string, '--json'], { env });
    const host = l.hosts[0]?.name as string;
    expect(JSON.parse(record.stdout)).toMatchObject({ results: [{ resourceType: 'container', resourceId: `${host}/${started.plain?.id}`, host, status: 'ok', exitCode: 0 }] });
  });

  it('kills a timed-out command’s processes inside the container too', async () => {
    const l = lab as Lab;
    const r = await runCli(['run', '--json', '--timeout', '2s', `container | name = "plain-${run}" | \`sleep 300 & sleep 301\``], { env: { BREAKWATER_SERVER: l.server, BREAKWATER_CA: l.ca, BREAKWATER_TOKEN: l.token } });
    expect(r.stdout).toMatch(/"status":"timeout"/);
    // Only its init process (sleep 600) is left alive in the container's PID namespace. (Killed
    // children of the shell were handed to that init, which never reaps: they stay zombies.)
    await waitUntil('the container back to its init process', () => pidsInNamespaceOf(started.plain?.pid as number).length === 1, 5000);
    expect(pidsInNamespaceOf(started.plain?.pid as number)).toEqual([started.plain?.pid]);
  });

  it('lists a container’s processes', async () => {
    const rows = await query(`container | name = "plain-${run}" | process | pid | name`);
    expect(rows.map((r) => r.values)).toEqual([{ pid: started.plain?.pid, name: 'sleep' }]);
  });
});

/** The host pids of the live (not zombie) processes in the PID namespace of `pid`. */
function pidsInNamespaceOf(pid: number): number[] {
  const ns = readlinkSync(`/proc/${pid}/ns/pid`);
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
        return readlinkSync(`/proc/${name}/ns/pid`) === ns && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}
