import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCriContainers } from '../src/agent/containers/cri-api.js';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { waitUntil } from './helpers.js';
import { Containerd, containerdUnavailable } from './containerd.js';
import { PodmanContainers, kubeletLabels, podmanUnavailable } from './podman.js';
import { events, labWithDefinitions, query, waitFor } from './scenarios/scenario-helpers.js';

/*
 * What the container runtimes themselves say, on this machine: a real containerd's CRI (a pod
 * sandbox and a container made through it, as the kubelet would), and podman's Docker Engine API
 * for a container that its restart policy restarts; a real lab's agent asks them.
 */

const CRI_SUITE = 'containers from containerd’s CRI (test/containers-runtime.test.ts)';
const names = (rows: readonly { resource?: { name: string } | undefined }[]) => rows.map((r) => r.resource?.name).sort();
/** Unique per run: other runs' containers may exist on the machine (the agent sees them all). */
const run = `r${Date.now().toString(36)}`;

describe.skipIf(containerdUnavailable(CRI_SUITE) !== undefined)(CRI_SUITE, () => {
  let containerd: Containerd | undefined;
  let lab: Lab | undefined;
  const pod = { name: `cart-${run}`, namespace: 'shop', uid: '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6' };
  let id = '';

  beforeAll(async () => {
    containerd = await Containerd.start();
    try {
      id = await containerd.runPod(pod, 'api', { app: 'cart', run });
    } catch (err) {
      throw new Error(`${(err as Error).message}\ncontainerd's log:\n${containerd.logTail()}`);
    }
    lab = await startLab({ hosts: 1, appPortBase: 28880, containers: { criSocket: containerd.socket }, isolateProcesses: false });
  }, 90_000);

  afterAll(async () => {
    try {
      await lab?.stop();
    } finally {
      await containerd?.stop();
    }
  }, 60_000);

  it('lists the running container with its CRI name, image, labels, pod and attempt', async () => {
    const byId = await listCriContainers((containerd as Containerd).socket);
    expect(byId.get(id)).toEqual({
      name: 'api',
      image: (containerd as Containerd).image,
      state: 'running',
      created: expect.any(Number),
      restartCount: 0,
      labels: { app: 'cart', run, 'io.kubernetes.pod.name': pod.name, 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.uid': pod.uid, 'io.kubernetes.container.name': 'api' },
    });
    // The sandbox (pause) container is no container of ListContainers.
    expect([...byId.keys()]).toEqual([id]);
  });

  it('an agent discovers it from the kernel and describes it from the CRI: tags, image, pod, restart_count', async () => {
    const l = lab as Lab;
    let rows: Awaited<ReturnType<typeof query>> = [];
    await waitUntil('the CRI container listed', async () => (rows = await query(l, `container | run = "${run}" | image | runtime | restart_count`)).length === 1, 20_000);
    const host = l.hosts[0]?.name as string;
    expect(rows[0]?.resource).toEqual({ type: 'container', id: `${host}/${id}`, name: 'api', host });
    expect(rows[0]?.values).toEqual({ image: (containerd as Containerd).image, runtime: 'cri', restart_count: 0 });
    expect(names(await query(l, `pod | name = "${pod.name}" | container`))).toEqual(['api']);
    expect((await query(l, `pod | name = "${pod.name}" | namespace`))[0]?.values).toEqual({ namespace: 'shop' });
  });
});

const ENGINE_SUITE = 'restart counts from podman’s Engine API, and container templates in bots (test/containers-runtime.test.ts)';

describe.skipIf(podmanUnavailable(ENGINE_SUITE) !== undefined)(ENGINE_SUITE, () => {
  let podman: PodmanContainers | undefined;
  let lab: { lab: Lab; stop: () => Promise<void> } | undefined;
  const pod = { name: `crash-${run}`, namespace: 'batch', uid: '6e2f3a4b-5c6d-4e7f-8a90-a1b2c3d4e5f6' };
  const name = `crashy-${run}`;

  beforeAll(async () => {
    podman = await PodmanContainers.start();
    const definitions = [
      'kind: action\nname: note\ncommand: echo "$who"\nresources: [container]\nparams:\n  who: string\n',
      `kind: bot\nname: on-crash\ntrigger: { event: container_restarted, container: crashy }\naction: note\nargs: { who: "\${container.id} \${container.name} [\${container.image}] \${pod.name} \${pod.namespace} \${host}" }\ncooldown: 0s\n`,
    ].join('---\n');
    lab = await labWithDefinitions({ hosts: 1, appPortBase: 28980, containers: { socket: podman.socket }, isolateProcesses: false }, { 'crash.yaml': definitions });
  }, 90_000);

  afterAll(async () => {
    try {
      await lab?.stop();
    } finally {
      await podman?.stop();
    }
  }, 60_000);

  it('counts the restarts its restart policy makes, and a bot gets the container in its templates', async () => {
    const l = (lab as { lab: Lab }).lab;
    const started = await (podman as PodmanContainers).run(name, { run, ...kubeletLabels(pod, 'crashy') }, name, { keep: true, flags: ['--restart', 'always'] });
    const restartCount = async () => (await query(l, `container | run = "${run}" and name = "crashy" | init_pid | restart_count`))[0]?.values;
    await waitUntil('the container listed with no restarts', async () => (await restartCount())?.init_pid === started.pid, 20_000);
    expect(await restartCount()).toEqual({ init_pid: started.pid, restart_count: 0 });

    const since = Date.now();
    // Its main process killed: podman's restart policy starts it again (same id, a new init process).
    process.kill(started.pid, 'SIGKILL');
    const after = await waitFor('restart_count 1 from podman', async () => {
      const values = await restartCount();
      return values?.restart_count === 1 && values;
    }, 30_000);
    expect(after.init_pid).not.toBe(started.pid);
    expect((await query(l, `pod | name = "${pod.name}" | restart_count`))[0]?.values).toEqual({ restart_count: 1 });

    const fired = await waitFor('bot on-crash set off', async () => (await events(l, { bot: 'on-crash', since })).find((e) => e.type === 'bot_ran'), 20_000);
    const host = l.hosts[0]?.name as string;
    // The action ran inside the container (echo is its shell's); the image is empty (a root filesystem, no image).
    expect(fired).toMatchObject({ resource: `${host}/${started.id}`, details: { ok: true, stdout: `${started.id} crashy [] ${pod.name} batch ${host}\n` } });
  });
});
