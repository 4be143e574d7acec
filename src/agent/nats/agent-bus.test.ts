import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentBusConfig } from '../config.js';
import { NATS_CREDS_FILE, natsConnectionOptions } from './agent-bus.js';

const bus = (over: Partial<AgentBusConfig> = {}): AgentBusConfig => ({ servers: ['nats://127.0.0.1:4222'], creds: undefined, prefix: 'bw', ca: undefined, ...over });

describe('natsConnectionOptions: which NATS credentials and CA the agent uses', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bw-agent-bus-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('none on an open NATS: no creds given and none left by enrollment', async () => {
    expect(await natsConnectionOptions(bus(), dir)).toEqual({});
  });

  it('the creds enrollment left in the data directory, else the file given; the CA file as TLS trust', async () => {
    writeFileSync(join(dir, NATS_CREDS_FILE), 'creds');
    expect(Object.keys(await natsConnectionOptions(bus(), dir))).toEqual(['authenticator']);
    expect(await natsConnectionOptions(bus({ ca: '/etc/bw/nats-ca.pem' }), join(dir, 'nowhere'))).toEqual({ tls: { caFile: '/etc/bw/nats-ca.pem' } });
  });

  it('a creds file given that cannot be read is a configuration error naming it', async () => {
    const missing = join(dir, 'missing.creds');
    await expect(natsConnectionOptions(bus({ creds: missing }), dir)).rejects.toMatchObject({ code: 'BW_ERR_CONFIG', message: expect.stringContaining(`cannot read the NATS credentials file ${missing}`) });
  });
});
