import { readdirSync, readlinkSync } from 'node:fs';
import { readBounded } from './discovery.js';

/*
 * An agent in a private cgroup namespace (a Kubernetes pod on cgroup v2, by default) reads every
 * other process's /proc/PID/cgroup relative to its own namespace's root: `0::/../../kubepods.slice/…`
 * climbs out of the agent's own cgroup. The host's tree mounted at /host/sys/fs/cgroup starts at the
 * real root, so such a path only means something once the root of the agent's namespace is known
 * there: the directory whose cgroup.procs lists the agent itself.
 */

/** Bounds on the one search for the agent's own cgroup: a node has hundreds of cgroups, not this many. */
export const NS_SEARCH = { maxDirs: 20_000, maxDepth: 12, maxProcsFile: 1024 * 1024 } as const;

/** Whether a cgroup path was read from inside another cgroup namespace (it climbs with `..`). */
export const isNamespaceRelative = (path: string): boolean => path === '/..' || path.startsWith('/../');

/**
 * A path as a process in a cgroup namespace read it, as a path of the whole tree, given where the
 * namespace's root is in that tree. Undefined when it climbs above the tree's root.
 *
 * @example
 * // The agent in /kubepods.slice/kubepods-besteffort.slice/podA.slice/cri-containerd-cd.scope:
 * resolveCgroupPath('/../../../kubepods-burstable.slice/podB.slice/cri-containerd-ab.scope', '/kubepods.slice/kubepods-besteffort.slice/podA.slice/cri-containerd-cd.scope');
 * // '/kubepods.slice/kubepods-burstable.slice/podB.slice/cri-containerd-ab.scope'
 */
export function resolveCgroupPath(path: string, nsRoot: string): string | undefined {
  const out: string[] = [];
  for (const segment of `${nsRoot}/${path}`.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') out.push(segment);
    else if (out.pop() === undefined) return undefined;
  }
  return `/${out.join('/')}`;
}

/**
 * Where in the cgroup tree mounted at `hierarchy` the process `pid` is: the directory whose
 * cgroup.procs lists it, searched breadth first (shallow cgroups first), bounded by
 * {@link NS_SEARCH}. Undefined when it is not found.
 */
export function findOwnCgroup(hierarchy: string, pid: number): string | undefined {
  const wanted = String(pid);
  let level = [''];
  let seen = 0;
  for (let depth = 0; depth <= NS_SEARCH.maxDepth && level.length; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      if (++seen > NS_SEARCH.maxDirs) return undefined;
      const procs = readBounded(`${hierarchy}${dir}/cgroup.procs`, NS_SEARCH.maxProcsFile);
      if (procs?.split('\n').includes(wanted)) return dir || '/';
      for (const name of subdirectories(`${hierarchy}${dir}`)) next.push(`${dir}/${name}`);
    }
    level = next;
  }
  return undefined;
}

function subdirectories(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** The pid `procRoot/self` names: the agent's own, as the process table at `procRoot` numbers it. */
export function ownPid(procRoot: string): number | undefined {
  try {
    const pid = Number(readlinkSync(`${procRoot}/self`));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
