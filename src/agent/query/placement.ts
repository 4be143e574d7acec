import type { ContainerTarget } from '../exec/types.js';
import type { AgentResource } from './resources.js';

/** Where a command on a resource runs: on the host, inside a container, or nowhere (why). */
export type Placement = { readonly container?: ContainerTarget } | { readonly error: string };

/**
 * A pod's infrastructure ("pause") container, which holds its namespaces and runs nothing of
 * the workload: the kubelet's `POD` (Docker), the CRI runtimes' sandbox labels, podman's `-infra`.
 */
export function isSandbox(c: AgentResource): boolean {
  return (
    c.attrs.name === 'POD' ||
    /(^|\/)pause(:|$)|podman-pause/.test(String(c.attrs.image ?? '')) ||
    c.tags.io_cri_containerd_kind === 'sandbox' ||
    c.tags.io_kubernetes_cri_o_ContainerType === 'sandbox' ||
    String(c.attrs.name ?? '').endsWith('-infra')
  );
}

/**
 * The container a command on a pod runs in: its main container, the first by name that is not
 * its sandbox. A named one is chosen with the language: `pod | … | container name = "app" | …`.
 */
export function mainContainer(pod: AgentResource, containers: readonly AgentResource[]): AgentResource | undefined {
  return containers
    .filter((c) => c.podId === pod.ref.id && !isSandbox(c))
    .sort((a, b) => String(a.attrs.name).localeCompare(String(b.attrs.name)))[0];
}

function target(c: AgentResource): ContainerTarget {
  return { id: String(c.attrs.id), initPid: Number(c.attrs.init_pid) };
}

/** Where a command (or an `ok`/`number` check) on `r` runs. */
export function placement(r: AgentResource, containers: readonly AgentResource[]): Placement {
  switch (r.ref.type) {
    case 'host':
    case 'process':
      return {};
    case 'container':
      return { container: target(r) };
    case 'pod': {
      const main = mainContainer(r, containers);
      return main ? { container: target(main) } : { error: `pod ${r.ref.id} has no running container but its sandbox: the command did not run` };
    }
    default:
      return { error: `commands cannot run on a ${r.ref.type}, and running it on the host instead would mislead: it did not run on ${r.ref.id}` };
  }
}
