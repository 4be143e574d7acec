import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecretDefinition } from '../../definitions/index.js';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { InventoryHost } from '../gateway.js';
import type { Store } from '../store/index.js';
import { openSqliteStore } from '../store/index.js';
import { DefinitionDelivery } from './delivery.js';
import { SecretVault } from './vault.js';

const DEFS = `
kind: file
name: db-conf
path: /etc/db.conf
content: "password file"
query: host | role = "db"
---
kind: file
name: busy-note
path: /etc/busy
content: "x"
query: host | cpu_usage > 50
---
kind: action
name: db_ping
command: echo ping
secrets: [db-password]
---
kind: secret
name: db-password
hosts: host | role = "db"
`;

const host = (name: string, tags: Record<string, string>): InventoryHost => ({ name, agentId: name, connected: true, lastSeenAt: 0, tags, attrs: { name } });

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function setUp(): Promise<{ delivery: () => DefinitionDelivery; vault: SecretVault }> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-delivery-'));
  const store: Store = openSqliteStore(join(dir, 'breakwater.db'));
  cleanup.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await store.migrate();
  const { definitions, diagnostics } = parseDefinitions([{ path: 'd.yaml', text: DEFS }], BUILTIN_CATALOGUE);
  expect(diagnostics).toEqual([]);
  const vault = await SecretVault.open(store, dir, {}, pino({ level: 'silent' }));
  await vault.load(definitions.filter((d): d is SecretDefinition => d.kind === 'secret'));
  return { vault, delivery: () => new DefinitionDelivery(7, definitions, BUILTIN_CATALOGUE, vault) };
}

const decode = (frame: string) => JSON.parse(frame) as { type: string; version: number; definitions: { kind: string; name: string }[]; secrets: Record<string, string> };
const names = (frame: string) => decode(frame).definitions.map((d) => `${d.kind}/${d.name}`);

describe('DefinitionDelivery', () => {
  it('sends a scoped file and a secret value only to the hosts their query selects; never a secret definition', async () => {
    const { vault, delivery } = await setUp();
    await vault.set('db-password', 'pw-0123456789', 'alice');
    const d = delivery();
    const db = d.forHost(host('db-1', { role: 'db' }));
    const web = d.forHost(host('web-1', { role: 'web' }));
    expect(names(db.frame)).toEqual(['file/db-conf', 'file/busy-note', 'action/db_ping']);
    expect(decode(db.frame).secrets).toEqual({ 'db-password': 'pw-0123456789' });
    // A file whose query needs metrics goes to every agent, which decides; a file for db hosts does not.
    expect(names(web.frame)).toEqual(['file/busy-note', 'action/db_ping']);
    expect(decode(web.frame).secrets).toEqual({});
    expect(web.frame).not.toContain('pw-0123456789');
    expect(decode(web.frame)).toMatchObject({ type: 'definitions', version: 7 });
  });

  it('gives equal sets equal keys and one encoding; a changed value changes the key of the hosts in its scope only, a changed tag that of the host', async () => {
    const { vault, delivery } = await setUp();
    const d = delivery();
    const a = d.forHost(host('db-1', { role: 'db' }));
    const b = d.forHost(host('db-2', { role: 'db' }));
    expect(b.key).toBe(a.key);
    expect(b.frame).toBe(a.frame);
    expect(decode(a.frame).secrets).toEqual({});
    const web = d.forHost(host('web-1', { role: 'web' }));
    await vault.set('db-password', 'pw-0123456789', 'alice');
    const c = d.forHost(host('db-1', { role: 'db' }));
    expect(c.key).not.toBe(a.key);
    // Out of the secret's scope, nothing changed: no new message for web hosts.
    expect(d.forHost(host('web-1', { role: 'web' })).key).toBe(web.key);
    expect(decode(c.frame).secrets).toEqual({ 'db-password': 'pw-0123456789' });
    expect(d.forHost(host('db-1', { role: 'quarantined' })).key).not.toBe(c.key);
  });
});
