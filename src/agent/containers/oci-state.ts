import type { ContainerMetadata } from './engine-api.js';
import { boundedLabels } from './engine-api.js';
import { readBounded } from './discovery.js';

/**
 * Where OCI runtimes keep a running container's state (`<dir>/<id>/state.json`): runc for podman
 * and Docker, containerd's runc shims (Kubernetes and Docker namespaces), crun.
 */
export const OCI_STATE_DIRS: readonly string[] = ['/run/runc', '/run/containerd/runc/k8s.io', '/run/containerd/runc/moby', '/run/crun'];

/** A state file holds the container's whole config (mounts, namespaces): tens of KB; beyond this it is not read. */
export const MAX_STATE_FILE = 1024 * 1024;

/**
 * What runc's `state.json` says of a container when no runtime socket answers: when it was
 * created and its labels (the OCI annotations, `key=value`: the kubelet's `io.kubernetes.*`
 * under CRI-O and containerd). Undefined when there is no such file or it is not runc's JSON.
 */
export function readOciState(id: string, dirs: readonly string[] = OCI_STATE_DIRS): ContainerMetadata | undefined {
  for (const dir of dirs) {
    const text = readBounded(`${dir}/${id}/state.json`, MAX_STATE_FILE);
    if (text !== undefined) return parseOciState(text);
  }
  return undefined;
}

/** The body of a runc state.json (untrusted text: bounded, never throws). */
export function parseOciState(text: string): ContainerMetadata | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const state = parsed as { created?: unknown; config?: { labels?: unknown } };
  const created = typeof state.created === 'string' ? Date.parse(state.created) / 1000 : NaN;
  const pairs = Array.isArray(state.config?.labels) ? state.config.labels : [];
  const labels: [string, string][] = [];
  for (const pair of pairs as unknown[]) {
    if (typeof pair !== 'string') continue;
    const eq = pair.indexOf('=');
    // `bundle=` is runc's own, not the container's.
    if (eq > 0 && pair.slice(0, eq) !== 'bundle') labels.push([pair.slice(0, eq), pair.slice(eq + 1)]);
  }
  return { name: '', image: '', state: 'running', created: Number.isFinite(created) ? Math.floor(created) : undefined, labels: boundedLabels(Object.fromEntries(labels)) };
}
