import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { BreakwaterError } from '../protocol/index.js';

/*
 * Real containers for the end-to-end tests and the benchmarks (test/podman.ts, bench/suites/
 * containers-idle.js): Debian's podman with runc, a root filesystem made of Debian's busybox-static
 * (no image registry is reachable from these machines), and podman's Docker Engine API on a socket
 * of the run's own. Here rather than in test/ because the benchmarks run plain JavaScript against
 * dist/ and cannot import the tests' TypeScript.
 */

const run = promisify(execFile);

export const PODMAN = process.env.BREAKWATER_PODMAN ?? '/usr/bin/podman';
const BUSYBOX = '/usr/bin/busybox';
const RUNC = '/usr/sbin/runc';
/** The commands the root filesystem offers, as links to busybox. */
const APPLETS = ['sh', 'sleep', 'cat', 'hostname', 'id'];
/** A file only the containers' root filesystem has (commands inside find it; the host does not). */
export const ROOTFS_MARKER = { path: '/etc/breakwater-rootfs', text: 'only in the container\n' };

/** Why containers cannot run on this machine (what to install, or not root), or undefined when they can. */
export function podmanMissing(): string | undefined {
  const missing = [PODMAN, RUNC, BUSYBOX].filter((p) => !existsSync(p));
  if (missing.length) return `${missing.join(', ')} missing (install them: apt-get install -y podman runc busybox-static)`;
  return process.getuid?.() !== 0 ? 'not root (containers are run with podman as root)' : undefined;
}

/**
 * Containers a test or benchmark starts, all labelled with the run's own mark (`<owner>=<folder>`),
 * and the API socket podman serves. {@link stop} removes every container of the run and the
 * service, whatever happened before (it is safe after a failed {@link start});
 * {@link removeSync} does the same synchronously, for a process `exit` handler.
 *
 * @example
 * const podman = await PodmanContainers.start();
 * try { await podman.run('web', { app: 'checkout' }); } finally { await podman.stop(); }
 */
export class PodmanContainers {
  /** The label every container of this run carries: what {@link stop} removes by. */
  readonly mark: string;
  private service: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    owner: string,
  ) {
    this.mark = `${owner}=${basename(dir)}`;
  }

  /** The Docker Engine API socket (podman system service). */
  get socket(): string {
    return join(this.dir, 'podman.sock');
  }

  private get rootfs(): string {
    return join(this.dir, 'rootfs');
  }

  /** Builds the root filesystem and starts the API service. `owner` is the label's key: `bw-test` for the tests, `bw-bench` for the benchmarks. */
  static async start(owner = 'bw-test'): Promise<PodmanContainers> {
    const podman = new PodmanContainers(await mkdtemp(join(tmpdir(), 'bw-podman-')), owner);
    try {
      await mkdir(join(podman.rootfs, 'bin'), { recursive: true });
      await copyFile(BUSYBOX, join(podman.rootfs, 'bin', 'busybox'));
      for (const applet of APPLETS) await symlink('busybox', join(podman.rootfs, 'bin', applet));
      await mkdir(join(podman.rootfs, 'etc'));
      await writeFile(join(podman.rootfs, ROOTFS_MARKER.path), ROOTFS_MARKER.text);
      podman.service = spawn(PODMAN, ['system', 'service', '--time=0', `unix://${podman.socket}`], { stdio: 'ignore', cwd: podman.dir });
      const deadline = Date.now() + 15_000;
      while (!existsSync(podman.socket)) {
        if (Date.now() > deadline) throw new BreakwaterError('BW_ERR_UNAVAILABLE', `lab: podman system service did not listen on ${podman.socket} within 15s`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return podman;
    } catch (err) {
      await podman.stop();
      throw err;
    }
  }

  /**
   * Starts a container that sleeps, with these labels and hostname (and user `uid:gid`, default
   * root); returns its id and host pid.
   * Flags as these machines need them: runc (crun refuses cgroup hybrid mode here), limits not raised.
   * `extra.flags` adds podman flags (`--cpus`, `--memory`), `extra.command` replaces `sleep 600`;
   * `extra.keep` leaves out `--rm`, so that the container can be restarted ({@link restart}).
   */
  async run(name: string, labels: Record<string, string>, hostname = name, extra: { readonly flags?: readonly string[]; readonly command?: readonly string[]; readonly keep?: boolean; readonly user?: string } = {}): Promise<{ id: string; pid: number }> {
    const labelArgs = Object.entries({ ...labels }).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    const args = ['run', '-d', ...(extra.keep ? [] : ['--rm']), '--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--name', name, '--label', this.mark, ...labelArgs, ...(extra.flags ?? [])];
    // --hostname must come before --rootfs.
    if (extra.user) args.push('--user', extra.user);
    args.push('--hostname', hostname, '--rootfs', this.rootfs, ...(extra.command ?? ['sleep', '600']));
    // In the run's folder: conmon, which stays beside the container, writes a file named `oom` into
    // its working directory when the kernel OOM-kills in the container.
    const { stdout } = await run(PODMAN, args, { cwd: this.dir });
    const id = stdout.trim();
    const inspected = await run(PODMAN, ['inspect', id, '--format', '{{.State.Pid}}']);
    return { id, pid: Number(inspected.stdout.trim()) };
  }

  /** The image {@link image} imports, per run (a tag of this run's own). */
  get imageName(): string {
    return `localhost/bw-busybox:${basename(this.dir)}`.toLowerCase();
  }

  /**
   * The root filesystem as a local image (`podman import` of a tarball: no registry is reachable),
   * for `podman kube play`, which needs one; {@link stop} removes it.
   */
  async image(): Promise<string> {
    const tarball = join(this.dir, 'rootfs.tar');
    await run('tar', ['-C', this.rootfs, '-cf', tarball, '.']);
    await run(PODMAN, ['import', '--change', 'ENV=PATH=/bin', tarball, this.imageName]);
    return this.imageName;
  }

  /**
   * `podman kube play` of a Kubernetes manifest (give its pods the label {@link mark}, `key: value`,
   * so that {@link stop} removes them). runc and limits not raised, as for {@link run}, through a
   * containers.conf of the run's own: kube play has no flags for them. Podman makes the pod's
   * infra container from a pause image it builds locally (catatonit): no registry either.
   */
  async playKube(manifest: string): Promise<void> {
    const conf = join(this.dir, 'containers.conf');
    await writeFile(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\n');
    const file = join(this.dir, 'kube.yaml');
    await writeFile(file, manifest);
    await run(PODMAN, ['kube', 'play', file], { cwd: this.dir, env: { ...process.env, CONTAINERS_CONF: conf } });
  }

  /** Restarts a container started with `keep`: the same id, a new init process. */
  async restart(id: string): Promise<void> {
    await run(PODMAN, ['restart', '-t', '0', id], { cwd: this.dir });
  }

  /** Removes every container of this run, stops the service, removes the directory. */
  async stop(): Promise<void> {
    try {
      const { stdout } = await run(PODMAN, ['ps', '-aq', '--filter', `label=${this.mark}`]);
      const ids = stdout.split('\n').filter(Boolean);
      if (ids.length) await run(PODMAN, ['rm', '-f', '-t', '0', ...ids]);
      const pods = (await run(PODMAN, ['pod', 'ps', '-q', '--filter', `label=${this.mark}`])).stdout.split('\n').filter(Boolean);
      if (pods.length) await run(PODMAN, ['pod', 'rm', '-f', '-t', '0', ...pods]);
      await run(PODMAN, ['rmi', '-i', this.imageName]);
    } finally {
      this.service?.kill();
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  /**
   * {@link stop} without waiting on the event loop, for `process.on('exit')`: a run that dies
   * without reaching its `finally` must not leave its containers running. Errors are swallowed
   * (there is nothing left to report them to).
   */
  removeSync(): void {
    try {
      const ids = execFileSync(PODMAN, ['ps', '-aq', '--filter', `label=${this.mark}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
      if (ids.length) execFileSync(PODMAN, ['rm', '-f', '-t', '0', ...ids], { stdio: 'ignore' });
      const pods = execFileSync(PODMAN, ['pod', 'ps', '-q', '--filter', `label=${this.mark}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
      if (pods.length) execFileSync(PODMAN, ['pod', 'rm', '-f', '-t', '0', ...pods], { stdio: 'ignore' });
      execFileSync(PODMAN, ['rmi', '-i', this.imageName], { stdio: 'ignore' });
    } catch {
      // Best effort at exit.
    }
    this.service?.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
