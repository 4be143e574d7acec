import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAgentFlags } from '../src/cli/agent-command.js';
import { main } from '../src/cli/index.js';
import { ACCOUNTS_INCLUDE, REPLICA_CREDS, SIGNING_KEY_FILE, natsAccountSetup } from '../src/server/nats-auth/index.js';
import { memoryOutput } from './helpers.js';
import type { Manifest } from './k8s-manifests.js';
import { containers, modelFor, podLabels, podSpec, readManifests, referencedObjects, selects } from './k8s-manifests.js';

// The manifests of deploy/k8s checked offline, as `kubectl apply --dry-run=server` would (these
// machines have no API server), plus what an operator would notice on the first day.
const DIR = join(import.meta.dirname, '..', 'deploy', 'k8s');
const NAMESPACE = 'breakwater';
/** Kinds that belong to no namespace. */
const CLUSTER_SCOPED = new Set(['Namespace', 'PriorityClass']);
const manifests = readManifests(DIR);
const readme = readFileSync(join(DIR, 'README.md'), 'utf8');

function find(kind: string, name: string): Manifest {
  const m = manifests.find((x) => x.kind === kind && x.name === name);
  if (!m) throw new Error(`no ${kind} ${name} under deploy/k8s`);
  return m;
}

function matchLabels(m: Manifest): Record<string, string> | undefined {
  const spec = m.body.spec as { selector?: { matchLabels?: Record<string, string> } | Record<string, string> } | undefined;
  if (m.kind === 'Service') return spec?.selector as Record<string, string> | undefined;
  return (spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
}

describe('deploy/k8s', () => {
  it('holds the control plane, its Service and disruption budget, the agent DaemonSet, NATS and PostgreSQL', () => {
    const kinds = manifests.map((m) => `${m.kind}/${m.name}`);
    for (const expected of ['Namespace/breakwater', 'Deployment/breakwater-server', 'Service/breakwater', 'PodDisruptionBudget/breakwater-server', 'DaemonSet/breakwater-agent', 'StatefulSet/nats', 'Service/nats', 'StatefulSet/postgres', 'Service/postgres']) {
      expect(kinds).toContain(expected);
    }
  });

  it('validates every document against the Kubernetes schema of its apiVersion and kind', () => {
    for (const m of manifests) {
      const Model = modelFor(m.apiVersion, m.kind);
      if (!Model) throw new Error(`${m.file} document ${m.index + 1}: ${m.apiVersion} ${m.kind} is not a Kubernetes kind this test knows`);
      try {
        new Model(m.body).validate();
      } catch (error) {
        throw new Error(`${m.file}: ${m.kind} ${m.name} does not match the schema: ${(error as Error).message}`, { cause: error });
      }
    }
  });

  it('the schema check refuses an unknown kind and a malformed Deployment (so the test above can fail)', () => {
    expect(modelFor('apps/v1', 'Deploymnet')).toBeUndefined();
    expect(modelFor('example.com/v1', 'Widget')).toBeUndefined();
    const Deployment = modelFor('apps/v1', 'Deployment')!;
    const broken = structuredClone(find('Deployment', 'breakwater-server').body);
    (broken.spec as Record<string, unknown>).replicas = 'two';
    expect(() => new Deployment(broken).validate()).toThrow(/replicas must be integer/);
  });

  it('puts every namespaced object in the breakwater namespace', () => {
    for (const m of manifests.filter((x) => !CLUSTER_SCOPED.has(x.kind))) expect(m.namespace, `${m.file}: ${m.kind} ${m.name}`).toBe(NAMESPACE);
  });

  it('gives every container CPU and memory requests and a memory limit', () => {
    const all = containers(manifests);
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const { where, container } of all) {
      const resources = container.resources as { requests?: Record<string, unknown>; limits?: Record<string, unknown> } | undefined;
      expect(resources?.requests?.cpu, `${where}: requests.cpu`).toBeDefined();
      expect(resources?.requests?.memory, `${where}: requests.memory`).toBeDefined();
      expect(resources?.limits?.memory, `${where}: limits.memory`).toBeDefined();
    }
  });

  it('pins every image to a version: a tag that is not latest, or a digest', () => {
    for (const { where, container } of containers(manifests)) {
      const image = String(container.image);
      const name = image.slice(image.lastIndexOf('/') + 1);
      const pinned = name.includes('@sha256:') || (name.includes(':') && !/:latest$/.test(name));
      expect(pinned, `${where}: image ${image}`).toBe(true);
    }
  });

  it('runs at least two control-plane replicas, spread by a Service and kept by a disruption budget', () => {
    const deployment = find('Deployment', 'breakwater-server');
    expect((deployment.body.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
    const labels = podLabels(deployment);
    expect(selects(matchLabels(deployment), labels), 'the Deployment selects its own pods').toBe(true);
    expect(selects(matchLabels(find('Service', 'breakwater')), labels), 'the Service selects the Deployment\'s pods').toBe(true);
    expect(selects(matchLabels(find('PodDisruptionBudget', 'breakwater-server')), labels), 'the budget selects the Deployment\'s pods').toBe(true);
    for (const other of manifests.filter((m) => podSpec(m) && m !== deployment)) {
      expect(selects(matchLabels(find('Service', 'breakwater')), podLabels(other)), `the Service must not also select ${other.kind} ${other.name}`).toBe(false);
    }
  });

  it('names, in every Service and probe, a port its pods declare', () => {
    for (const service of manifests.filter((m) => m.kind === 'Service')) {
      const pods = manifests.filter((m) => podSpec(m) && selects(matchLabels(service), podLabels(m)));
      expect(pods.length, `Service ${service.name} selects no workload`).toBeGreaterThan(0);
      const declared = new Set(pods.flatMap((p) => containers([p]).flatMap(({ container }) => ((container.ports as { name?: string; containerPort: number }[] | undefined) ?? []).flatMap((port) => [port.name, port.containerPort]))));
      for (const port of (service.body.spec as { ports: { targetPort?: string | number; port: number }[] }).ports) {
        expect(declared.has(port.targetPort ?? port.port), `Service ${service.name} targets port ${String(port.targetPort)}`).toBe(true);
      }
    }
    for (const { where, container } of containers(manifests)) {
      const declared = new Set(((container.ports as { name?: string; containerPort: number }[] | undefined) ?? []).flatMap((p) => [p.name, p.containerPort]));
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const port = (container[probe] as { httpGet?: { port: string | number } } | undefined)?.httpGet?.port;
        if (port !== undefined) expect(declared.has(port), `${where}: ${probe} port ${port}`).toBe(true);
      }
    }
  });

  it('checks the control plane\'s health for readiness and liveness, as a non-root user on a read-only root filesystem', () => {
    const [server] = containers([find('Deployment', 'breakwater-server')]);
    const c = server!.container as Record<string, { httpGet?: { path: string }; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean }>;
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect((podSpec(find('Deployment', 'breakwater-server'))!.securityContext as { runAsNonRoot?: boolean }).runAsNonRoot).toBe(true);
  });

  it('runs the agent on every node, in the host\'s PID namespace, with /proc and the cgroup tree read-only', () => {
    const daemonSet = find('DaemonSet', 'breakwater-agent');
    const spec = podSpec(daemonSet)!;
    expect(spec.hostPID).toBe(true);
    expect(spec.tolerations).toContainEqual({ operator: 'Exists' });
    const volumes = spec.volumes as { name: string; hostPath?: { path: string } }[];
    const [agent] = containers([daemonSet]);
    const mounts = agent!.container.volumeMounts as { name: string; readOnly?: boolean }[];
    for (const hostPath of ['/proc', '/sys/fs/cgroup']) {
      const volume = volumes.find((v) => v.hostPath?.path === hostPath);
      expect(volume, `a hostPath volume for ${hostPath}`).toBeDefined();
      expect(mounts.find((m) => m.name === volume!.name)?.readOnly, `${hostPath} mounted read-only`).toBe(true);
    }
  });

  it('references Secrets instead of inlining them, and says in the README how to make each one it does not define', () => {
    expect(manifests.filter((m) => m.kind === 'Secret').map((m) => m.name), 'no Secret with its values in the repository').toEqual([]);
    for (const { where, container } of containers(manifests)) {
      for (const e of (container.env as { name: string; value?: string }[] | undefined) ?? []) {
        if (e.value !== undefined) expect(/PASSWORD|TOKEN|SECRET|KEY|CREDS|SEED|STORE/i.test(e.name), `${where}: ${e.name} is written in the manifest; take it from a Secret`).toBe(false);
      }
      for (const arg of [...((container.command as string[] | undefined) ?? []), ...((container.args as string[] | undefined) ?? [])]) {
        expect(/:\/\/[^/\s:@]+:[^/\s@]+@/.test(arg), `${where}: ${arg} carries a password in a URL`).toBe(false);
      }
    }
    const defined = new Set(manifests.map((m) => `${m.kind}/${m.name}`));
    const references = manifests.flatMap((m) => {
      const spec = podSpec(m);
      return spec ? referencedObjects(spec).map((r) => ({ ...r, by: `${m.kind} ${m.name}` })) : [];
    });
    expect(references.length).toBeGreaterThan(0);
    for (const r of references) {
      if (defined.has(`${r.kind}/${r.name}`)) continue;
      expect(readme.includes(r.name), `${r.by} reads ${r.kind} ${r.name}: deploy/k8s/README.md must say how to create it`).toBe(true);
    }
  });

  it('passes the control plane and the agent only flags their commands know', async () => {
    const [server] = containers([find('Deployment', 'breakwater-server')]);
    const [command, ...args] = server!.container.args as string[];
    expect(server!.container.command).toEqual(['breakwater']);
    expect(command).toBe('server');
    const { stdout, stderr, out } = memoryOutput();
    expect(await main(['server', '--help'], { stdout, stderr, stdin: new PassThrough(), env: {} })).toBe(0);
    for (const arg of args) {
      const flag = arg.split('=')[0]!;
      expect(out(), `breakwater server ${flag}`).toMatch(new RegExp(`\\s${flag}[\\s,]`));
    }
    for (const flag of ['--store', '--bus', '--nats-creds', '--nats-account-seed', '--nats-prefix']) expect(args.some((a) => a.startsWith(`${flag}=`)), flag).toBe(true);
    // The files `breakwater nats-setup` writes, by the names it gives them.
    expect(args).toContain(`--nats-creds=/etc/breakwater/nats/${REPLICA_CREDS}`);
    expect(args).toContain(`--nats-account-seed=/etc/breakwater/nats/${SIGNING_KEY_FILE}`);
    const [agent] = containers([find('DaemonSet', 'breakwater-agent')]);
    expect(agent!.container.command).toEqual(['breakwater-agent']);
    // Kubernetes expands $(VAR) from the container's environment; any value stands for it here.
    const agentArgs = (agent!.container.args as string[]).map((a) => a.replaceAll(/\$\([A-Z_]+\)/g, 'node-1'));
    expect(parseAgentFlags(agentArgs)).toMatchObject({ bus: expect.stringMatching(/^nats:\/\//), natsPrefix: 'bw' });
  });

  describe('the NATS configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-k8s-nats-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('is accepted by a real nats-server, with the accounts include of `breakwater nats-setup` where the StatefulSet mounts it', async () => {
      const config = (find('ConfigMap', 'nats-config').body.data as Record<string, string>)['nats.conf']!;
      expect(config).toContain(`include ../accounts/${ACCOUNTS_INCLUDE}`);
      // The pod mounts the ConfigMap at /etc/nats/config and the accounts ConfigMap at
      // /etc/nats/accounts; the same layout here, with a fresh set-up's include.
      mkdirSync(join(dir, 'config'));
      mkdirSync(join(dir, 'accounts'));
      writeFileSync(join(dir, 'config', 'nats.conf'), config.replace('/data/jetstream', join(dir, 'jetstream')));
      const include = (await natsAccountSetup('bw')).find((f) => f.name === ACCOUNTS_INCLUDE)!;
      writeFileSync(join(dir, 'accounts', ACCOUNTS_INCLUDE), include.text);
      const natsServer = process.env.BREAKWATER_TEST_NATS_SERVER ?? 'nats-server';
      const { stdout, stderr } = await promisify(execFile)(natsServer, ['-c', join(dir, 'config', 'nats.conf'), '-t'], {
        env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin`, POD_NAME: 'nats-0' },
      });
      expect(`${stdout}${stderr}`).toMatch(/configuration file .* is valid/);
    });
  });
});
