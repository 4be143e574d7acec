import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.js';
import { cli, events, labWithDefinitions, query, waitFor } from '../scenarios/scenario-helpers.js';

/*
 * An action's `allowed` rule on real agents (a lab of two agent processes on loopback, built
 * first): the agent refuses to run it, for a bot or for a person, on a host its `where` does not
 * select; and the CLI's `apply` names the role the whole operation needs at the first refusal.
 */

const DEFS = `
kind: action
name: mark_host
description: Leaves a mark in the host's folder.
command: touch "$HOST_ROOT/marked"
timeout: 10s
allowed:
  where: host | name = "web-2"
  roles: [operator]
  principals: ["bot:mark-on-page"]
---
kind: bot
name: mark-on-page
trigger:
  external: page
action: mark_host
cooldown: 0s
`;

let lab: Lab;
let dir: string;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ lab, dir, stop } = await labWithDefinitions({ hosts: 2, tags: () => ({ role: 'web' }) }, { 'mark.yaml': DEFS }));
}, 90_000);

afterAll(async () => {
  await stop?.();
});

const host = (name: string) => lab.hosts.find((h) => h.name === name) as Lab['hosts'][number];

describe('the agent keeps an action where its `allowed` statement says', () => {
  it('a bot on a host the statement does not select is refused with an event naming the action and the rule; on a selected host it runs', async () => {
    const since = Date.now() - 1000;
    await lab.api('/api/v1/alerts', { alert: 'page', hosts: ['web-1', 'web-2'] });
    const skipped = await waitFor('web-1 refuses the bot', async () => (await events(lab, { type: 'bot_skipped', host: 'web-1', since }))[0]);
    expect(skipped.message).toBe('bot mark-on-page did not run on web-1: action `mark_host` may run only on `host | name = "web-2"` (its `allowed` rule), which does not select web-1; it did not run there');
    await waitFor('web-2 runs the bot', async () => (await events(lab, { type: 'bot_ran', host: 'web-2', since }))[0]);
    expect(existsSync(join(host('web-2').dir, 'marked'))).toBe(true);
    expect(existsSync(join(host('web-1').dir, 'marked'))).toBe(false);
  });

  it('a person\'s run of the action fails on the host outside its statement, with the reason on that host\'s row', async () => {
    const rows = await query(lab, 'host | mark_host()');
    const byHost = Object.fromEntries(rows.map((r) => [r.resource?.host, r]));
    expect(byHost['web-1']).toMatchObject({ status: 'error', error: 'action `mark_host` may run only on `host | name = "web-2"` (its `allowed` rule), which does not select web-1; it did not run there' });
    expect(byHost['web-2']).toMatchObject({ status: 'ok', values: { exit_code: 0 } });
    expect(existsSync(join(host('web-1').dir, 'marked'))).toBe(false);
  });
});

describe('`breakwater apply` as a role that may not apply', () => {
  it('a viewer is told at once that apply needs admin (not that planning needs operator), and the refusal is audited', async () => {
    const viewer = await lab.api<{ token: string }>('/api/v1/tokens', { role: 'viewer', name: 'val' });
    const r = await cli(lab, ['apply', '-f', dir, '--yes'], { token: viewer.token });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('apply needs the admin role; token `val` has viewer');
    expect(r.stderr).not.toContain('operator');
    const audit = await lab.api<{ principal: string; action: string; outcome: string }[]>('/api/v1/audit?principal=val');
    expect(audit[0]).toMatchObject({ principal: 'val', action: 'definitions.apply', outcome: 'denied' });
  });
});
