import { FakeClock } from './fleet/fake-clock.test-support.js';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from './auth.js';
import { resolveServerConfig } from './config.js';
import type { Store } from './store/index.js';
import type { ControlPlane } from './wire.js';
import { wireControlPlane } from './wire.js';
import { tempStore } from '../../test/remediation-fakes.js';

const ADMIN: Principal = { id: 'tok-admin', name: 'admin', role: 'admin' };
const PING = { path: 'ping.yaml', text: 'kind: action\nname: db_ping\ncommand: echo ping\n' };

let store: Store;
let dir: string;
let dispose: () => Promise<void>;
const planes: ControlPlane[] = [];

/** Wires a control plane over the test's store, as startServer does. */
async function wire(): Promise<ControlPlane> {
  const plane = await wireControlPlane({ config: resolveServerConfig({ dataDir: dir, port: 0 }), store, logger: pino({ level: 'silent' }), clock: new FakeClock(1_700_000_000_000) });
  planes.push(plane);
  return plane;
}

beforeEach(async () => {
  ({ store, dir, dispose } = await tempStore());
});
afterEach(async () => {
  for (const p of planes.splice(0)) p.stop();
  await dispose();
});

describe('wireControlPlane', () => {
  it('an apply is in force for statements, and a control plane wired again later starts with it', async () => {
    const first = await wire();
    await first.remediation.apply([PING], 0, ADMIN);
    expect(first.statements().policy.action('db_ping')).toMatchObject({ command: 'echo ping' });

    const restarted = await wire();
    expect(restarted.remediation.definitions().version).toBe(1);
    expect(restarted.statements().catalogue().actions.db_ping).toBeDefined();
    expect(restarted.statements().gateway).toBe(restarted.gateway);
  });

  it('records what it does with the injected clock, and publishes it on the bus until stopped', async () => {
    const plane = await wire();
    const published: string[] = [];
    let closed = false;
    plane.remediation.bus.subscribe((e) => published.push(`${e.type} ${e.time}`), () => (closed = true));

    await plane.remediation.apply([PING], 0, ADMIN);
    plane.stop();

    expect(published).toEqual(['definitions_applied 1700000000000']);
    expect(closed).toBe(true);
  });
});
