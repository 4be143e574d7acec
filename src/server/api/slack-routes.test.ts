import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp } from '../../../test/inject-app.js';
import type { SlackReceiver } from '../../../test/slack-receiver.js';
import { slackReceiver } from '../../../test/slack-receiver.js';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { Approval } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import type { FakeHost } from '../fleet/fake-fleet.test-support.js';
import { hostRow } from '../fleet/fake-fleet.test-support.js';
import { fakeStatementContext } from '../query/statements.test-support.js';
import { slackSign } from '../integrations/index.js';
import type { SecretVault } from '../secrets/index.js';
import { slackRoutes } from './slack-routes.js';

/*
 * Slack's two routes through the real app (inject), a real SQLite store, definitions from YAML
 * through the real parser, statements run by the real runStatement against a fleet held in memory
 * (on a fake clock); response_url answers go to a real loopback receiver. Approval decisions are
 * remediation's (its own tests): here a recorder behind the `decide` method.
 */

closeAppsAfterEach();
const receivers: SlackReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

const SIGNING = 'slack-signing-secret-0123456789';
/** The definitions, with answers let through to the test's receiver (`origin`) as well as, for open-chat, Slack's. */
const DEFS = (origin: string) => `
kind: secret
name: slack-signing
---
kind: secret
name: slack-hook
---
kind: integration
name: ops-chat
type: slack
webhook_url: { secret: slack-hook }
signing_secret: { secret: slack-signing }
users:
  U0ALICE: { principal: alice, role: admin }
  U0OLGA: { principal: olga, role: operator }
  U0VERA: { principal: vera, role: viewer }
response_origins: ["${origin}"]
---
kind: integration
name: open-chat
type: slack
webhook_url: { secret: slack-hook }
signing_secret: { secret: slack-signing }
unmapped: viewer
response_origins: [https://hooks.slack.com, "${origin}"]
---
kind: integration
name: unsigned-chat
type: slack
webhook_url: { secret: slack-hook }
`;
const T0 = 1_770_000_000_000;

async function setup(hosts: readonly FakeHost[], options: { maxTargets?: number; signing?: string } = {}) {
  const receiver = await slackReceiver();
  receivers.push(receiver);
  const r = parseDefinitions([{ path: 'slack.yaml', text: DEFS(new URL(receiver.url).origin) }], BUILTIN_CATALOGUE);
  expect(r.diagnostics).toEqual([]);
  const values: Record<string, string> = { 'slack-signing': options.signing ?? SIGNING, 'slack-hook': 'https://hooks.invalid/x' };
  const secrets = { valuesOf: (names: readonly string[]) => Object.fromEntries(names.filter((n) => n in values).map((n) => [n, values[n] as string])) } as unknown as SecretVault;
  const decided: { id: string; approve: boolean; who: string }[] = [];
  const decide = async (id: string, approve: boolean, who: Principal) => {
    decided.push({ id, approve, who: who.name });
    return approve ? { status: 'approved' as const, runId: 'run-1', failed: 0 } : { status: 'denied' as const, runId: null };
  };
  let parts: ReturnType<typeof fakeStatementContext> | undefined;
  let skew = T0 - 1_700_000_000_000;
  const t = await injectApp((store) => {
    parts = fakeStatementContext(store, hosts, options.maxTargets ?? 10);
    const fake = parts.clock;
    // The fake clock's time, moved to any moment (Slack's example is from 2018): its timers as they are.
    const clock = { now: () => fake.now() + skew, setTimeout: (fn: () => void, ms: number) => fake.setTimeout(fn, ms) };
    return slackRoutes({ ...parts.ctx, clock, remediation: { definitions: () => ({ version: 1, definitions: r.definitions }), secrets, decide }, webUrl: 'https://bw.example.com/' });
  });
  const { clock: fake, fleet } = parts as ReturnType<typeof fakeStatementContext>;
  const clock = { now: () => fake.now() + skew, set: (ms: number) => void (skew = ms - fake.now()), advance: (ms: number) => fake.advance(ms) };
  /** Posts a form body as Slack would, signed at the clock's time (or as `sign` says). */
  const post = async (integration: string, kind: 'commands' | 'interactions', body: string, sign: { secret?: string; at?: number; signature?: string } = {}) => {
    const ts = String(Math.floor((sign.at ?? clock.now()) / 1000));
    const signature = sign.signature ?? slackSign(sign.secret ?? SIGNING, Number(ts), body);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/integrations/${integration}/slack/${kind}`, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': signature }, payload: body });
    return { status: res.statusCode, text: res.body, json: res.body ? JSON.parse(res.body) : undefined };
  };
  const command = (user: string, text: string, integration = 'ops-chat', extra: Record<string, string> = {}) =>
    post(integration, 'commands', new URLSearchParams({ command: '/breakwater', text, user_id: user, channel_id: 'C0OPS', response_url: `${receiver.url}/commands/1`, ...extra }).toString());
  const click = (user: string, action: string, value: string, integration = 'ops-chat') =>
    post(integration, 'interactions', new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: user }, response_url: `${receiver.url}/actions/1`, actions: [{ action_id: action, value }] }) }).toString());
  return { t, clock, fleet, receiver, post, command, click, decided };
}

const sectionTexts = (m: { blocks: { type: string; text?: { text: string } }[] }) => m.blocks.filter((b) => b.type === 'section').map((b) => b.text?.text ?? '');
const ok = (name: string, stdout: string) => ({ name, answer: () => ({ rows: [hostRow(name, { stdout, stderr: '', exit_code: 0 })] }) });

describe('POST /api/v1/integrations/<name>/slack/commands: verification', () => {
  it("takes Slack's documented signing example, and refuses it replayed 5 minutes later or tampered (audited)", async () => {
    // Slack's example ("Verifying requests from Slack"): secret, timestamp, body and signature as documented.
    const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const example = { signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503', at: 1_531_420_618_000 };
    const s = await setup([], { signing: '8f742231b10e8888abcd99yyyzzz85a5' });
    s.clock.set(example.at + 1000);
    const good = await s.post('open-chat', 'commands', body, example);
    expect(good.status).toBe(200);
    expect(good.json.text).toMatch(/^\*\/webhook-collect run <pipeline>\*/);
    expect(good.json.text).toContain('You act as *slack:U2CERLKJA* (viewer)');

    s.clock.set(example.at + 301_000);
    const replay = await s.post('open-chat', 'commands', body, example);
    expect(replay.status).toBe(401);
    expect(replay.json).toMatchObject({ code: 'BW_ERR_UNAUTHENTICATED' });
    expect(replay.json.message).toMatch(/not a request signed by Slack for integration `open-chat`: the signature's timestamp is 301s/);

    s.clock.set(example.at);
    const tampered = await s.post('open-chat', 'commands', body.replace('text=', 'text=run+host'), example);
    expect(tampered.status).toBe(401);
    expect(tampered.json.message).toContain('does not match the body');
    // Refusals are audited through the refusal budget (the first of the minute is written in full).
    expect(await s.t.audit()).toContainEqual(expect.objectContaining({ principal: 'anonymous', outcome: 'denied', target: 'POST /api/v1/integrations/:name/slack/commands', detail: expect.objectContaining({ reason: expect.stringContaining('a replayed request') }) }));
  });

  it('refuses a missing signature, a wrong secret, an integration without a signing secret, and unknown integrations', async () => {
    const s = await setup([]);
    expect((await s.post('ops-chat', 'commands', 'user_id=U0ALICE&command=%2Fb', { signature: '' })).status).toBe(401);
    expect((await s.post('ops-chat', 'commands', 'user_id=U0ALICE&command=%2Fb', { secret: 'other' })).status).toBe(401);
    const unsigned = await s.post('unsigned-chat', 'commands', 'user_id=U0ALICE&command=%2Fb');
    expect(unsigned.status).toBe(401);
    expect(unsigned.json.message).toContain('has no signing secret with a value');
    const missing = await s.post('nope', 'commands', 'user_id=U0ALICE');
    expect(missing.status).toBe(404);
    expect(missing.json.message).toContain('the slack integrations are `ops-chat`, `open-chat`, `unsigned-chat`');
  });
});

describe('POST /api/v1/integrations/<name>/slack/commands: users and runs', () => {
  it('an unmapped user is refused where the integration refuses them, with a message and a denied audit entry', async () => {
    const s = await setup([ok('web-1', 'hi\n')]);
    const r = await s.command('U0BOB', 'run host');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ response_type: 'ephemeral' });
    expect(r.json.text).toContain('is not mapped to a Breakwater principal in integration `ops-chat`');
    expect(s.fleet.sent).toEqual([]);
    expect(await s.t.audit()).toContainEqual(expect.objectContaining({ principal: 'slack:U0BOB', action: 'slack.command', outcome: 'denied' }));
  });

  it('an unmapped user is a viewer where the integration says so: reads, but may not run commands', async () => {
    const s = await setup([ok('web-1', 'hi\n')]);
    const read = await s.command('U0BOB', 'run host', 'open-chat');
    expect(read.status).toBe(200);
    expect(read.json.text).toMatch(/^✅ `host`: 1 rows from 1 targets, 0 failed/);
    const cmd = await s.command('U0BOB', 'run host | `uptime`', 'open-chat');
    expect(cmd.json.text).toBe('✗ BW_ERR_FORBIDDEN: running shell commands needs the admin role; token `slack:U0BOB` has viewer');
    expect(await s.t.audit()).toContainEqual(expect.objectContaining({ principal: 'slack:U0BOB', action: 'run', outcome: 'denied' }));
  });

  it('a mapped admin runs a command: grouped as the CLI groups it, recorded and audited under the principal, linked to the web UI', async () => {
    const s = await setup([ok('web-1', 'up 3 days\n'), ok('web-2', 'up 3 days\n'), ok('db-1', 'up 9 days\n')]);
    const r = await s.command('U0ALICE', 'run host | `uptime`');
    expect(r.status).toBe(200);
    expect(r.json.response_type).toBe('in_channel');
    const texts = sectionTexts(r.json);
    expect(texts[0]).toMatch(/^✅ `host \| `uptime``: 3 rows from 3 targets, 0 failed/);
    expect(texts.slice(1)).toEqual(['*2 hosts* (web-1, web-2) exit 0:\n```up 3 days```', '*1 host* (db-1) exit 0:\n```up 9 days```']);
    const runs = await s.t.store.listRuns({ limit: 10 });
    expect(runs.map((x) => [x.principal, x.statement, x.status])).toEqual([['alice', 'host | `uptime`', 'succeeded']]);
    expect(JSON.stringify(r.json.blocks.at(-1))).toContain(`<https://bw.example.com/runs/${runs[0]?.id}|Open the run in Breakwater>`);
    const audit = await s.t.audit();
    expect(audit.map((a) => [a.principal, a.action])).toEqual([['alice', 'slack.command'], ['alice', 'run.start'], ['alice', 'run']]);
    expect(audit[0]?.detail).toEqual({ integration: 'ops-chat', user: 'U0ALICE', channel: 'C0OPS' });
  });

  it('past the blast-radius limit: a confirmation with a button instead of a run; the button runs it confirmed', async () => {
    const s = await setup([ok('web-1', 'x\n'), ok('web-2', 'x\n'), ok('web-3', 'x\n')], { maxTargets: 2 });
    const r = await s.command('U0ALICE', 'run host | `touch /tmp/x`');
    expect(r.json.text).toBe('This would run on 3 resources, more than the 2 allowed without confirmation; nothing ran.');
    const button = r.json.blocks[1].elements[0];
    expect(button).toMatchObject({ action_id: 'bw_confirm_run', value: 'host | `touch /tmp/x`' });
    expect(await s.t.store.listRuns({ limit: 10 })).toEqual([]);
    expect(await s.t.audit()).toContainEqual(expect.objectContaining({ action: 'run', outcome: 'denied', principal: 'alice' }));

    const c = await s.click('U0ALICE', button.action_id, button.value);
    expect(c.status).toBe(200);
    const posted = await s.receiver.nth(1);
    expect(posted.path).toBe('/actions/1');
    expect(posted.body.text).toMatch(/^✅ `host \| `touch \/tmp\/x``: 3 rows from 3 targets/);
    expect((await s.t.store.listRuns({ limit: 10 })).map((x) => x.principal)).toEqual(['alice']);
  });

  it('a run longer than Slack waits is acknowledged, and its answer posted to response_url', async () => {
    const s = await setup([{ name: 'web-1', answer: () => ({ rows: [hostRow('web-1', { load1: 0.5 })], afterMs: 10_000 }) }]);
    const pending = s.command('U0VERA', 'run host | load1');
    // The handler waits on the fake clock: Slack's budget passes before the host answers.
    while (s.fleet.sent.length === 0) await new Promise((r) => setTimeout(r, 5));
    await s.clock.advance(2600);
    const r = await pending;
    expect(r.json).toMatchObject({ response_type: 'ephemeral', text: 'Running… the answer follows here when the run ends.' });
    expect(s.receiver.seen).toEqual([]);
    await s.clock.advance(10_000);
    const posted = await s.receiver.nth(1);
    expect(posted.path).toBe('/commands/1');
    expect(posted.body.response_type).toBe('in_channel');
    expect(sectionTexts(posted.body)[1]).toBe('```web-1  load1=0.5```');
  });

  it('help, nothing and unknown subcommands answer with the usage', async () => {
    const s = await setup([]);
    for (const text of ['help', '', 'deploy prod']) {
      const r = await s.command('U0OLGA', text);
      expect(r.status).toBe(200);
      expect(r.json.text).toContain('*/breakwater run <pipeline>*');
      expect(r.json.text).toContain('You act as *olga* (operator)');
    }
    expect((await s.command('U0OLGA', 'deploy prod')).json.text).toMatch(/^Unknown subcommand `deploy`/);
  });

  it('a malformed command is a clear 400 once it is shown to be Slack\'s', async () => {
    const s = await setup([]);
    const r = await s.post('ops-chat', 'commands', 'user_id=alice&command=%2Fb');
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/^invalid slash command: user_id: expected a Slack user id/);
  });
});

describe('POST /api/v1/integrations/<name>/slack/interactions', () => {
  const approval: Approval = { id: 'ap-1', createdAt: T0, expiresAt: T0 + 600_000, bot: 'ask-first', action: 'mark_approved', host: 'web-1', resource: 'web-1', statement: 'host | mark_approved()', details: {}, status: 'pending', decidedBy: null, decidedAt: null, runId: null };

  it('Approve and Deny decide through remediation as the clicking principal; the message is replaced with the decision', async () => {
    const s = await setup([]);
    await s.t.store.createApproval(approval);
    expect((await s.click('U0OLGA', 'bw_approve', 'ap-1')).status).toBe(200);
    const approved = await s.receiver.nth(1);
    expect(approved.body).toMatchObject({ replace_original: true, text: "✅ olga approved bot ask-first's run of mark_approved on web-1" });
    expect(JSON.stringify(approved.body.blocks)).toContain('<https://bw.example.com/runs/run-1|the run>');
    await s.click('U0ALICE', 'bw_deny', 'ap-1');
    expect((await s.receiver.nth(2)).body.text).toBe("⛔ alice denied bot ask-first's run of mark_approved on web-1");
    expect(s.decided).toEqual([{ id: 'ap-1', approve: true, who: 'olga' }, { id: 'ap-1', approve: false, who: 'alice' }]);
    expect(await s.t.audit()).toContainEqual(expect.objectContaining({ principal: 'olga', action: 'slack.interaction', target: 'bw_approve ap-1', outcome: 'ok', detail: { integration: 'ops-chat', user: 'U0OLGA' } }));
  });

  it('a viewer may not decide (audited), and an unmapped user is refused', async () => {
    const s = await setup([]);
    await s.click('U0VERA', 'bw_approve', 'ap-1');
    expect((await s.receiver.nth(1)).body.text).toBe('✗ BW_ERR_FORBIDDEN: deciding approvals needs the operator role; you act as vera (viewer)');
    await s.click('U0BOB', 'bw_deny', 'ap-1');
    expect((await s.receiver.nth(2)).body.text).toContain('is not mapped to a Breakwater principal');
    expect(s.decided).toEqual([]);
    const audit = await s.t.audit();
    expect(audit).toContainEqual(expect.objectContaining({ principal: 'vera', action: 'approval.approve', outcome: 'denied' }));
    expect(audit).toContainEqual(expect.objectContaining({ principal: 'slack:U0BOB', action: 'slack.interaction', outcome: 'denied' }));
  });

  it('refuses a signed command or click whose response_url is not one of the integration\'s origins: nothing runs or is decided, audited as denied', async () => {
    let asked = 0;
    const s = await setup([{ name: 'web-1', answer: () => ((asked += 1), { rows: [hostRow('web-1', { stdout: 'up\n', stderr: '', exit_code: 0 })] }) }]);
    const cmd = await s.command('U0ALICE', 'run host | `uptime`', 'ops-chat', { response_url: 'http://169.254.169.254/latest/meta-data' });
    expect([cmd.status, cmd.json.code]).toEqual([400, 'BW_ERR_INVALID_REQUEST']);
    expect(cmd.json.message).toBe(`refused: response_url points to http://169.254.169.254, not one of integration \`ops-chat\`'s response_origins (${new URL(s.receiver.url).origin}); nothing was run or decided`);
    // Slack's own hooks are not in ops-chat's list: it names only the receiver.
    expect((await s.command('U0ALICE', 'help', 'ops-chat', { response_url: 'https://hooks.slack.com/commands/T1/2/3' })).status).toBe(400);
    const click = await s.post('ops-chat', 'interactions', new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U0ALICE' }, response_url: 'https://hooks.slack.com.evil.example/actions/1', actions: [{ action_id: 'bw_approve', value: 'approval-1' }] }) }).toString());
    expect(click.status).toBe(400);
    expect(click.json.message).toMatch(/^refused: response_url points to https:\/\/hooks\.slack\.com\.evil\.example, .*; nothing was run or decided$/);
    expect(asked).toBe(0);
    expect(s.decided).toEqual([]);
    expect(await s.t.store.listRuns()).toEqual([]);
    expect(s.receiver.seen).toEqual([]);
    const denied = (await s.t.audit()).filter((e) => e.outcome === 'denied').map((e) => [e.principal, e.action, e.detail.reason]);
    const origins = `response_origins (${new URL(s.receiver.url).origin})`;
    expect(denied).toEqual([
      ['alice', 'slack.command', `response_url points to http://169.254.169.254, not one of integration \`ops-chat\`'s ${origins}`],
      ['alice', 'slack.command', `response_url points to https://hooks.slack.com, not one of integration \`ops-chat\`'s ${origins}`],
      ['alice', 'slack.interaction', `response_url points to https://hooks.slack.com.evil.example, not one of integration \`ops-chat\`'s ${origins}`],
    ]);
    // The same command to the receiver runs.
    expect((await s.command('U0ALICE', 'run host | `uptime`')).status).toBe(200);
    expect(asked).toBe(1);
  });

  it('refuses unsigned clicks (401) and malformed payloads (400)', async () => {
    const s = await setup([]);
    expect((await s.post('ops-chat', 'interactions', 'payload=%7B%7D', { secret: 'wrong' })).status).toBe(401);
    const notJson = await s.post('ops-chat', 'interactions', 'payload=nope');
    expect([notJson.status, notJson.json.message]).toEqual([400, 'invalid interaction: the form field `payload` is not JSON']);
    const noPayload = await s.post('ops-chat', 'interactions', 'x=1');
    expect(noPayload.json.message).toContain('expected the form field `payload`');
    const wrong = await s.post('ops-chat', 'interactions', `payload=${encodeURIComponent(JSON.stringify({ type: 'view_submission' }))}`);
    expect(wrong.status).toBe(400);
    expect(s.receiver.seen).toEqual([]);
  });
});

describe('Slack routes, fuzzed', () => {
  it('any signed body gets 200 or a clear 400, never a 500; any unsigned one 401', async () => {
    const s = await setup([ok('web-1', 'hi\n')]);
    const field = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('U0ALICE', 'U0BOB', 'run host', 'help', '{"type":"block_actions"}', '__proto__', 'http://127.0.0.1:1/x'));
    const body = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.dictionary(fc.constantFrom('user_id', 'text', 'command', 'response_url', 'payload', '__proto__', 'constructor'), field).map((d) => new URLSearchParams(d).toString()),
      fc.record({ type: fc.constantFrom('block_actions', 'x'), user: fc.record({ id: field }), response_url: field, actions: fc.array(fc.record({ action_id: fc.constantFrom('bw_approve', 'bw_deny', 'bw_confirm_run', 'other'), value: field }), { maxLength: 6 }) }).map((p) => `payload=${encodeURIComponent(JSON.stringify(p))}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('commands', 'interactions') as fc.Arbitrary<'commands' | 'interactions'>, body, async (kind, b) => {
        const signed = await s.post('open-chat', kind, b);
        expect([200, 400], signed.text).toContain(signed.status);
        if (signed.status === 400) expect(signed.json.code).toBe('BW_ERR_INVALID_REQUEST');
        const unsigned = await s.post('open-chat', kind, b, { secret: 'not-the-secret' });
        expect(unsigned.status).toBe(401);
      }),
      { numRuns: 150 },
    );
  });
});
