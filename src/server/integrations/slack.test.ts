import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SlackIntegration } from './index.js';
import { slackPrincipal, slackResponseProblem, slackRequest, slackSign, slackSignatureProblem } from './index.js';

/*
 * Slack's own example from "Verifying requests from Slack" (api.slack.com/authentication/verifying-requests-from-slack):
 * its signing secret, timestamp, body and the signature Slack documents for them.
 */
const SLACK_EXAMPLE = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const AT = Number(SLACK_EXAMPLE.timestamp) * 1000;

describe('slackSignatureProblem', () => {
  const { secret, timestamp, body, signature } = SLACK_EXAMPLE;

  it("signs Slack's documented example as Slack documents it", () => {
    expect(slackSign(secret, Number(timestamp), body)).toBe(signature);
  });

  it("accepts Slack's documented example at its own time, up to 5 minutes either side", () => {
    expect(slackSignatureProblem(secret, timestamp, signature, body, AT)).toBeUndefined();
    expect(slackSignatureProblem(secret, timestamp, signature, body, AT + 300_000)).toBeUndefined();
    expect(slackSignatureProblem(secret, timestamp, signature, body, AT - 300_000)).toBeUndefined();
  });

  it('refuses the same request replayed later than 5 minutes', () => {
    expect(slackSignatureProblem(secret, timestamp, signature, body, AT + 301_000)).toMatch(/301s from this server's clock, more than 300s: a replayed request/);
  });

  it('refuses a tampered body, timestamp, signature or secret', () => {
    expect(slackSignatureProblem(secret, timestamp, signature, body.replace('text=', 'text=run'), AT)).toMatch(/does not match/);
    expect(slackSignatureProblem(secret, String(Number(timestamp) + 1), signature, body, AT)).toMatch(/does not match/);
    expect(slackSignatureProblem(secret, timestamp, signature.replace(/.$/, '4'), body, AT)).toMatch(/does not match/);
    expect(slackSignatureProblem(`${secret}x`, timestamp, signature, body, AT)).toMatch(/does not match/);
    expect(slackSignatureProblem(secret, timestamp, signature.replace('v0=', 'v1='), body, AT)).toMatch(/does not match/);
  });

  it('refuses a missing signature or a timestamp that is not unix seconds', () => {
    expect(slackSignatureProblem(secret, timestamp, undefined, body, AT)).toBe('no x-slack-signature header');
    expect(slackSignatureProblem(secret, undefined, signature, body, AT)).toMatch(/expected x-slack-request-timestamp/);
    expect(slackSignatureProblem(secret, '1531420618.5', signature, body, AT)).toMatch(/expected x-slack-request-timestamp/);
  });

  it('is the documented HMAC for any body (a second case computed independently)', () => {
    const b = 'command=%2Fbreakwater&text=help&user_id=U0ALICE';
    const sig = `v0=${createHmac('sha256', 'k').update(`v0:1700000000:${b}`).digest('hex')}`;
    expect(slackSignatureProblem('k', '1700000000', sig, b, 1_700_000_000_000)).toBeUndefined();
  });
});

const integration = (unmapped: 'viewer' | 'refuse'): SlackIntegration => ({
  kind: 'integration',
  name: 'ops-chat',
  description: '',
  type: 'slack',
  webhookUrl: 'hook',
  signingSecret: 'sig',
  users: { U0ALICE: { principal: 'alice', role: 'operator' }, U0ROOT: { principal: 'root', role: 'admin' } },
  unmapped,
  responseOrigins: ['https://hooks.slack.com', 'https://hooks.slack-gov.com', 'https://proxy.example.com'],
} as SlackIntegration);

describe('slackResponseProblem', () => {
  it('lets answers go to the listed origins and nowhere else, naming where a refused one points', () => {
    const i = integration('refuse');
    expect(slackResponseProblem(i, 'https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN')).toBeUndefined();
    expect(slackResponseProblem(i, 'https://hooks.slack-gov.com/actions/T1/2/3')).toBeUndefined();
    expect(slackResponseProblem(i, 'http://169.254.169.254/latest/meta-data')).toBe("response_url points to http://169.254.169.254, not one of integration `ops-chat`'s response_origins (https://hooks.slack.com, https://hooks.slack-gov.com, https://proxy.example.com)");
    expect(slackResponseProblem(i, 'https://proxy.example.com/commands/1')).toBeUndefined();
    // Look-alikes: another scheme, port, or a host that only starts or ends like Slack's.
    for (const url of ['http://hooks.slack.com/x', 'https://hooks.slack.com:8443/x', 'https://hooks.slack.com.evil.example/x', 'https://evilhooks.slack.com/x', 'https://hooks.slack.com@evil.example/x']) {
      expect(slackResponseProblem(i, url), url).toMatch(/^response_url points to /);
    }
    expect(slackResponseProblem(i, 'hooks.slack.com/x')).toBe('response_url is not an absolute URL');
  });

  it('takes Slack\'s hooks for an integration stored without response_origins (applied before the field existed, or not set)', () => {
    const { responseOrigins: _, ...stored } = integration('refuse');
    expect(slackResponseProblem(stored as SlackIntegration, 'https://hooks.slack.com/commands/T1/2/3')).toBeUndefined();
    expect(slackResponseProblem(stored as SlackIntegration, 'http://127.0.0.1:8080/x')).toMatch(/^response_url points to http:\/\/127\.0\.0\.1:8080, not one of integration `ops-chat`'s response_origins \(https:\/\/hooks\.slack\.com, https:\/\/hooks\.slack-gov\.com\)$/);
  });
});

describe('slackPrincipal', () => {
  it('maps a listed user to its principal and role', () => {
    expect(slackPrincipal(integration('refuse'), 'U0ALICE')).toEqual({ id: 'slack:ops-chat:U0ALICE', name: 'alice', role: 'operator' });
    expect(slackPrincipal(integration('viewer'), 'U0ROOT')).toMatchObject({ name: 'root', role: 'admin' });
  });

  it('makes an unmapped user a viewer named after the Slack id, or refuses it, by configuration', () => {
    expect(slackPrincipal(integration('viewer'), 'U0BOB')).toEqual({ id: 'slack:ops-chat:U0BOB', name: 'slack:U0BOB', role: 'viewer' });
    expect(slackPrincipal(integration('refuse'), 'U0BOB')).toBeUndefined();
  });

  it('does not take inherited names for users', () => {
    expect(slackPrincipal(integration('refuse'), 'constructor')).toBeUndefined();
    expect(slackPrincipal(integration('refuse'), '__proto__')).toBeUndefined();
  });
});

describe('slackRequest', () => {
  it('reads run with the rest of the text as the statement, help, and anything else as unknown', () => {
    expect(slackRequest('run host | where cpu_usage > 90')).toEqual({ verb: 'run', statement: 'host | where cpu_usage > 90' });
    expect(slackRequest('  run   host  ')).toEqual({ verb: 'run', statement: 'host' });
    expect(slackRequest('')).toEqual({ verb: 'help' });
    expect(slackRequest('help')).toEqual({ verb: 'help' });
    expect(slackRequest('run')).toEqual({ verb: 'help' });
    expect(slackRequest('deploy prod')).toEqual({ verb: 'unknown', word: 'deploy' });
    expect(slackRequest('runhost')).toEqual({ verb: 'unknown', word: 'runhost' });
  });
});
