import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAgentConfig } from '../src/agent/index.js';
import { OCI_STATE_DIRS } from '../src/agent/containers/oci-state.js';
import { DEFAULT_CRI_SOCKETS } from '../src/agent/containers/cri-api.js';
import { reportHealth } from '../src/agent/health-file.js';
import { parseAgentFlags } from '../src/cli/agent-command.js';
import type { AgentFlags } from '../src/cli/agent-command.js';
import { containers, podSpec, readManifests } from './k8s-manifests.js';

// What an operator relies on in deploy/k8s/agent-daemonset.yaml, beyond the schema check of
// test/deploy-k8s.test.ts: the host's views read-only where the agent's flags look for them, no
// API access, the credential from a Secret, probes that mean something (run here, for real).

const ROOT = join(import.meta.dirname, '..');
const manifests = readManifests(join(ROOT, 'deploy', 'k8s'));
const daemonSet = manifests.find((m) => m.kind === 'DaemonSet' && m.name === 'breakwater-agent')!;
const spec = podSpec(daemonSet)!;
const agent = containers([daemonSet]).find((c) => c.container.name === 'agent')!.container;

interface Mount { name: string; mountPath: string; readOnly?: boolean }
interface Volume { name: string; hostPath?: { path: string } }
interface ExecProbe { exec: { command: string[] } }
const mounts = agent.volumeMounts as Mount[];
const volumes = spec.volumes as Volume[];
/** Kubernetes expands $(VAR) from the container's environment; any value stands for it here. */
const args = (agent.args as string[]).map((a) => a.replaceAll(/\$\([A-Z_]+\)/g, 'node-1'));
const flags = parseAgentFlags(args) as AgentFlags;
const config = resolveAgentConfig({ server: flags.server!, ...(flags.hostProc ? { hostProc: flags.hostProc } : {}), ...(flags.hostCgroup ? { hostCgroup: flags.hostCgroup } : {}), ...(flags.healthFile ? { healthFile: flags.healthFile } : {}) });

/** The mount of the hostPath volume for `hostPath`, undefined when there is none. */
function hostMount(hostPath: string): Mount | undefined {
  const volume = volumes.find((v) => v.hostPath?.path === hostPath);
  return volume && mounts.find((m) => m.name === volume.name);
}

/** The mounts of hostPath volumes that hold `path` (the path itself or a folder above it) at the same path in the pod. */
function samePathMounts(path: string): Mount[] {
  return volumes.flatMap((v) => (v.hostPath && (path === v.hostPath.path || path.startsWith(`${v.hostPath.path}/`)) ? mounts.filter((m) => m.name === v.name && m.mountPath === v.hostPath!.path) : []));
}

describe('the agent DaemonSet', () => {
  it('reads the host\'s /proc through its read-only mount, where --host-proc says', () => {
    expect(spec.hostPID, 'hostPID: /host/proc/self must be the agent').toBe(true);
    expect(config.hostProc).toBe('/host/proc');
    expect(hostMount('/proc')).toMatchObject({ mountPath: config.hostProc, readOnly: true });
    expect(hostMount('/sys/fs/cgroup')).toMatchObject({ mountPath: config.hostCgroup, readOnly: true });
    expect(config.hostCgroup).toBe('/host/sys/fs/cgroup');
  });

  it('reports the node\'s disks, not the pod\'s: through PID 1 of the host\'s /proc, which needs hostPID and SYS_PTRACE', () => {
    // The agent lists /host/proc/1/mounts and statfs's through /host/proc/1/root (test/agent-in-pod.test.ts).
    expect(config.hostProc).not.toBe('/proc');
    expect(spec.hostPID).toBe(true);
    expect((agent.securityContext as { capabilities: { add: string[] } }).capabilities.add).toContain('SYS_PTRACE');
  });

  it('mounts, read-only and at the same path, the runc state directories of containerd (Kubernetes namespace) and CRI-O', () => {
    for (const dir of ['/run/containerd/runc/k8s.io', '/run/runc']) {
      expect(OCI_STATE_DIRS, `the agent looks in ${dir}`).toContain(dir);
      // containerd's: under both its runc folder's mount and the mount of /run/containerd (its CRI socket's).
      const mount = samePathMounts(dir);
      expect(mount.length, `a hostPath mount covering ${dir} at the same path`).toBeGreaterThan(0);
      expect(mount.every((m) => m.readOnly), `${dir} read-only`).toBe(true);
    }
  });

  it('mounts, read-only and at the same path, the folders of the CRI sockets the agent looks for (containerd, CRI-O)', () => {
    // /var/run is /run on the node; the pod's image need not have that link, so /run is what counts.
    const sockets = DEFAULT_CRI_SOCKETS.filter((s) => s.startsWith('/run/'));
    expect(sockets).toEqual(['/run/containerd/containerd.sock', '/run/crio/crio.sock']);
    for (const socket of sockets) {
      const folder = socket.slice(0, socket.lastIndexOf('/'));
      expect(samePathMounts(socket).map((m) => [m.mountPath, m.readOnly]), socket).toEqual([[folder, true]]);
    }
  });

  it('writes on the host only to its data directory, the one --data names', () => {
    const writable = mounts.filter((m) => !m.readOnly && volumes.find((v) => v.name === m.name)?.hostPath);
    expect(writable.map((m) => m.mountPath)).toEqual([flags.data]);
    expect((agent.securityContext as { readOnlyRootFilesystem?: boolean }).readOnlyRootFilesystem).toBe(true);
  });

  it('has no access to the Kubernetes API: no token mounted, no role bound', () => {
    expect(spec.automountServiceAccountToken).toBe(false);
    const account = manifests.find((m) => m.kind === 'ServiceAccount' && m.name === spec.serviceAccountName);
    expect(account?.body.automountServiceAccountToken).toBe(false);
    const bindings = manifests.filter((m) => /RoleBinding$/.test(m.kind) && JSON.stringify(m.body.subjects ?? []).includes(String(spec.serviceAccountName)));
    expect(bindings.map((m) => m.name)).toEqual([]);
  });

  it('takes the join token from a Secret, in the variable the agent reads', () => {
    const env = agent.env as { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
    expect(env.find((e) => e.name === 'BREAKWATER_JOIN_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'breakwater-agent-join', key: 'token' });
    expect(args.some((a) => a.startsWith('--token'))).toBe(false);
  });

  it('tolerates every taint and outranks ordinary workloads, with a PriorityClass of its own', () => {
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    const priority = manifests.find((m) => m.kind === 'PriorityClass' && m.name === spec.priorityClassName);
    expect(priority?.body).toMatchObject({ globalDefault: false, preemptionPolicy: 'PreemptLowerPriority' });
    // User-defined classes may go up to 1e9; above that are the system classes, which come first.
    expect(priority?.body.value).toBeGreaterThan(0);
    expect(priority?.body.value).toBeLessThanOrEqual(1_000_000_000);
  });

  it('runs as root, not privileged, with a short list of capabilities (no SYS_ADMIN) and the runtime\'s seccomp profile', () => {
    const security = agent.securityContext as { runAsUser: number; privileged?: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[]; add: string[] }; seccompProfile: { type: string } };
    expect(security.runAsUser).toBe(0);
    expect(security.privileged).toBeUndefined();
    expect(security.allowPrivilegeEscalation).toBe(false);
    expect(security.capabilities.drop).toEqual(['ALL']);
    expect(security.capabilities.add).toContain('SYS_PTRACE');
    expect(security.capabilities.add).not.toContain('SYS_ADMIN');
    expect(security.seccompProfile.type).toBe('RuntimeDefault');
  });

  it('requests at least the memory an idle agent was measured to hold, and caps it at four times that or more', () => {
    const fleet = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'fleet.json'), 'utf8')) as { measurements: { name: string; value: number }[] };
    const rssMb = fleet.measurements.find((m) => m.name === 'real agent idle · rss')!.value;
    const mib = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1]);
    const resources = agent.resources as { requests: { memory: string }; limits: { memory: string } };
    expect(mib(resources.requests.memory) * 1.048576).toBeGreaterThan(rssMb);
    expect(mib(resources.limits.memory) * 1.048576).toBeGreaterThan(4 * rssMb);
  });

  it('rolls out a tenth of the nodes at a time, waiting for each new agent to be connected', () => {
    const strategy = (daemonSet.body.spec as { updateStrategy: { type: string; rollingUpdate: { maxUnavailable: string } } }).updateStrategy;
    expect(strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } });
    expect(agent.readinessProbe).toBeDefined();
  });

  describe('its probes, run against the health file a real agent keeps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-k8s-probe-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'health');
    const daemon = new EventEmitter();
    reportHealth(daemon, path, 'starting', (m) => expect.fail(m));
    /** The probe's command with the file where this test keeps it; resolves to its exit code. */
    const probe = async (which: 'readinessProbe' | 'livenessProbe'): Promise<number> => {
      const command = (agent[which] as ExecProbe).exec.command.map((word) => word.replaceAll(config.healthFile!, path));
      expect(command.join(' '), `${which} reads the --health-file`).toContain(path);
      try {
        await promisify(execFile)(command[0]!, command.slice(1));
        return 0;
      } catch (err) {
        return (err as { code: number }).code;
      }
    };

    it('readiness: only while connected', async () => {
      expect(await probe('readinessProbe')).not.toBe(0);
      daemon.emit('state', 'connected');
      expect(await probe('readinessProbe')).toBe(0);
      daemon.emit('state', 'backoff');
      expect(await probe('readinessProbe')).not.toBe(0);
    });

    it('liveness: while collection passes end, not when the last one is over a minute old', async () => {
      daemon.emit('collected');
      expect(await probe('livenessProbe')).toBe(0);
      const old = new Date(Date.now() - 120_000);
      utimesSync(path, old, old);
      expect(await probe('livenessProbe')).not.toBe(0);
      daemon.emit('collected');
      expect(await probe('livenessProbe')).toBe(0);
    });
  });
});
