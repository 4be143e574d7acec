import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContainerCatalog } from './catalog.js';

/* A /proc of our own, runc state in a temp dir, and a real HTTP server on a Unix socket as the runtime. */

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
let root: string;
let server: Server | undefined;

function proc(pid: number, id: string): void {
  mkdirSync(join(root, 'proc', String(pid)), { recursive: true });
  writeFileSync(join(root, 'proc', String(pid), 'cgroup'), `0::/system.slice/docker-${id}.scope\n`);
  writeFileSync(join(root, 'proc', String(pid), 'stat'), `${pid} (sh) S 1 0 0\n`);
}

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  rmSync(root, { recursive: true, force: true });
});

describe('ContainerCatalog', () => {
  it('asks the runtime when a container it has not described appears, or when its answer is stale; not every pass', async () => {
    root = mkdtempSync(join(tmpdir(), 'bw-catalog-'));
    const asked: number[] = [];
    const inspected: string[] = [];
    let now = 0;
    const answer = [{ Id: A, Names: ['/web'], Image: 'nginx:1', State: 'running', Created: 1_700_000_000, Labels: { app: 'web' } }];
    server = createServer((req, res) => {
      if (req.url === '/containers/json') {
        asked.push(now);
        res.end(JSON.stringify(answer));
      } else {
        inspected.push(`${now} ${req.url}`);
        res.end(JSON.stringify({ Id: A, RestartCount: inspected.length + 1 }));
      }
    });
    const socket = join(root, 'engine.sock');
    await new Promise<void>((resolve) => server?.listen(socket, resolve));
    const catalog = new ContainerCatalog({ procRoot: join(root, 'proc'), socket, ociStateDirs: [join(root, 'runc')], now: () => now, refreshMs: 30_000 });

    proc(10, A);
    expect(await catalog.list()).toEqual([{ id: A, runtime: 'docker', cgroupPath: `/system.slice/docker-${A}.scope`, initPid: 10, pids: [10], name: 'web', image: 'nginx:1', state: 'running', created: 1_700_000_000, labels: { app: 'web' }, restartCount: 2, metadataFrom: 'engine' }]);
    now = 1000;
    await catalog.list();
    expect(asked).toEqual([0]);

    // A container the runtime does not describe (another runtime's): asked once, then its runc state serves.
    proc(20, B);
    mkdirSync(join(root, 'runc', B), { recursive: true });
    writeFileSync(join(root, 'runc', B, 'state.json'), JSON.stringify({ created: '2023-11-14T22:13:20Z', config: { labels: ['io.kubernetes.pod.name=p'] } }));
    now = 2000;
    const listed = await catalog.list();
    expect(listed.map((c) => [c.id, c.metadataFrom, c.labels])).toEqual([
      [A, 'engine', { app: 'web' }],
      [B, 'oci', { 'io.kubernetes.pod.name': 'p' }],
    ]);
    now = 3000;
    await catalog.list();
    expect(asked).toEqual([0, 2000]);
    now = 40_000;
    await catalog.list();
    expect(asked).toEqual([0, 2000, 40_000]);
    // Each incarnation inspected once, for its restart count: again only when it restarts (same id, a new init process).
    expect(inspected).toEqual([`0 /containers/${A}/json`]);
    rmSync(join(root, 'proc', '10'), { recursive: true });
    proc(11, A);
    now = 41_000;
    expect((await catalog.list()).map((c) => [c.initPid, c.restartCount])).toEqual([
      [11, 3],
      [20, undefined],
    ]);
    expect(asked).toEqual([0, 2000, 40_000, 41_000]);
    expect(inspected).toEqual([`0 /containers/${A}/json`, `41000 /containers/${A}/json`]);
  });

  it('inspects for restart counts within one request’s time: a runtime that hangs on them holds a pass no longer', async () => {
    root = mkdtempSync(join(tmpdir(), 'bw-catalog-'));
    const C = 'c'.repeat(64);
    const inspected: string[] = [];
    server = createServer((req, res) => {
      if (req.url === '/containers/json') res.end(JSON.stringify([A, B, C].map((Id) => ({ Id, Names: [`/${Id[0]}`], State: 'running' }))));
      else inspected.push(req.url as string); // and never answers
    });
    const socket = join(root, 'engine.sock');
    await new Promise<void>((resolve) => server?.listen(socket, resolve));
    [A, B, C].forEach((id, i) => proc(10 + i, id));
    const listed = await new ContainerCatalog({ procRoot: join(root, 'proc'), socket, criSocket: join(root, 'no-cri.sock'), ociStateDirs: [] }).list();
    expect(listed.map((c) => [c.name, c.restartCount, c.metadataFrom])).toEqual([
      ['a', undefined, 'engine'],
      ['b', undefined, 'engine'],
      ['c', undefined, 'engine'],
    ]);
    expect(inspected).toEqual([`/containers/${A}/json`]);
    server.closeAllConnections();
  });

  it('a runtime that fails is reported once and leaves what the kernel shows', async () => {
    root = mkdtempSync(join(tmpdir(), 'bw-catalog-'));
    proc(10, A);
    const problems: string[] = [];
    const catalog = new ContainerCatalog({ procRoot: join(root, 'proc'), socket: join(root, 'none.sock'), ociStateDirs: [], onProblem: (p) => problems.push(p) });
    const [c] = await catalog.list();
    expect(c).toMatchObject({ id: A, runtime: 'docker', name: '', labels: {}, metadataFrom: 'kernel' });
    await catalog.list();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`container runtime at ${join(root, 'none.sock')}`);
  });

  it('in a Kubernetes pod: the host\'s /proc relocated, cgroup paths seen from a private cgroup namespace, kubelet labels from containerd\'s runc state', async () => {
    // As the DaemonSet lays it out: the host's /proc at /host/proc (--host-proc), containerd's runc
    // state at its own path, no Docker Engine API. The agent's cgroup namespace is the pod's, so
    // the kernel writes other processes' paths relative to it (`/../..`).
    root = mkdtempSync(join(tmpdir(), 'bw-catalog-'));
    const hostProc = join(root, 'host', 'proc');
    const uid = '8f3a2b1c-4d5e-4f60-9a7b-0c1d2e3f4a5b';
    const write = (pid: number, ppid: number, cgroup: string) => {
      mkdirSync(join(hostProc, String(pid)), { recursive: true });
      writeFileSync(join(hostProc, String(pid), 'cgroup'), cgroup);
      writeFileSync(join(hostProc, String(pid), 'stat'), `${pid} (sh) S ${ppid} 0 0\n`);
    };
    write(1, 0, '0::/../../..\n');
    write(900, 1, '0::/../../../system.slice/containerd.service\n');
    write(1200, 900, `0::/../../kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice/cri-containerd-${A}.scope\n`);
    write(1201, 1200, `0::/../../kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice/cri-containerd-${A}.scope\n`);
    const stateDir = join(root, 'run', 'containerd', 'runc', 'k8s.io');
    mkdirSync(join(stateDir, A), { recursive: true });
    const labels = ['io.kubernetes.pod.name=checkout-7d9f', 'io.kubernetes.pod.namespace=shop', `io.kubernetes.pod.uid=${uid}`, 'io.kubernetes.container.name=app'];
    writeFileSync(join(stateDir, A, 'state.json'), JSON.stringify({ created: '2026-12-06T06:19:44Z', config: { labels: [...labels, 'bundle=/run/containerd/io.containerd.runtime.v2.task/k8s.io/x'] } }));

    const catalog = new ContainerCatalog({ procRoot: hostProc, socket: join(root, 'no-engine.sock'), ociStateDirs: [stateDir] });
    expect(await catalog.list()).toEqual([
      expect.objectContaining({
        id: A,
        runtime: 'containerd',
        podUid: uid,
        initPid: 1200,
        pids: [1200, 1201],
        metadataFrom: 'oci',
        labels: Object.fromEntries(labels.map((l) => l.split('=') as [string, string])),
      }),
    ]);
  });

  it('names a podman pod by podman\'s libpod API, asked only when the kernel shows a container in one; by its short id when that fails', async () => {
    root = mkdtempSync(join(tmpdir(), 'bw-catalog-'));
    const pod = 'f'.repeat(64);
    mkdirSync(join(root, 'proc', '30'), { recursive: true });
    writeFileSync(join(root, 'proc', '30', 'cgroup'), `0::/libpod_parent/${pod}/libpod-${A}\n`);
    writeFileSync(join(root, 'proc', '30', 'stat'), '30 (sleep) S 1 0 0\n');
    const paths: string[] = [];
    let pods: unknown = [{ Id: pod, Name: 'checkout', Namespace: '', Labels: { app: 'checkout' }, InfraId: B }];
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.end(JSON.stringify(req.url?.includes('/libpod/pods/') ? pods : [{ Id: A, Names: ['/checkout-web'], Labels: { app: 'checkout' } }]));
    });
    const socket = join(root, 'podman.sock');
    await new Promise<void>((resolve) => server?.listen(socket, resolve));
    let now = 0;
    const problems: string[] = [];
    const catalog = new ContainerCatalog({ procRoot: join(root, 'proc'), socket, ociStateDirs: [], now: () => now, onProblem: (p) => problems.push(p) });
    expect((await catalog.list()).map((c) => [c.name, c.libpodPod, c.podmanPod])).toEqual([['checkout-web', pod, { id: pod, name: 'checkout', namespace: '', labels: { app: 'checkout' }, infraId: B }]]);
    // The list, the container's inspection (its restart count) and the pods, each once.
    expect([...paths].sort()).toEqual([`/containers/${A}/json`, '/containers/json', '/v4.0.0/libpod/pods/json']);
    pods = { message: 'no such call' };
    now = 60_000;
    const fresh = new ContainerCatalog({ procRoot: join(root, 'proc'), socket, ociStateDirs: [], now: () => now, onProblem: (p) => problems.push(p) });
    expect((await fresh.list())[0]?.podmanPod).toEqual({ id: pod, name: 'f'.repeat(12), namespace: '', labels: {}, infraId: '' });
    expect(problems).toEqual([`container runtime at ${socket}: answer is not a list of pods`]);
  });
});

