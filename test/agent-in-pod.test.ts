import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab, stopChild } from '../src/lab/index.js';
import { AGENT_BIN, waitUntil } from './helpers.js';
import { queryRows } from './lab-query.js';
import { PodmanContainers, podmanUnavailable } from './podman.js';

/*
 * The real agent (the dist bundle) as a Kubernetes DaemonSet pod runs it, reproduced with
 * util-linux's unshare rather than a kubelet:
 * - in a cgroup namespace of its own, rooted in a cgroup of its own (Kubernetes' default on cgroup
 *   v2): other processes' /proc/PID/cgroup then read `/../libpod_parent/libpod-<id>`, and its
 *   container metrics must still equal the containers' cgroup files, read through the host's tree
 *   bind-mounted at host/sys/fs/cgroup (--host-cgroup), the host's /proc at host/proc (--host-proc);
 * - in a mount namespace that differs from the node's (a filesystem of the node hidden, one of the
 *   pod's own added): its disk metrics must be the node's. The node is a PID and mount namespace
 *   of its own, so that its PID 1 is one the test may read (this machine's PID 1 is not).
 * Real podman + runc containers; a real control plane (a lab).
 */

const SUITE = 'the agent as a DaemonSet pod (test/agent-in-pod.test.ts)';
const skip = podmanUnavailable(SUITE) !== undefined || (!existsSync('/usr/bin/unshare') && (console.warn(`\n⚠  SKIPPING ${SUITE}: unshare (util-linux) missing.\n`), true));

describe.skipIf(skip)(SUITE, () => {
  const run = `r${Date.now().toString(36)}`;
  let podman: PodmanContainers | undefined;
  let lab: Lab | undefined;
  const agents: ChildProcess[] = [];
  /** The cgroup the first agent is put in, in every hierarchy (the root of its cgroup namespace). */
  const agentCgroup = `bw-agent-pod-${run}`;
  const hierarchies = readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h)).filter((h) => existsSync(join(h, 'cgroup.procs')));
  let busy: { id: string; pid: number } | undefined;

  beforeAll(async () => {
    podman = await PodmanContainers.start();
    busy = await podman.run(`podbusy-${run}`, { run }, 'podbusy', { flags: ['--memory', '48m'], command: ['sh', '-c', 'while :; do sleep 1; done'] });
    // Its one lab host stands by; the agents under test are started below, as pods.
    lab = await startLab({ hosts: 1, tmpfs: false });
  }, 60_000);

  afterAll(async () => {
    try {
      for (const agent of agents) await stopChild(agent);
      // A cgroup goes once its processes have.
      for (const h of hierarchies) if (existsSync(join(h, agentCgroup))) await waitUntil(`${h}/${agentCgroup} removed`, () => tryRmdir(join(h, agentCgroup)), 10_000);
      await lab?.stop();
    } finally {
      await podman?.stop();
    }
  }, 60_000);

  /** Starts the agent binary through `script` (sh), which ends with `exec "$@"` for the agent and its flags. */
  function startAgent(name: string, script: string, flags: readonly string[], env: Record<string, string>): void {
    const l = lab as Lab;
    const args = ['--server', l.server, ...(l.ca ? ['--ca', l.ca] : []), '--name', name, '--data', join(l.dir, name), '--log-level', 'warn', '--collect-interval', '1s', ...flags];
    const child = spawn('/bin/sh', ['-ec', script, 'pod', process.execPath, AGENT_BIN, ...args], { env: { ...process.env, ...env, BREAKWATER_JOIN_TOKEN: l.joinToken }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
    child.once('exit', (code) => code && console.warn(`${name} exited ${code}: ${stderr}`));
    agents.push(child);
  }

  it('in a cgroup namespace of its own: a container\'s metrics equal its cgroup files, read through the host\'s tree', async () => {
    const l = lab as Lab;
    const pod = join(l.dir, 'pod-cgroup');
    mkdirSync(join(pod, 'host', 'proc'), { recursive: true });
    mkdirSync(join(pod, 'host', 'sys', 'fs', 'cgroup'), { recursive: true });
    // Into a cgroup of its own in every hierarchy (cpuset needs its cpus and mems first), then a new
    // cgroup namespace rooted there, and the host's views bind-mounted where the DaemonSet puts them.
    const script = `
      for h in ${hierarchies.join(' ')}; do mkdir -p "$h/$CG"; done
      if [ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]; then
        cat /sys/fs/cgroup/cpuset/cpuset.cpus > /sys/fs/cgroup/cpuset/$CG/cpuset.cpus
        cat /sys/fs/cgroup/cpuset/cpuset.mems > /sys/fs/cgroup/cpuset/$CG/cpuset.mems
      fi
      for h in ${hierarchies.join(' ')}; do echo $$ > "$h/$CG/cgroup.procs"; done
      exec unshare --cgroup --mount --propagation private sh -ec '
        mount --rbind /proc "$POD/host/proc"
        mount --rbind /sys/fs/cgroup "$POD/host/sys/fs/cgroup"
        exec "$@"' pod "$@"`;
    const name = `pod-cgroup-${run}`;
    startAgent(name, script, ['--host-proc', join(pod, 'host', 'proc'), '--host-cgroup', join(pod, 'host', 'sys', 'fs', 'cgroup'), '--containers', 'on', '--container-socket', (podman as PodmanContainers).socket], { CG: agentCgroup, POD: pod });
    await l.waitConnected([name]);

    // What the agent reads is namespace-relative: the kernel says so for any process of the host.
    const agentPid = Number(readFileSync(join('/sys/fs/cgroup/pids', agentCgroup, 'cgroup.procs'), 'utf8').split('\n').find((p) => p && readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(AGENT_BIN)));
    expect(readFileSync(`/proc/${agentPid}/cgroup`, 'utf8')).toContain(`:/${agentCgroup}`);

    const id = (busy as { id: string }).id;
    const file = (controller: string, f: string) => Number(readFileSync(`/sys/fs/cgroup/${controller}/libpod_parent/libpod-${id}/${f}`, 'utf8'));
    const metric = async (statement: string) => (await queryRows(l, `host | name = "${name}" | container | name = "podbusy-${run}" | ${statement}`))[0]?.values;
    let values: Record<string, unknown> | undefined;
    await waitUntil('the container metered', async () => typeof (values = await metric('mem_limit_bytes | pid_count'))?.mem_limit_bytes === 'number', 15_000);
    expect(values).toEqual({ mem_limit_bytes: file('memory', 'memory.limit_in_bytes'), pid_count: file('pids', 'pids.current') });
    expect(values?.mem_limit_bytes).toBe(48 * 1024 * 1024);
    await waitUntil('mem_usage_bytes equal to memory.usage_in_bytes', async () => (await metric('mem_usage_bytes'))?.mem_usage_bytes === file('memory', 'memory.usage_in_bytes'), 10_000);
  }, 60_000);

  it('in a mount namespace of its own: its disk metrics are the node\'s filesystems, not the pod\'s', async () => {
    const l = lab as Lab;
    const base = join(l.dir, 'pod-disks');
    const [node, pod, nodeOnly, podOnly] = ['node', 'pod', 'node-only', 'pod-only'].map((d) => join(base, d)) as [string, string, string, string];
    for (const d of [join(node, 'proc'), join(pod, 'host', 'proc'), nodeOnly, podOnly]) mkdirSync(d, { recursive: true });
    // The node: PID 1 of a new PID namespace, with a 16 MiB tmpfs 4 MiB full and its own /proc.
    // The pod: a mount namespace of the node's where that tmpfs is gone and another is there.
    const script = `
      exec unshare --pid --fork --kill-child --mount --propagation private sh -ec '
        mount -t tmpfs -o size=16m tmpfs "$NODE_ONLY"
        head -c 4194304 /dev/zero > "$NODE_ONLY/fill"
        stat -f -c "%a %S" "$NODE_ONLY" > "$NODE/statfs"
        mount -t proc proc "$NODE/proc"
        unshare --mount --propagation private sh -ec '"'"'
          umount "$NODE_ONLY"
          mount -t tmpfs -o size=8m tmpfs "$POD_ONLY"
          mount --rbind "$NODE/proc" "$POD/host/proc"
          exec "$@"'"'"' pod "$@" &
        wait' node "$@"`;
    const name = `pod-disks-${run}`;
    startAgent(name, script, ['--host-proc', join(pod, 'host', 'proc'), '--containers', 'off'], { NODE: node, POD: pod, NODE_ONLY: nodeOnly, POD_ONLY: podOnly });
    await l.waitConnected([name]);
    await waitUntil('the node wrote its statfs', () => existsSync(join(node, 'statfs')), 10_000);
    const [bavail, bsize] = readFileSync(join(node, 'statfs'), 'utf8').trim().split(' ').map(Number) as [number, number];

    // A labelled metric's value is under its name as written.
    const free = (mount: string) => `disk_free_bytes{mount="${mount}"}`;
    const usage = (mount: string) => `disk_usage{mount="${mount}"}`;
    const disk = async (mount: string) => (await queryRows(l, `host | name = "${name}" | ${free(mount)} | ${usage(mount)}`))[0]?.values ?? {};
    let values: Record<string, unknown> = {};
    await waitUntil('the node\'s filesystem reported', async () => typeof (values = await disk(nodeOnly))[free(nodeOnly)] === 'number', 15_000);
    expect(values).toEqual({ [free(nodeOnly)]: bavail * bsize, [usage(nodeOnly)]: 25 });
    expect(bavail * bsize).toBe(12 * 1024 * 1024);
    // The pod's own filesystem is no disk of the node.
    expect((await disk(podOnly))[free(podOnly)] ?? null).toBeNull();
  }, 60_000);
});

function tryRmdir(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch {
    return false;
  }
}
