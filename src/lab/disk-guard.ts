import { BreakwaterError } from '../protocol/index.js';

/** `f_type` of a tmpfs in statfs(2) (TMPFS_MAGIC). */
export const TMPFS_MAGIC = 0x01021994;

/** What the lab knows about a host's `/data` before it fills it. */
export interface DataDirState {
  readonly host: string;
  readonly dataDir: string;
  /** The lab mounted a tmpfs on `dataDir` itself (as root, `tmpfs` not turned off). */
  readonly mountedByLab: boolean;
  /** `statfs(dataDir).type`: still a tmpfs now (not unmounted behind the lab's back). */
  readonly fsType: number;
}

/**
 * Refuses to fill a host's `/data` unless it is a tmpfs the lab mounted: without
 * one, `/data` is a plain directory on the machine's own disk, and filling it to
 * 95 % would fill the real filesystem (and everything else on it) instead of a
 * simulated host's. Pure, so the rule is tested without mounting anything.
 */
export function refuseRealDiskFill(state: DataDirState): void {
  if (state.mountedByLab && state.fsType === TMPFS_MAGIC) return;
  const why = state.mountedByLab
    ? `${state.dataDir} is no longer a tmpfs (filesystem type 0x${state.fsType.toString(16)})`
    : `the lab did not mount a tmpfs on ${state.dataDir} (it does so only as root, with tmpfs enabled)`;
  throw new BreakwaterError(
    'BW_ERR_LAB_REAL_DISK',
    `refusing to fill /data of ${state.host}: ${why}, so filling it would fill this machine's real disk; run the lab as root (it then gives each host its own small tmpfs) to simulate a full disk`,
    { host: state.host, dataDir: state.dataDir },
  );
}
