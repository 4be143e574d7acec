import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResourceRef, parseTagsText } from '../../protocol/index.js';
import type { AgentPhase } from '../../lang/index.js';
import { AgentPhaseSchema, BUILTIN_CATALOGUE, analyze, extendCatalogue } from '../../lang/index.js';
import type { ContainerInfo } from '../containers/catalog.js';
import { podsOf } from '../containers/pods.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../exec/types.js';
import { MemoryTsdb } from '../metrics/tsdb.js';
import type { HostFacts } from '../metrics/types.js';
import type { ActionDefinition } from './executor.js';
import { executePhase } from './executor.js';
import { isSandbox, mainContainer, placement } from './placement.js';
import type { AgentResource } from './resources.js';
import { containerResource, hostResource, podResource, processResource } from './resources.js';

/*
 * Container and pod rows through the real planner and executor: sources, traversals, label tags,
 * and where commands on them run (inside, never on the host).
 */

const HOST = 'node-1';
const FACTS: HostFacts = { hostname: HOST, machineId: 'm-1', os: 'linux', distro: 'debian 12', arch: 'x64', kernel: '6.1.0', ip: '10.0.0.1' };
const id = (c: string) => c.repeat(64);

function container(c: string, name: string, labels: Record<string, string>, initPid: number): ContainerInfo {
  return { id: id(c), runtime: 'podman', cgroupPath: `/libpod_parent/libpod-${id(c)}`, initPid, pids: [initPid], name, image: 'busybox', state: 'running', created: 1_700_000_000, labels, metadataFrom: 'engine' };
}

const POD = { 'io.kubernetes.pod.name': 'checkout-7d9f8', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.uid': '8f3a2b1c-4d5e-4f60-9a7b-0c1d2e3f4a5b', app: 'checkout' };
const CONTAINERS = [
  { ...container('a', 'k8s_web_checkout', { ...POD, 'io.kubernetes.container.name': 'web', tier: 'front' }, 100), pids: [100, 101] },
  container('b', 'k8s_sidecar_checkout', { ...POD, 'io.kubernetes.container.name': 'sidecar', tier: 'mesh' }, 200),
  container('c', 'lonely', { app: 'batch' }, 300),
];

class RecordingRunner implements CommandRunner {
  readonly specs: CommandSpec[] = [];
  readonly active = 0;
  async run(spec: CommandSpec): Promise<CommandResult> {
    this.specs.push(spec);
    return { exitCode: 0, signal: null, stdout: 'ran', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 1, timedOut: false, cancelled: false };
  }
}

function phaseOf(statement: string, catalogue = BUILTIN_CATALOGUE): AgentPhase {
  const a = analyze(statement, catalogue);
  if (!a.ok || !a.plan) throw new Error(`statement has errors: ${a.diagnostics.map((d) => d.message).join('; ')}`);
  const phase = a.plan.phases.find((p) => p.where === 'agent');
  if (!phase) throw new Error(`no agent phase in ${statement}`);
  return AgentPhaseSchema.parse(phase);
}

/** An action for containers (`resources: [container]`), run as root inside whatever the container's user. */
const INSPECT: ActionDefinition = { name: 'inspect', command: 'cat /etc/resolv.conf', params: [], timeoutMs: 5000, maxOutputBytes: 4096, user: 'root' };

async function run(statement: string, runner = new RecordingRunner(), processes: AgentResource[] = [], catalogue = BUILTIN_CATALOGUE) {
  const host = hostResource(HOST, FACTS, { env: 'prod' }, '0.1.0');
  const containers = CONTAINERS.map((c) => containerResource(HOST, c));
  const pods = podsOf(CONTAINERS).map((p) => podResource(HOST, p));
  const rows = await executePhase(
    phaseOf(statement, catalogue),
    undefined,
    {
      resources: () => ({ host, processes, containers, pods }),
      tsdb: new MemoryTsdb(),
      source: { facts: async () => FACTS, collect: async () => ({ time: 0, host: [], processes: [] }), onDemand: async () => undefined },
      runner,
      action: (name) => (name === INSPECT.name ? INSPECT : undefined),
      limits: { commandTimeoutMs: 1000, maxOutputBytes: 1024 },
      now: () => 0,
    },
    new AbortController().signal,
  );
  return rows;
}

const names = (rows: Awaited<ReturnType<typeof run>>) => rows.map((r) => r.resource?.name);

describe('container and pod rows', () => {
  it('lists containers with their labels as tags, the kubelet’s container name as name', async () => {
    expect(names(await run('container'))).toEqual(['web', 'sidecar', 'lonely']);
    expect(names(await run('container | app = "checkout"'))).toEqual(['web', 'sidecar']);
    expect(names(await run('container | io_kubernetes_pod_namespace = "shop" and tier = "mesh"'))).toEqual(['sidecar']);
    expect(names(await run('container | runtime = "podman" and init_pid = 300'))).toEqual(['lonely']);
    const [row] = await run('container | name = "web" | image');
    expect(row?.resource).toEqual({ type: 'container', id: `${HOST}/${id('a')}`, name: 'web', host: HOST });
    expect(row?.values).toEqual({ image: 'busybox' });
  });

  it('lists pods with the tags all their containers share', async () => {
    const rows = await run('pod | app = "checkout" | namespace');
    expect(rows.map((r) => [r.resource?.id, r.values.namespace])).toEqual([[`${HOST}/shop/checkout-7d9f8`, 'shop']]);
    expect(await run('pod | tier = "front"')).toEqual([]);
  });

  it('answers a container’s created time and tags, a pod’s containers and shared tags (what the Fleet page and completion read)', async () => {
    const [lonely] = await run('container | name = "lonely" | created | tags');
    expect(lonely?.values).toEqual({ created: 1_700_000_000, tags: '{"app":"batch"}' });
    const [pod] = await run('pod | containers | tags');
    expect(pod?.values.containers).toBe(2);
    expect(parseTagsText(pod?.values.tags)).toEqual({ app: 'checkout', io_kubernetes_pod_name: 'checkout-7d9f8', io_kubernetes_pod_namespace: 'shop', io_kubernetes_pod_uid: POD['io.kubernetes.pod.uid'] });
    // Unknown creation time: no value rather than a made-up one.
    expect(containerResource(HOST, { ...container('d', 'new', {}, 400), created: undefined }).attrs).not.toHaveProperty('created');
  });

  it('says on the host whether this agent discovers containers', () => {
    expect(hostResource(HOST, { ...FACTS, containerDiscovery: 'off' }, {}, '0.1.0').attrs.container_discovery).toBe('off');
    expect(hostResource(HOST, FACTS, {}, '0.1.0').attrs.container_discovery).toBe('');
  });

  it('traverses host → container, pod → container and container → pod', async () => {
    expect(names(await run('host | container | name'))).toEqual(['web', 'sidecar', 'lonely']);
    expect(names(await run('host | pod'))).toEqual(['checkout-7d9f8']);
    expect(names(await run('pod | name = "checkout-7d9f8" | container'))).toEqual(['web', 'sidecar']);
    expect(names(await run('container | name = "sidecar" | pod'))).toEqual(['checkout-7d9f8']);
    expect(await run('container | name = "lonely" | pod')).toEqual([]);
  });

  it('runs commands and command checks inside the container; a pod’s in its main container', async () => {
    const runner = new RecordingRunner();
    const rows = await run('container | app = "batch" | `hostname`', runner);
    expect(rows.map((r) => [r.status, r.values.stdout])).toEqual([['ok', 'ran']]);
    expect(runner.specs[0]?.container).toEqual({ id: id('c'), initPid: 300 });
    expect(runner.specs[0]?.env).toMatchObject({ BW_CONTAINER_ID: id('c'), BW_RESOURCE_TYPE: 'container' });
    const checked = await run('pod | ok(`true`)', runner);
    expect(checked[0]?.status).toBe('ok');
    // `sidecar` sorts before `web`: the main container is the first by name that is not the sandbox.
    expect(runner.specs[1]?.container).toEqual({ id: id('b'), initPid: 200 });
    await run('pod | container | name = "web" | `id`', runner);
    expect(runner.specs[2]?.container).toEqual({ id: id('a'), initPid: 100 });
    await run('host | `uptime`', runner);
    expect(runner.specs[3]?.container).toBeUndefined();
  });

  it('runs an action inside the container, as the action’s user', async () => {
    const runner = new RecordingRunner();
    const catalogue = extendCatalogue(BUILTIN_CATALOGUE, { actions: [{ name: 'inspect', description: 'resolver', resources: ['container'], params: [] }] });
    const rows = await run('container | name = "web" | inspect()', runner, [], catalogue);
    expect(rows.map((r) => [r.status, r.values.action])).toEqual([['ok', 'inspect']]);
    expect(runner.specs[0]).toMatchObject({ command: INSPECT.command, user: 'root', container: { id: id('a'), initPid: 100 } });
  });

  it('traverses container → process: the processes in its cgroup', async () => {
    const procs = [1, 100, 101, 300].map((pid) => processResource(HOST, { pid, ppid: 1, name: `p${pid}`, cmdline: '', user: 'root', state: 'S', startTime: 0 }, {}));
    expect(names(await run('container | name = "lonely" | process', new RecordingRunner(), procs))).toEqual(['p300']);
    expect(names(await run('container | app = "checkout" | process | pid', new RecordingRunner(), procs))).toEqual(['p100', 'p101']);
  });
});

describe('the container a command on a pod runs in', () => {
  const pod = podResource(HOST, podsOf(CONTAINERS)[0] as NonNullable<ReturnType<typeof podsOf>[0]>);
  const inPod = (c: string, name: string, image: string) => containerResource(HOST, { ...container(c, name, { ...POD, 'io.kubernetes.container.name': name }, 7), image });

  it('skips the sandbox (pause) container, and says so when only it is left', () => {
    expect(isSandbox(inPod('e', 'POD', 'registry.k8s.io/pause:3.9'))).toBe(true);
    expect(isSandbox(inPod('e', 'app', 'localhost/podman-pause:4.3.1'))).toBe(true);
    expect(isSandbox(inPod('e', 'app', 'nginx:1.25'))).toBe(false);
    expect(mainContainer(pod, [inPod('e', 'POD', 'registry.k8s.io/pause:3.9'), inPod('f', 'zeta', 'nginx')])?.attrs.name).toBe('zeta');
    expect(placement(pod, [inPod('e', 'POD', 'registry.k8s.io/pause:3.9')])).toEqual({ error: expect.stringMatching(/has no running container but its sandbox/) });
  });
});

describe('container and pod resources from hostile labels', () => {
  it('keep their refs within the protocol’s bounds (bounded fuzz)', () => {
    const label = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 1000, maxLength: 1024 }));
    const labels = fc.record({ 'io.kubernetes.pod.name': label, 'io.kubernetes.pod.namespace': label, 'io.kubernetes.container.name': label }, { requiredKeys: [] });
    fc.assert(
      fc.property(labels, fc.string({ minLength: 1, maxLength: 253 }), (l, host) => {
        const c = container('d', 'x'.repeat(253), l, 1);
        expect(ResourceRef.safeParse(containerResource(host, c).ref).success).toBe(true);
        for (const p of podsOf([c])) expect(ResourceRef.safeParse(podResource(host, p).ref).success).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
