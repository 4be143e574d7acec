/** The container runtimes whose cgroup layouts the agent recognises. `cri`: a Kubernetes cgroupfs layout that does not name its runtime. */
export type ContainerRuntime = 'docker' | 'containerd' | 'cri-o' | 'podman' | 'cri';

/** What a process's /proc/PID/cgroup says about the container it runs in. */
export interface CgroupMembership {
  /** The container id: 64 hex digits. */
  readonly id: string;
  readonly runtime: ContainerRuntime;
  /** The container's cgroup (the path up to the segment that names it). */
  readonly cgroupPath: string;
  /** The Kubernetes pod uid, when the path has one (`pod<uid>` in cgroupfs, `-pod<uid_with_underscores>.slice` in systemd). */
  readonly podUid?: string;
  /** The podman pod id (64 hex digits), when the path has one (`libpod_parent/<id>/` in cgroupfs, `libpod_pod_<id>.slice` in systemd). */
  readonly libpodPod?: string;
}

/** /proc/PID/cgroup is a few hundred bytes; anything longer is not believed past this (untrusted text). */
export const MAX_CGROUP_FILE = 16 * 1024;
const MAX_LINES = 64;

const HEX64 = '([0-9a-f]{64})';
/** Segment patterns, most specific first. The `-conmon-` scopes hold the runtime's monitor, not the container. */
const SEGMENTS: readonly { readonly re: RegExp; readonly runtime: ContainerRuntime }[] = [
  { re: new RegExp(`^docker-${HEX64}\\.scope$`), runtime: 'docker' },
  { re: new RegExp(`^cri-containerd-${HEX64}\\.scope$`), runtime: 'containerd' },
  { re: new RegExp(`^crio-${HEX64}(?:\\.scope)?$`), runtime: 'cri-o' },
  { re: new RegExp(`^libpod-${HEX64}(?:\\.scope)?$`), runtime: 'podman' },
];
const BARE = new RegExp(`^${HEX64}$`);
/** A podman pod's cgroup: its id under libpod_parent (cgroupfs), or its slice (systemd, root or rootless). */
const LIBPOD_POD_SLICE = new RegExp(`(?:^|-)libpod_pod_${HEX64}\\.slice$`);
const POD_UID = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$/;

/**
 * The container a process belongs to, from the text of its /proc/PID/cgroup (cgroup v1 lines
 * `N:controllers:/path` and the v2 line `0::/path`), or undefined for a process of the host.
 * Never throws: the text is untrusted and bounded.
 *
 * @example
 * parseCgroup('0::/system.slice/docker-<64 hex>.scope\n'); // { id: '<64 hex>', runtime: 'docker', cgroupPath: '/system.slice/docker-<64 hex>.scope' }
 */
export function parseCgroup(text: string): CgroupMembership | undefined {
  const lines = text.slice(0, MAX_CGROUP_FILE).split('\n', MAX_LINES);
  for (const line of lines) {
    // The path is everything after the second colon (a path may itself hold colons).
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const found = parsePath(line.slice(second + 1));
    if (found) return found;
  }
  return undefined;
}

function parsePath(path: string): CgroupMembership | undefined {
  const segments = path.split('/');
  // From the deepest segment up: podman's systemd layout nests `/container` under its scope.
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i] as string;
    const runtime = SEGMENTS.find((s) => s.re.test(segment));
    const bare = runtime ? undefined : BARE.exec(segment);
    const parent = segments[i - 1] ?? '';
    const kind: ContainerRuntime | undefined = runtime?.runtime ?? (bare ? (parent === 'docker' ? 'docker' : POD_UID.test(parent) ? 'cri' : undefined) : undefined);
    if (!kind) continue;
    const id = (runtime ? runtime.re.exec(segment)?.[1] : bare?.[1]) as string;
    const podUid = POD_UID.exec(parent)?.[1]?.replaceAll('_', '-');
    const libpodPod = kind === 'podman' ? (LIBPOD_POD_SLICE.exec(parent)?.[1] ?? (segments[i - 2] === 'libpod_parent' ? BARE.exec(parent)?.[1] : undefined)) : undefined;
    return { id, runtime: kind, cgroupPath: segments.slice(0, i + 1).join('/'), ...(podUid ? { podUid } : {}), ...(libpodPod ? { libpodPod } : {}) };
  }
  return undefined;
}
