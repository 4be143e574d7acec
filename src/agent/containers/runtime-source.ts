import type { KernelContainer } from './discovery.js';
import type { ContainerMetadata } from './engine-api.js';
import { ENGINE_LIMITS, engineRestartCount, listEngineContainers } from './engine-api.js';

/** Asks a runtime at `socket` about the containers the kernel shows (or about their pods): answers by id. */
export type AskRuntime<T = ContainerMetadata> = (socket: string, kernel: readonly KernelContainer[]) => Promise<Map<string, T>>;

export interface RuntimeSourceOptions {
  /** Ask again at least this often, for renames and state changes. */
  readonly refreshMs: number;
  /** Told when asking fails, once per distinct problem. */
  readonly onProblem?: ((message: string) => void) | undefined;
}

/**
 * After a failed request, the runtime is asked again no sooner than this, doubled after each
 * further failure up to {@link MAX_RETRY_MS}: a socket that will not answer (Docker's containerd,
 * whose CRI plugin is off) is not asked every few seconds for ever.
 */
const RETRY_MS = 5000;
const MAX_RETRY_MS = 5 * 60_000;

/** A container's incarnation: a restarted container keeps its id (Docker, podman) but has a new init process. */
const incarnation = (k: KernelContainer) => `${k.id}/${k.initPid}`;

/**
 * One runtime's answers about containers (its Docker Engine API or its CRI), kept between passes:
 * asked again only when a container appears or restarts that it has not been asked about, or its
 * answer is older than {@link RuntimeSourceOptions.refreshMs}; after failures, not before a delay
 * that grows from {@link RETRY_MS}. A failure leaves the previous answer and is reported once per
 * distinct message.
 *
 * @example
 * const source = new RuntimeSource(listCri, { refreshMs: 30_000 });
 * await source.refresh('/run/containerd/containerd.sock', kernel, Date.now());
 * const meta = source.get(id);
 */
export class RuntimeSource<T = ContainerMetadata> {
  #answer = new Map<string, T>();
  #askedAt = -Infinity;
  /** The incarnations running when it was last asked: one it did not describe is not asked about again until the refresh. */
  #askedFor = new Set<string>();
  /** Kernel views found in {@link #askedFor}: the discovery hands out one object while a container is unchanged, so most are not looked up again. */
  #askedForKernel = new WeakSet<KernelContainer>();
  #retryAt = -Infinity;
  #failures = 0;
  #problem: string | undefined;

  constructor(
    private readonly ask: AskRuntime<T>,
    private readonly options: RuntimeSourceOptions,
  ) {}

  /** What the runtime said of this container (or pod) when last asked. */
  get(id: string): T | undefined {
    return this.#answer.get(id);
  }

  /** Whether the runtime was asked while this incarnation ran. */
  #asked(c: KernelContainer): boolean {
    if (this.#askedForKernel.has(c)) return true;
    if (!this.#askedFor.has(incarnation(c))) return false;
    this.#askedForKernel.add(c);
    return true;
  }

  async refresh(socket: string, kernel: readonly KernelContainer[], now: number): Promise<void> {
    const stale = now - this.#askedAt >= this.options.refreshMs;
    const unknown = kernel.some((c) => !this.#asked(c));
    if ((!stale && !unknown) || now < this.#retryAt) return;
    try {
      this.#answer = await this.ask(socket, kernel);
      this.#askedAt = now;
      this.#askedFor = new Set(kernel.map(incarnation));
      this.#askedForKernel = new WeakSet();
      this.#problem = undefined;
      this.#failures = 0;
    } catch (err) {
      this.#retryAt = now + Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** this.#failures++);
      const message = (err as Error).message;
      if (message !== this.#problem) this.options.onProblem?.(message);
      this.#problem = message;
    }
  }
}

/**
 * Container inspections per refresh at most (one request each), all within one request's time
 * ({@link ENGINE_LIMITS}.timeoutMs): a runtime slow to inspect holds a collection no longer than a
 * slow list would. The rest wait for the next refresh.
 */
const MAX_INSPECTS = 64;

/**
 * Asks a Docker Engine API: its list, and each running incarnation's restart count once (the list
 * does not carry it; an inspection per container does). A failed inspection is tried again at the
 * next refresh.
 */
export function engineAsker(): AskRuntime {
  const restarts = new Map<string, number | undefined>();
  return async (socket, kernel) => {
    const listed = await listEngineContainers(socket);
    const deadline = performance.now() + ENGINE_LIMITS.timeoutMs;
    const live = new Set(kernel.map(incarnation));
    for (const key of restarts.keys()) if (!live.has(key)) restarts.delete(key);
    let inspected = 0;
    for (const k of kernel) {
      const key = incarnation(k);
      const left = deadline - performance.now();
      if (!listed.has(k.id) || restarts.has(key) || inspected >= MAX_INSPECTS || left < 1) continue;
      inspected++;
      try {
        restarts.set(key, await engineRestartCount(socket, k.id, left));
      } catch {
        // Gone meanwhile, or the runtime is struggling: the list's metadata still serves.
      }
    }
    for (const k of kernel) {
      const meta = listed.get(k.id);
      if (meta) listed.set(k.id, { ...meta, restartCount: restarts.get(incarnation(k)) });
    }
    return listed;
  };
}
