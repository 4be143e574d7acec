import fs from 'node:fs';
import os from 'node:os';

import type { HostFacts } from './types.js';

/**
 * The host's static facts: name, machine id, distribution, kernel, architecture, first IPv4
 * address. Read at start and on demand, never in the per-second pass.
 * @example const facts = await readHostFacts('/etc'); // { hostname: 'web-1', distro: 'debian 12', ... }
 */
export async function readHostFacts(etcRoot: string): Promise<HostFacts> {
  const hostname = os.hostname();
  const machineId = ((await readOptional(`${etcRoot}/machine-id`)) ?? (await readOptional('/var/lib/dbus/machine-id')) ?? '').trim() || hostname;
  const osRelease = (await readOptional(`${etcRoot}/os-release`)) ?? (await readOptional('/usr/lib/os-release')) ?? '';
  return {
    hostname,
    machineId,
    os: 'linux',
    distro: distroOf(osRelease),
    arch: process.arch,
    kernel: os.release(),
    ip: primaryIPv4(),
  };
}

async function readOptional(p: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** `ID VERSION_ID` from os-release text (`debian 12`); `ID` alone for rolling releases. */
export function distroOf(osRelease: string): string {
  const fields = new Map<string, string>();
  for (const line of osRelease.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let v = line.slice(eq + 1).trim();
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) v = v.slice(1, -1);
    fields.set(line.slice(0, eq).trim(), v);
  }
  const id = fields.get('ID') ?? 'linux';
  const version = fields.get('VERSION_ID');
  return version ? `${id} ${version}` : id;
}

function primaryIPv4(): string {
  const ifaces = os.networkInterfaces();
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
