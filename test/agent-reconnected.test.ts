import { expect, it } from 'vitest';
import type { FleetEvent } from '../src/protocol/index.js';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { waitUntil } from './helpers.js';
import { describeInModes } from './modes.js';

/*
 * A host's timeline says when it joined the fleet and when it came back: its first connection ever
 * is `agent_joined`, every later one `agent_reconnected` (issue 12: every reconnect used to add
 * another agent_joined, so "which hosts joined today" counted restarts).
 */

await describeInModes('an agent killed and started again', 'test/agent-reconnected.test.ts', (mode) => {
  it('records agent_joined once, then agent_reconnected for each return', async () => {
    const lab = await startLab(mode.lab({ hosts: 1 }));
    try {
      const host = lab.hosts[0]!;
      await waitUntil('agent_joined stored', async () => (await connects(lab, host.name)).length === 1);

      await restartAgent(lab, host);
      await waitUntil('the second connect stored', async () => (await connects(lab, host.name)).length === 2, 60_000);
      expect((await connects(lab, host.name)).map((e) => e.type)).toEqual(['agent_joined', 'agent_reconnected']);

      if (mode.name === 'embedded') {
        // A new control-plane process knows the host only from the store: still a reconnect.
        await lab.restartServer();
        await lab.waitConnected();
        await waitUntil('the third connect stored', async () => (await connects(lab, host.name)).length === 3, 60_000);
        expect((await connects(lab, host.name)).map((e) => e.type)).toEqual(['agent_joined', 'agent_reconnected', 'agent_reconnected']);
      }
      const [, back] = await connects(lab, host.name);
      expect(back).toMatchObject({ host: host.name, principal: `agent:${host.name}`, message: `agent ${host.name} reconnected` });
    } finally {
      await lab.stop();
    }
  }, 180_000);
});

/** The host's agent_joined and agent_reconnected events, oldest first. */
async function connects(lab: Lab, host: string): Promise<FleetEvent[]> {
  const events = await lab.api<FleetEvent[]>('/api/v1/events?limit=200');
  return events.filter((e) => e.host === host && (e.type === 'agent_joined' || e.type === 'agent_reconnected')).sort((a, b) => a.time - b.time);
}

/** Kills the host's agent outright (no goodbye) and starts it again with the same data. */
async function restartAgent(lab: Lab, host: Lab['hosts'][number]): Promise<void> {
  const exited = new Promise((resolve) => host.process.once('exit', resolve));
  host.process.kill('SIGKILL');
  await exited;
  lab.startAgent(host);
  await lab.waitConnected([host.name], 60_000);
}
