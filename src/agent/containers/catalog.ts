import { existsSync } from 'node:fs';
import type { ContainerMetadata } from './engine-api.js';
import { listEngineContainers } from './engine-api.js';
import type { KernelContainer } from './discovery.js';
import { ContainerDiscovery } from './discovery.js';
import { OCI_STATE_DIRS, readOciState } from './oci-state.js';
import type { LibpodPod } from './libpod-pods.js';
import { listLibpodPods } from './libpod-pods.js';

/** A running container: what the kernel shows, and what its runtime (or OCI state file) adds. */
export interface ContainerInfo extends KernelContainer, ContainerMetadata {
  /** Where its name, image and labels came from: the runtime's API, runc's state file, or nothing but the kernel. */
  readonly metadataFrom: 'engine' | 'oci' | 'kernel';
  /** The podman pod it is in (its cgroup says which): named by podman's API, or by its short id when that did not answer. */
  readonly podmanPod?: LibpodPod & { readonly id: string };
}

/** Where Docker and podman (as root) listen by default; the first that exists is asked. */
export const DEFAULT_ENGINE_SOCKETS: readonly string[] = ['/run/docker.sock', '/var/run/docker.sock', '/run/podman/podman.sock'];

export interface ContainerCatalogOptions {
  readonly procRoot?: string;
  /** The runtime API socket; default: the first of {@link DEFAULT_ENGINE_SOCKETS} that exists. */
  readonly socket?: string;
  readonly ociStateDirs?: readonly string[];
  /** Ask the runtime again at least this often, for renames and state changes (default 30 s). */
  readonly refreshMs?: number;
  /** Told when asking the runtime fails, once per distinct problem (a missing socket is not one). */
  readonly onProblem?: (message: string) => void;
  now?(): number;
}

/** After a failed request, the runtime is asked again no sooner than this. */
const RETRY_MS = 5000;

/**
 * The containers of this host, each pass: discovery from the kernel every time (cheap, see
 * {@link ContainerDiscovery}), metadata from the runtime only when a container it has not described
 * appears or {@link ContainerCatalogOptions.refreshMs} has passed, and from runc's state file for a
 * container the runtime does not know (or with no runtime socket).
 *
 * @example
 * const catalog = new ContainerCatalog({ socket: '/run/podman/podman.sock' });
 * const containers = await catalog.list();
 */
export class ContainerCatalog {
  readonly #discovery: ContainerDiscovery;
  #engine = new Map<string, ContainerMetadata>();
  #libpodPods = new Map<string, LibpodPod>();
  #askedAt = -Infinity;
  /** The containers running when the runtime was last asked: one it did not describe is not asked about again until the refresh. */
  #askedFor = new Set<string>();
  #failedAt = -Infinity;
  #problem: string | undefined;
  /** OCI state read once per container id (it does not change while the container runs). */
  readonly #oci = new Map<string, ContainerMetadata | undefined>();

  constructor(private readonly options: ContainerCatalogOptions = {}) {
    this.#discovery = new ContainerDiscovery(options.procRoot);
  }

  /** The running containers now. Never rejects: a runtime that does not answer leaves the kernel's view. */
  async list(): Promise<ContainerInfo[]> {
    const kernel = this.#discovery.scan();
    await this.#refreshEngine(kernel);
    const live = new Set(kernel.map((c) => c.id));
    for (const id of this.#oci.keys()) if (!live.has(id)) this.#oci.delete(id);
    return kernel.map((k) => ({ ...this.#describe(k), ...(k.libpodPod ? { podmanPod: this.#podmanPod(k.libpodPod) } : {}) }));
  }

  /** A podman pod as its API last described it, or by its short id. */
  #podmanPod(id: string): LibpodPod & { readonly id: string } {
    return { id, ...(this.#libpodPods.get(id) ?? { name: id.slice(0, 12), namespace: '', labels: {}, infraId: '' }) };
  }

  /** What the runtime's API, else runc's state file, else nothing but the kernel says of a container. */
  #describe(k: KernelContainer): ContainerInfo {
    const engine = this.#engine.get(k.id);
    if (engine) return { ...k, ...engine, metadataFrom: 'engine' };
    if (!this.#oci.has(k.id)) this.#oci.set(k.id, readOciState(k.id, this.options.ociStateDirs ?? OCI_STATE_DIRS));
    const oci = this.#oci.get(k.id);
    if (oci) return { ...k, ...oci, metadataFrom: 'oci' };
    return { ...k, name: '', image: '', state: 'running', created: undefined, labels: {}, metadataFrom: 'kernel' };
  }

  async #refreshEngine(kernel: readonly KernelContainer[]): Promise<void> {
    const socket = this.options.socket ?? DEFAULT_ENGINE_SOCKETS.find((s) => existsSync(s));
    if (!socket) return;
    const now = this.options.now?.() ?? Date.now();
    const stale = now - this.#askedAt >= (this.options.refreshMs ?? 30_000);
    const unknown = kernel.some((c) => !this.#engine.has(c.id) && !this.#askedFor.has(c.id));
    if ((!stale && !unknown) || now - this.#failedAt < RETRY_MS) return;
    try {
      this.#engine = await listEngineContainers(socket);
      // Podman's pods by its own API: only when the kernel shows a container in one (Docker has no such call).
      if (kernel.some((c) => c.libpodPod)) this.#libpodPods = await listLibpodPods(socket);
      this.#askedAt = now;
      this.#askedFor = new Set(kernel.map((c) => c.id));
      this.#problem = undefined;
    } catch (err) {
      this.#failedAt = now;
      const message = (err as Error).message;
      if (message !== this.#problem) this.options.onProblem?.(message);
      this.#problem = message;
    }
  }
}
