import { request } from 'node:http';

/** What a runtime says about a container, beyond what the kernel shows. */
export interface ContainerMetadata {
  readonly name: string;
  readonly image: string;
  readonly state: string;
  /** Seconds since the Unix epoch; undefined when not known. */
  readonly created: number | undefined;
  /** Labels as the runtime has them (a container sets its own: untrusted, bounded below). */
  readonly labels: Readonly<Record<string, string>>;
  /** Its restarts as the runtime counts them (CRI's attempt, Docker's `RestartCount`); undefined when not known. */
  readonly restartCount?: number | undefined;
}

/** Bounds on what a runtime's answer may make the agent hold (its labels are set by whoever starts a container). */
export const ENGINE_LIMITS = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxContainers: 4096,
  maxLabels: 128,
  maxLabelKey: 256,
  maxText: 1024,
  timeoutMs: 2000,
} as const;

/**
 * The running containers from the Docker Engine API (`GET /containers/json`) over its Unix socket,
 * by id: Docker's /run/docker.sock, or podman's (`podman system service --time=0 unix:///path`),
 * which serves the same API. node:http with `socketPath`, no client library; the exchange is
 * bounded in time and size. Rejects with a message that names the socket.
 *
 * @example
 * const byId = await listEngineContainers('/run/docker.sock');
 */
export function listEngineContainers(socketPath: string, timeoutMs: number = ENGINE_LIMITS.timeoutMs): Promise<Map<string, ContainerMetadata>> {
  return engineGet(socketPath, '/containers/json', parseEngineList, timeoutMs);
}

/**
 * A container's restarts as its runtime counts them (`RestartCount` of `GET /containers/{id}/json`:
 * the restarts its restart policy made), or undefined when the answer has none.
 *
 * @example
 * const restarts = await engineRestartCount('/run/docker.sock', id);
 */
export async function engineRestartCount(socketPath: string, id: string, timeoutMs: number = ENGINE_LIMITS.timeoutMs): Promise<number | undefined> {
  if (!isContainerId(id)) throw new Error(`not a container id: ${JSON.stringify(id.slice(0, 80))}`);
  return engineGet(socketPath, `/containers/${id}/json`, parseRestartCount, timeoutMs);
}

/**
 * `GET path` over the runtime's Unix socket, its body given to `parse`: bounded in time and size
 * ({@link ENGINE_LIMITS}); rejects with a message that names the socket (and what `parse` threw).
 */
export function engineGet<T>(socketPath: string, path: string, parse: (body: string) => T, timeoutMs: number = ENGINE_LIMITS.timeoutMs): Promise<T> {
  return new Promise((resolve, reject) => {
    // The whole exchange, not only an idle socket: a runtime dripping bytes must not hold a collection.
    const timer = setTimeout(() => {
      req.destroy();
      fail(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`container runtime at ${socketPath}: ${why}`));
    };
    const req = request({ socketPath, path, method: 'GET', headers: { host: 'localhost' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > ENGINE_LIMITS.maxBodyBytes) {
          req.destroy();
          fail(`answer larger than ${ENGINE_LIMITS.maxBodyBytes} bytes`);
        } else chunks.push(chunk);
      });
      res.on('error', (err) => fail(err.message));
      res.on('end', () => {
        clearTimeout(timer);
        if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode} for GET ${path}`);
        try {
          resolve(parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          fail((err as Error).message);
        }
      });
    });
    req.on('error', (err) => fail(err.message));
    req.end();
  });
}

/** The `RestartCount` of a container's inspection (`GET /containers/{id}/json`); throws only when the body is not a JSON object. */
export function parseRestartCount(body: string): number | undefined {
  const inspected = parseJson(body);
  if (typeof inspected !== 'object' || inspected === null || Array.isArray(inspected)) throw new Error('answer is not a container');
  const count = (inspected as { RestartCount?: unknown }).RestartCount;
  return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : undefined;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new Error('answer is not JSON');
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
/** Docker's, podman's, containerd's and CRI-O's container ids alike: 64 hex digits. */
export const isContainerId = (id: string): boolean => HEX64.test(id);
const text = (v: unknown, max: number = ENGINE_LIMITS.maxText): string => (typeof v === 'string' ? v.slice(0, max) : '');

/**
 * The body of `GET /containers/json`, by container id. Entries without a 64-hex-digit `Id` are
 * skipped; strings and label sets are cut to {@link ENGINE_LIMITS}. Throws only when the body is
 * not a JSON array.
 */
export function parseEngineList(body: string): Map<string, ContainerMetadata> {
  const out = new Map<string, ContainerMetadata>();
  for (const item of jsonList(body, 'containers')) {
    if (typeof item !== 'object' || item === null) continue;
    const c = item as Record<string, unknown>;
    if (typeof c.Id !== 'string' || !HEX64.test(c.Id)) continue;
    const names = Array.isArray(c.Names) ? c.Names : [];
    out.set(c.Id, {
      name: text(names[0], 253).replace(/^\//, ''),
      image: text(c.Image),
      state: text(c.State, 32),
      created: typeof c.Created === 'number' && Number.isFinite(c.Created) && c.Created > 0 ? c.Created : undefined,
      labels: boundedLabels(c.Labels),
    });
  }
  return out;
}

/** A runtime's answer that must be a JSON list, its first {@link ENGINE_LIMITS.maxContainers} items; throws a message saying what it is not. */
export function jsonList(body: string, of: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('answer is not JSON');
  }
  if (!Array.isArray(parsed)) throw new Error(`answer is not a list of ${of}`);
  return parsed.slice(0, ENGINE_LIMITS.maxContainers) as unknown[];
}

/** A label set cut to {@link ENGINE_LIMITS}: string values only, keys and values bounded. */
export function boundedLabels(raw: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return labels;
  let n = 0;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (n >= ENGINE_LIMITS.maxLabels) break;
    if (typeof v !== 'string' || k.length === 0 || k.length > ENGINE_LIMITS.maxLabelKey || k === '__proto__') continue;
    labels[k] = v.slice(0, ENGINE_LIMITS.maxText);
    n++;
  }
  return labels;
}
