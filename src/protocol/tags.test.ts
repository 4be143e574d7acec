import { describe, expect, it } from 'vitest';
import { AgentMessage, TagMap, check, decode } from './index.js';

const hello = (tags: Record<string, string>) => JSON.stringify({ type: 'hello', v: 1, name: 'web-1', facts: { hostname: 'web-1', machineId: 'm', os: 'linux', distro: 'd', arch: 'x86_64', kernel: 'k', ip: '10.0.0.1', agentVersion: '0.1.0' }, tags });

describe('the one tag rule', () => {
  it('takes names of letters, digits, `_`, `.`, `-` starting with a letter or `_`, and values up to 1,024 characters', () => {
    expect(check(TagMap, { env: 'prod', 'team.name': 'ops', _x: '', 'a-b_c.d': 'v'.repeat(1024), ['k'.repeat(64)]: '' }).ok).toBe(true);
  });

  it.each([['x`touch /tmp/pwned`'], ['a b'], ['1st'], ['-x'], ['k'.repeat(65)], [''], ['$(id)']])('refuses the tag name %j in a hello, naming it', (key) => {
    const r = decode(AgentMessage, hello({ [key]: 'v' }));
    expect(r).toEqual({ ok: false, error: `tags.${key}: tag names are letters, digits, \`_\`, \`.\`, \`-\`, starting with a letter` });
  });

  it('refuses a value over 1,024 characters in a hello', () => {
    expect(decode(AgentMessage, hello({ env: 'v'.repeat(1025) }))).toEqual({ ok: false, error: expect.stringMatching(/^tags\.env: Too big/) });
  });
});
