import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabHost, LabOptions } from './lab.js';

const ROLES = ['web', 'web', 'db', 'cache'];
const ZONES = ['a', 'b', 'c'];
const APP_PORT_BASE = 18080;

/** What making a host's folders needs of its lab. */
export interface HostFolders {
  readonly dir: string;
  readonly options: Pick<LabOptions, 'tmpfsSize' | 'appPortBase' | 'tags'>;
  /** Each host's /data a tmpfs of its own (as root, unless the lab said otherwise). */
  readonly useTmpfs: boolean;
  readonly root: boolean;
  /** The lab's mounts, unmounted when it stops: each mount made here is added. */
  readonly mounted: string[];
}

/** A host added after the start: a read-only /var/tmp, tags of its own. */
export interface HostExtra {
  readonly readOnly?: boolean;
  readonly tags?: Record<string, string>;
}

/**
 * The `i`th host's name (its role and number), tags and folders under `<lab>/hosts/<name>`: its
 * root, `data` (a tmpfs as root, so disk metrics differ per host), `var/tmp` and `run`. Its
 * processes are started by the lab.
 * @example const host = await makeLabHost(0, folders); // web-1, /data on its own tmpfs
 */
export async function makeLabHost(i: number, lab: HostFolders, extra: HostExtra = {}): Promise<LabHost> {
  const role = ROLES[i % ROLES.length] as string;
  const name = `${role}-${i + 1}`;
  const hostDir = join(lab.dir, 'hosts', name);
  const dataDir = join(hostDir, 'data');
  await mkdir(join(dataDir), { recursive: true });
  await mkdir(join(hostDir, 'var', 'tmp'), { recursive: true });
  await mkdir(join(hostDir, 'run'), { recursive: true });
  if (lab.useTmpfs) {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${lab.options.tmpfsSize ?? '64m'}`, 'tmpfs', dataDir]);
    lab.mounted.push(dataDir);
  }
  await mkdir(join(dataDir, 'logs'), { recursive: true });
  if (extra.readOnly) {
    const varTmp = join(hostDir, 'var', 'tmp');
    if (lab.root) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', varTmp]);
      lab.mounted.push(varTmp);
    } else await chmod(varTmp, 0o555);
  }
  const port = (lab.options.appPortBase ?? APP_PORT_BASE) + i;
  const tags = { role, zone: ZONES[i % ZONES.length] as string, env: 'lab', port: String(port), ...lab.options.tags?.(i), ...extra.tags };
  return { name, dir: hostDir, dataDir, tags, port, process: undefined as unknown as ChildProcess, app: undefined };
}
