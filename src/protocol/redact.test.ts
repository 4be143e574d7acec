import { describe, expect, it } from 'vitest';
import { redactSecrets, redactText } from './redact.js';

const TOKEN = 'bwt_Zm9vYmFyLWJhei1xdXV4LTEyMzQ1Njc4OTAtYWJj';
const CREDENTIAL = 'bwa_c2VjcmV0LWNyZWRlbnRpYWwtb2YtYW4tYWdlbnQ';

describe('redactText', () => {
  it('replaces tokens and agent credentials wherever they are', () => {
    expect(redactText(`join with ${TOKEN}.`)).toBe('join with bwt_[redacted].');
    expect(redactText(`credential=${CREDENTIAL}`)).toBe('credential=bwa_[redacted]');
  });

  it('replaces ?token= and similar query values, keeping the rest of the URL', () => {
    expect(redactText('/api/v1/events/stream?token=abc.def&since=3')).toBe('/api/v1/events/stream?token=[redacted]&since=3');
    expect(redactText('GET /x?a=1&access_token=zzz HTTP/1.1')).toBe('GET /x?a=1&access_token=[redacted] HTTP/1.1');
    expect(redactText('/x?tokens=keep')).toBe('/x?tokens=keep');
  });

  it("replaces a URL's user and password", () => {
    expect(redactText('posting to https://user:p%40ss@hooks.example/a?b=1 failed')).toBe('posting to https://[redacted]@hooks.example/a?b=1 failed');
    expect(redactText('ws://agent@10.0.0.1:7070/connect')).toBe('ws://[redacted]@10.0.0.1:7070/connect');
    expect(redactText('mail admin@example.com')).toBe('mail admin@example.com');
  });

  it('replaces Authorization values written out', () => {
    expect(redactText('authorization: Bearer abc.def-ghi')).toBe('authorization: Bearer [redacted]');
    expect(redactText('Basic dXNlcjpwYXNz==')).toBe('Basic [redacted]');
    expect(redactText('Basic YWRtaW46aHVudGVyMg')).toBe('Basic [redacted]');
    expect(redactText('Basic checks failed; Token expired')).toBe('Basic checks failed; Token expired');
  });
});

describe('redactSecrets', () => {
  it('redacts every string, the values of secret fields whole, and errors, without touching the input', () => {
    const input = {
      req: { headers: { authorization: 'Bearer whatever', Cookie: 's=1', host: 'bw' }, url: `/a?token=${TOKEN}` },
      list: [`x ${CREDENTIAL}`, 3, null],
      password: 'hunter2',
      token: null,
      err: Object.assign(new Error(`refused ${TOKEN}`), { code: 'E1' }),
    };
    const out = redactSecrets(input) as Record<string, unknown>;
    expect(out).toMatchObject({
      req: { headers: { authorization: '[redacted]', Cookie: '[redacted]', host: 'bw' }, url: '/a?token=[redacted]' },
      list: ['x bwa_[redacted]', 3, null],
      password: '[redacted]',
      token: null,
      err: { type: 'Error', message: 'refused bwt_[redacted]', code: 'E1' },
    });
    expect(JSON.stringify(out)).not.toMatch(/bwt_Zm|bwa_c2|hunter2/);
    expect(input.password).toBe('hunter2');
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redactSecrets(a)).toEqual({ name: 'a', self: '[Circular]' });
  });
});
