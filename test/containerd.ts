/**
 * A real containerd with its CRI plugin for the tests, all under a temp directory of its own
 * (--root, --state, its socket), and a way to run a pod sandbox and a container in it without an
 * image registry: a busybox-static root filesystem imported as an image (podman import, podman
 * save, ctr images import), which serves as the sandbox (pause) image too. Installed by .ci/run;
 * without containerd the suites skip loudly, unless BREAKWATER_REQUIRE_SERVICES=1 (CI).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { grpcUnary } from '../src/agent/containers/grpc-unix.js';
import type { FieldValue } from '../src/agent/containers/protobuf.js';
import { encodeMessage, readFields } from '../src/agent/containers/protobuf.js';
import { waitUntil } from './helpers.js';
import { PODMAN } from './podman.js';

const run = promisify(execFile);
const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';
const BUSYBOX = '/usr/bin/busybox';
const APPLETS = ['sh', 'sleep', 'cat', 'hostname'];

/** Why containerd cannot run here, or undefined when it can. Throws on CI (BREAKWATER_REQUIRE_SERVICES=1). */
export function containerdUnavailable(suite: string): string | undefined {
  const missing = [CONTAINERD, CTR, PODMAN, BUSYBOX].filter((p) => !existsSync(p));
  const reason = missing.length ? `${missing.join(', ')} missing (install them: apt-get install -y containerd podman busybox-static)` : process.getuid?.() !== 0 ? 'not root (containerd runs as root)' : undefined;
  if (!reason) return undefined;
  if (process.env.BREAKWATER_REQUIRE_SERVICES === '1') throw new Error(`${suite}: ${reason}; BREAKWATER_REQUIRE_SERVICES=1 makes this a failure`);
  console.warn(`\n⚠  SKIPPING ${suite}: ${reason}.\n`);
  return reason;
}

type Fields = readonly (readonly [number, FieldValue])[];
const msg = (fields: Fields) => encodeMessage(fields);

/** A pod as the test makes it through the CRI, the way the kubelet would. */
export interface CriPod {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}

/**
 * A containerd of the test's own. {@link stop} stops its pods and the daemon and removes its
 * directory, whatever happened before: call it from `afterAll` (safe after a failed {@link start}).
 *
 * @example
 * const containerd = await Containerd.start();
 * try { await containerd.runPod(pod, 'web', { app: 'checkout' }); } finally { await containerd.stop(); }
 */
export class Containerd {
  private daemon: ChildProcess | undefined;
  private readonly sandboxes: string[] = [];
  readonly image: string;

  private constructor(readonly dir: string) {
    this.image = `localhost/bw-cri-busybox:${dir.split('-').pop() as string}`.toLowerCase();
  }

  get socket(): string {
    return join(this.dir, 'containerd.sock');
  }

  static async start(): Promise<Containerd> {
    const c = new Containerd(await mkdtemp(join(tmpdir(), 'bw-containerd-')));
    try {
      await mkdir(join(c.dir, 'cni', 'conf'), { recursive: true });
      await mkdir(join(c.dir, 'cni', 'bin'), { recursive: true });
      // Version 2 of containerd's configuration; the native snapshotter works on any filesystem.
      const config = [
        'version = 2',
        `root = "${c.dir}/root"`,
        `state = "${c.dir}/state"`,
        `[grpc]\n  address = "${c.socket}"`,
        `[ttrpc]\n  address = "${c.socket}.ttrpc"`,
        // These machines grant root no CAP_SYS_RESOURCE: the sandbox's oom_score_adj of -998 would fail.
        `[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "${c.image}"\n  restrict_oom_score_adj = true`,
        `[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "native"`,
        `[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "${c.dir}/cni/bin"\n  conf_dir = "${c.dir}/cni/conf"`,
      ].join('\n');
      await writeFile(join(c.dir, 'config.toml'), `${config}\n`);
      const log = openSync(join(c.dir, 'containerd.log'), 'a');
      c.daemon = spawn(CONTAINERD, ['--config', join(c.dir, 'config.toml')], { stdio: ['ignore', log, log] });
      closeSync(log);
      await waitUntil('containerd answering on its CRI socket', () => c.call('Version', msg([])).then(() => true, () => false), 20_000);
      await c.importImage();
      return c;
    } catch (err) {
      await c.stop();
      throw err;
    }
  }

  /** The busybox root filesystem as an image in containerd's `k8s.io` namespace (the CRI's). */
  private async importImage(): Promise<void> {
    const rootfs = join(this.dir, 'rootfs');
    await mkdir(join(rootfs, 'bin'), { recursive: true });
    await copyFile(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    for (const applet of APPLETS) await symlink('busybox', join(rootfs, 'bin', applet));
    await run('tar', ['-C', rootfs, '-cf', join(this.dir, 'rootfs.tar'), '.']);
    await run(PODMAN, ['import', '--change', 'CMD ["/bin/sleep","3600"]', join(this.dir, 'rootfs.tar'), this.image]);
    try {
      await run(PODMAN, ['save', '--format', 'docker-archive', '-o', join(this.dir, 'image.tar'), this.image]);
    } finally {
      await run(PODMAN, ['rmi', '-f', this.image]).catch(() => undefined);
    }
    await run(CTR, ['-a', this.socket, '-n', 'k8s.io', 'images', 'import', join(this.dir, 'image.tar')]);
  }

  /** The end of containerd's log, for a failure's message. */
  logTail(lines = 20): string {
    try {
      return readFileSync(join(this.dir, 'containerd.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** One unary CRI call (runtime.v1.RuntimeService), its answer's message. */
  async call(method: string, request: Buffer): Promise<Buffer> {
    const [answer] = await grpcUnary(this.socket, [{ method: `/runtime.v1.RuntimeService/${method}`, request }], { maxAnswerBytes: 1 << 20, timeoutMs: 20_000 });
    return answer as Buffer;
  }

  /**
   * Runs a pod sandbox (host network: no CNI here) under a kubelet-style cgroup parent, and a
   * container in it that sleeps, with these labels; returns the container's id.
   */
  async runPod(pod: CriPod, container: string, labels: Record<string, string>): Promise<string> {
    const sandboxConfig = msg([
      [1, msg([[1, pod.name], [2, pod.uid], [3, pod.namespace], [4, 0]])],
      [8, msg([[1, `/kubepods/besteffort/pod${pod.uid}`], [2, msg([[1, msg([[1, 2]])]])]])],
    ]);
    const sandbox = stringField(await this.call('RunPodSandbox', msg([[1, sandboxConfig]])), 1);
    this.sandboxes.push(sandbox);
    const config = msg([[1, msg([[1, container], [2, 0]])], [2, msg([[1, this.image]])], [3, '/bin/sleep'], [4, '600'], ...Object.entries(labels).map(([k, v]) => [9, msg([[1, k], [2, v]])] as const)]);
    const id = stringField(await this.call('CreateContainer', msg([[1, sandbox], [2, config], [3, sandboxConfig]])), 1);
    await this.call('StartContainer', msg([[1, id]]));
    return id;
  }

  /** Stops and removes the pods it ran, stops containerd, removes its directory. */
  async stop(): Promise<void> {
    try {
      for (const id of this.sandboxes) {
        await this.call('StopPodSandbox', msg([[1, id]])).catch(() => undefined);
        await this.call('RemovePodSandbox', msg([[1, id]])).catch(() => undefined);
      }
    } finally {
      if (this.daemon && this.daemon.exitCode === null) {
        const exited = new Promise((resolve) => this.daemon?.once('exit', resolve));
        this.daemon.kill();
        await exited;
      }
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}

function stringField(message: Buffer, field: number): string {
  for (const f of readFields(message)) if (f.field === field && 'bytes' in f) return f.bytes.toString('utf8');
  throw new Error(`CRI answer without field ${field}`);
}
