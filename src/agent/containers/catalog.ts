import { existsSync } from 'node:fs';
import { DEFAULT_CRI_SOCKETS, listCriContainers } from './cri-api.js';
import type { ContainerMetadata } from './engine-api.js';
import type { ProcListing } from '../metrics/types.js';
import type { KernelContainer } from './discovery.js';
import { ContainerDiscovery } from './discovery.js';
import { OCI_STATE_DIRS, readOciState } from './oci-state.js';
import type { LibpodPod } from './libpod-pods.js';
import { listLibpodPods } from './libpod-pods.js';
import { RuntimeSource, engineAsker } from './runtime-source.js';

/** A running container: what the kernel shows, and what its runtime (or OCI state file) adds. */
export interface ContainerInfo extends KernelContainer, ContainerMetadata {
  /** Where its name, image and labels came from: the Docker Engine API, the CRI, runc's state file, or nothing but the kernel. */
  readonly metadataFrom: 'engine' | 'cri' | 'oci' | 'kernel';
  /** The podman pod it is in (its cgroup says which): named by podman's API, or by its short id when that did not answer. */
  readonly podmanPod?: LibpodPod & { readonly id: string };
}

/** Where Docker and podman (as root) listen by default; the first that exists is asked. */
export const DEFAULT_ENGINE_SOCKETS: readonly string[] = ['/run/docker.sock', '/var/run/docker.sock', '/run/podman/podman.sock'];

export interface ContainerCatalogOptions {
  readonly procRoot?: string;
  /** The Docker Engine API socket; default: the first of {@link DEFAULT_ENGINE_SOCKETS} that exists. */
  readonly socket?: string;
  /** The CRI socket (containerd, CRI-O); default: the first of {@link DEFAULT_CRI_SOCKETS} that exists. */
  readonly criSocket?: string;
  readonly ociStateDirs?: readonly string[];
  /** Ask the runtime again at least this often, for renames and state changes (default 30 s). */
  readonly refreshMs?: number;
  /** Told when asking the runtime fails, once per distinct problem (a missing socket is not one). */
  readonly onProblem?: (message: string) => void;
  now?(): number;
}

/**
 * The containers of this host, each pass: discovery from the kernel every time (cheap, see
 * {@link ContainerDiscovery}), metadata from the runtimes (the Docker Engine API, then the CRI)
 * only when a container they have not described appears or restarts, or
 * {@link ContainerCatalogOptions.refreshMs} has passed, and from runc's state file for a container
 * no runtime knows (or with no runtime socket).
 *
 * @example
 * const catalog = new ContainerCatalog({ socket: '/run/podman/podman.sock' });
 * const containers = await catalog.list();
 */
export class ContainerCatalog {
  readonly #discovery: ContainerDiscovery;
  readonly #sources: readonly { readonly from: 'engine' | 'cri'; readonly socket: () => string | undefined; readonly source: RuntimeSource }[];
  /** Podman's pods, by podman's own API on the engine socket: asked only while the kernel shows a container in one (Docker has no such call). */
  readonly #libpodPods: RuntimeSource<LibpodPod>;
  /** OCI state read once per container id (it does not change while the container runs). */
  readonly #oci = new Map<string, ContainerMetadata | undefined>();
  /** Last pass's answer by id, with what it was made of: made again only when one of those changed. */
  readonly #last = new Map<string, { kernel: KernelContainer; meta: ContainerMetadata | undefined; pod: LibpodPod | undefined; info: ContainerInfo }>();

  constructor(private readonly options: ContainerCatalogOptions = {}) {
    this.#discovery = new ContainerDiscovery(options.procRoot);
    const sourceOptions = { refreshMs: options.refreshMs ?? 30_000, onProblem: options.onProblem };
    const found = (given: string | undefined, defaults: readonly string[]) => () => given ?? defaults.find((s) => existsSync(s));
    this.#sources = [
      { from: 'engine', socket: found(options.socket, DEFAULT_ENGINE_SOCKETS), source: new RuntimeSource(engineAsker(), sourceOptions) },
      { from: 'cri', socket: found(options.criSocket, DEFAULT_CRI_SOCKETS), source: new RuntimeSource((socket) => listCriContainers(socket), sourceOptions) },
    ];
    this.#libpodPods = new RuntimeSource<LibpodPod>((socket, kernel) => (kernel.some((c) => c.libpodPod) ? listLibpodPods(socket) : Promise.resolve(new Map())), sourceOptions);
  }

  /**
   * The running containers now. Never rejects: a runtime that does not answer leaves the kernel's
   * view. A container that has not changed since the previous pass (its processes, its runtime's
   * answer) is the previous pass's object: the agent keeps what it made of it by identity.
   * `listing`: this pass's listing of procfs, when the caller has one (see {@link ContainerDiscovery.scan}).
   */
  async list(listing?: ProcListing): Promise<ContainerInfo[]> {
    const kernel = this.#discovery.scan(listing);
    const now = this.options.now?.() ?? Date.now();
    const engineSocket = this.#sources[0]?.socket();
    await Promise.all([
      ...this.#sources.map(({ socket, source }) => {
        const path = socket();
        return path === undefined ? undefined : source.refresh(path, kernel, now);
      }),
      engineSocket === undefined ? undefined : this.#libpodPods.refresh(engineSocket, kernel, now),
    ]);
    const live = new Set(kernel.map((c) => c.id));
    for (const id of this.#oci.keys()) if (!live.has(id)) this.#oci.delete(id);
    for (const id of this.#last.keys()) if (!live.has(id)) this.#last.delete(id);
    return kernel.map((k) => this.#info(k));
  }

  /** A container's answer: last pass's when its kernel view, its metadata and its podman pod's are the same objects. */
  #info(k: KernelContainer): ContainerInfo {
    let from: ContainerInfo['metadataFrom'] = 'kernel';
    let meta: ContainerMetadata | undefined;
    for (const source of this.#sources) {
      meta = source.source.get(k.id);
      if (meta) {
        from = source.from;
        break;
      }
    }
    if (!meta) {
      if (!this.#oci.has(k.id)) this.#oci.set(k.id, readOciState(k.id, this.options.ociStateDirs ?? OCI_STATE_DIRS));
      meta = this.#oci.get(k.id);
      if (meta) from = 'oci';
    }
    const pod = k.libpodPod === undefined ? undefined : this.#libpodPods.get(k.libpodPod);
    const last = this.#last.get(k.id);
    if (last && last.kernel === k && last.meta === meta && last.pod === pod) return last.info;
    const info: ContainerInfo = {
      ...k,
      ...(meta ?? { name: '', image: '', state: 'running', created: undefined, labels: {} }),
      metadataFrom: from,
      // A podman pod as its API last described it, or by its short id.
      ...(k.libpodPod ? { podmanPod: { id: k.libpodPod, ...(pod ?? { name: k.libpodPod.slice(0, 12), namespace: '', labels: {}, infraId: '' }) } } : {}),
    };
    this.#last.set(k.id, { kernel: k, meta, pod, info });
    return info;
  }
}
