import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import type { ResultRow } from '../src/protocol/index.js';
import { waitUntil } from './helpers.js';
import { queryRows, stopLabAndContainers } from './lab-query.js';
import { PODMAN, PodmanContainers, podmanUnavailable } from './podman.js';

/*
 * A pod as `podman kube play` makes it from a Kubernetes Pod manifest (two containers, labels),
 * with real podman + runc and a busybox image imported locally. Its containers carry no kubelet
 * labels (podman gives them the manifest's labels only): the agent knows the pod from the kernel
 * (their cgroup, libpod_parent/<pod id>/) and names it from podman's libpod API. Statements go
 * through a real lab's control plane.
 */

const SUITE = 'podman pods (test/containers-pods.test.ts)';
const skip = podmanUnavailable(SUITE) !== undefined;
const inspect = async (id: string, format: string) => (await promisify(execFile)(PODMAN, ['inspect', id, '--format', format])).stdout.trim();

describe.skipIf(skip)(SUITE, () => {
  let podman: PodmanContainers | undefined;
  let lab: Lab | undefined;
  const run = `r${Date.now().toString(36)}`;
  const pod = `kp-${run}`;
  /** The pod's id and its containers' ids by name (the infra container's too). */
  let podId = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    podman = await PodmanContainers.start();
    const image = await podman.image();
    const [markKey, markValue] = podman.mark.split('=') as [string, string];
    await podman.playKube(`apiVersion: v1
kind: Pod
metadata:
  name: ${pod}
  labels:
    app: checkout
    app.kubernetes.io/part-of: shop
    run: ${run}
    ${markKey}: ${markValue}
spec:
  containers:
    - name: web
      image: ${image}
      command: ["sleep", "600"]
    - name: sidecar
      image: ${image}
      command: ["sh", "-c", "sleep 601 & sleep 602; exit 0"]
`);
    podId = (await promisify(execFile)(PODMAN, ['pod', 'inspect', pod, '--format', '{{.Id}}'])).stdout.trim();
    for (const name of [`${pod}-web`, `${pod}-sidecar`]) ids[name] = await inspect(name, '{{.Id}}');
    const infra = (await promisify(execFile)(PODMAN, ['pod', 'inspect', pod, '--format', '{{.InfraContainerID}}'])).stdout.trim();
    ids[`${podId.slice(0, 12)}-infra`] = infra;
    lab = await startLab({ hosts: 1, tmpfs: false, containers: { socket: podman.socket }, isolateProcesses: false });
  }, 90_000);

  afterAll(() => stopLabAndContainers(lab, podman), 30_000);

  const query = (statement: string) => queryRows(lab as Lab, statement);
  const names = (rows: readonly ResultRow[]) => rows.map((r) => r.resource?.name).sort();

  it('podman gives the containers the manifest\'s labels, none of the kubelet\'s: the kernel shows the pod', async () => {
    const labels = JSON.parse(await inspect(`${pod}-web`, '{{json .Config.Labels}}')) as Record<string, string>;
    expect(labels).toMatchObject({ app: 'checkout', run });
    expect(Object.keys(labels).filter((k) => k.startsWith('io.kubernetes.'))).toEqual([]);
    const pid = await inspect(`${pod}-web`, '{{.State.Pid}}');
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toMatch(new RegExp(`/libpod_parent/${podId}/libpod-${ids[`${pod}-web`]}|libpod_pod_${podId}\\.slice/libpod-${ids[`${pod}-web`]}`));
  });

  it('lists the pod with its containers (`pod | container`), and each container\'s pod', async () => {
    await waitUntil('the pod listed', async () => (await query(`pod | name = "${pod}"`)).length === 1, 15_000);
    expect(names(await query(`pod | name = "${pod}" | container`))).toEqual(Object.keys(ids).sort());
    expect((await query(`container | name = "${pod}-web" | pod`)).map((r) => r.resource?.name)).toEqual([pod]);
    expect((await query(`container | name = "${pod}-web" | pod`))[0]?.resource?.id).toBe(`${lab?.hosts[0]?.name}/default/${pod}`);
  });

  it('tags the pod with the manifest\'s labels', async () => {
    const rows = await query(`pod | app = "checkout" and app_kubernetes_io_part_of = "shop" and run = "${run}" | name | namespace | phase`);
    expect(rows.map((r) => r.values)).toEqual([{ name: pod, namespace: 'default', phase: 'Running' }]);
  });

  it('sums its containers\' metrics: pid_count as their cgroups count', async () => {
    const pids = (id: string) => Number(readFileSync(`/sys/fs/cgroup/pids/libpod_parent/${podId}/libpod-${id}/pids.current`, 'utf8'));
    const expected = Object.values(ids).reduce((sum, id) => sum + pids(id), 0);
    // web 1, sidecar 3 (sh and its two sleeps), infra 1 (catatonit).
    expect(expected).toBe(5);
    let got: unknown;
    await waitUntil('pid_count of the pod', async () => (got = (await query(`pod | name = "${pod}" | pid_count`))[0]?.values.pid_count) === expected, 10_000);
    expect(got).toBe(expected);
  });

  it('runs a pod\'s command in its main container (the first by name that is not its infra container)', async () => {
    // Its own PID namespace (podman's pods share network, IPC and UTS): PID 1 there is sidecar's sh.
    const rows = await query(`pod | name = "${pod}" | \`cat /proc/1/comm\``);
    expect(rows.map((r) => [r.status, r.values.stdout])).toEqual([['ok', 'sh\n']]);
  });
});
