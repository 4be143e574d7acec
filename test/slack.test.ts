import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { slackSign } from '../src/server/integrations/index.js';
import type { Approval } from '../src/protocol/index.js';
import { ROOT, waitUntil } from './helpers.js';
import type { SlackReceiver } from './slack-receiver.js';
import { slackReceiver } from './slack-receiver.js';

/*
 * Slack ChatOps against a real lab (control plane + two real agents): a signed slash command runs a
 * pipeline on the hosts and answers grouped as the CLI does, and a signed Approve click on a real
 * approval (the ask-first bot of test/fixtures/approval-bot.yaml) runs the action on its host under
 * the Slack user's principal. Slack itself is played by the test: requests signed as Slack signs
 * them, response_url answers taken by a receiver on loopback. Needs `npm run build`.
 */

const SIGNING = 'lab-slack-signing-secret-0123';
/** lab-chat's definitions; its answers may go to the test's receiver (`origin`) only. */
const DEFS = (origin: string) => `
kind: secret
name: slack-signing
---
kind: secret
name: slack-hook
---
kind: integration
name: lab-chat
type: slack
webhook_url: { secret: slack-hook }
signing_secret: { secret: slack-signing }
users:
  U0ALICE: { principal: alice, role: admin }
response_origins: ["${origin}"]
`;

let lab: Lab;
let receiver: SlackReceiver;

beforeAll(async () => {
  lab = await startLab({ hosts: 2 });
  receiver = await slackReceiver();
  const files = [
    { path: 'slack.yaml', text: DEFS(new URL(receiver.url).origin) },
    { path: 'approval-bot.yaml', text: readFileSync(join(ROOT, 'test', 'fixtures', 'approval-bot.yaml'), 'utf8') },
  ];
  const plan = await lab.api<{ baseVersion: number }>('/api/v1/definitions/plan', { files });
  await lab.api('/api/v1/definitions/apply', { files, baseVersion: plan.baseVersion });
  const set = await lab.fetch('/api/v1/secrets/slack-signing', { method: 'PUT', headers: { authorization: `Bearer ${lab.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ value: SIGNING }) });
  expect(set.status, await set.text()).toBe(200);
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await lab?.stop();
});

/** Posts a form body to one of lab-chat's routes, signed now as Slack signs. */
async function slack(kind: 'commands' | 'interactions', fields: Record<string, string>) {
  const body = new URLSearchParams(fields).toString();
  const ts = Math.floor(Date.now() / 1000);
  const signature = slackSign(SIGNING, ts, body);
  const res = await lab.fetch(`/api/v1/integrations/lab-chat/slack/${kind}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature }, body });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const sections = (m: { blocks: { type: string; text?: { text: string } }[] }) => m.blocks.filter((b) => b.type === 'section').map((b) => b.text?.text ?? '');

describe('Slack ChatOps on a real lab', () => {
  it('/breakwater run runs a pipeline on the real agents as the mapped principal and answers grouped', async () => {
    const r = await slack('commands', { command: '/breakwater', text: 'run host | `echo hello`', user_id: 'U0ALICE', response_url: `${receiver.url}/commands` });
    expect(r.status).toBe(200);
    // Within Slack's 3 s the answer comes back at once; on a slow machine it follows on response_url.
    const answer = r.json.text.startsWith('Running…') ? (await receiver.nth(1)).body : r.json;
    const names = lab.hosts.map((h) => h.name).sort();
    expect(answer.response_type).toBe('in_channel');
    expect(sections(answer).slice(1)).toEqual([`*2 hosts* (${names.join(', ')}) exit 0:\n\`\`\`hello\`\`\``]);
    const runs = await lab.api<{ id: string; statement: string }[]>('/api/v1/runs?limit=5');
    const run = runs.find((x) => x.statement.startsWith('host | `echo hello'));
    expect(run).toMatchObject({ principal: 'alice', status: 'succeeded', targets: 2 });
    expect(JSON.stringify(answer.blocks)).toContain(`/runs/${run?.id}|Open the run in Breakwater>`);
  }, 60_000);

  it('an Approve click on a real pending approval runs the action on its host under the Slack user\'s principal', async () => {
    const host = lab.hosts[0]!;
    const ask = join(host.dir, 'run', 'ask');
    await writeFile(ask, 'please\n');
    let approval: Approval | undefined;
    await waitUntil('ask-first to ask for approval', async () => {
      approval = (await lab.api<Approval[]>('/api/v1/approvals?status=pending')).find((a) => a.host === host.name && a.bot === 'ask-first');
      return approval !== undefined;
    }, 30_000);
    await rm(ask, { force: true });
    const seen = receiver.seen.length;
    const r = await slack('interactions', { payload: JSON.stringify({ type: 'block_actions', user: { id: 'U0ALICE' }, response_url: `${receiver.url}/actions`, actions: [{ action_id: 'bw_approve', value: approval!.id }] }) });
    expect(r.status).toBe(200);
    const posted = await receiver.nth(seen + 1);
    expect(posted.path).toBe('/actions');
    expect(posted.body).toMatchObject({ replace_original: true, text: `✅ alice approved bot ask-first's run of mark_approved on ${host.name}` });
    expect(readFileSync(join(host.dir, 'run', 'approved-ran'), 'utf8')).toBe(`${host.name}\n`);
    expect(existsSync(join(lab.hosts[1]!.dir, 'run', 'approved-ran'))).toBe(false);
    const decided = (await lab.api<Approval[]>('/api/v1/approvals')).find((a) => a.id === approval!.id);
    expect(decided).toMatchObject({ status: 'approved', decidedBy: 'alice' });
  }, 90_000);
});
