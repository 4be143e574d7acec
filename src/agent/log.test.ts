import { describe, expect, it } from 'vitest';
import { jsonLogger } from './log.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error' | 'silent') {
  const lines: string[] = [];
  return { lines, log: jsonLogger({ level, component: 'agent', write: (l) => lines.push(l) }) };
}

describe('jsonLogger', () => {
  it('writes one pino-shaped JSON line per entry at or above the level', () => {
    const { lines, log } = capture('warn');
    log.info({ a: 1 }, 'hidden');
    log.warn({ code: 1006 }, 'connection closed');
    log.error({}, 'boom');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const first = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(first).toMatchObject({ level: 40, component: 'agent', code: 1006, msg: 'connection closed' });
    expect(typeof first.time).toBe('number');
  });

  it('serialises errors with their message and stack, and survives cycles', () => {
    const { lines, log } = capture('debug');
    const err = Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    log.error({ err, cyclic, big: 10n }, 'write failed');
    const entry = JSON.parse(lines[0] as string) as { err: Record<string, unknown>; cyclic: Record<string, unknown>; big: string };
    expect(entry.err).toMatchObject({ type: 'Error', message: 'disk full', code: 'ENOSPC' });
    expect(String(entry.err.stack)).toContain('disk full');
    expect(entry.cyclic.self).toBe('[Circular]');
    expect(entry.big).toBe('10');
  });

  it('writes nothing when silent', () => {
    const { lines, log } = capture('silent');
    log.error({}, 'nobody hears this');
    expect(lines).toEqual([]);
  });

  it('never writes a token, a credential, an Authorization value or URL userinfo, in fields or in the message', () => {
    const { lines, log } = capture('debug');
    const token = 'bwt_c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1Njc4OQ';
    log.error(
      { server: 'https://agent:s3cret@bw.example', headers: { authorization: 'Bearer abc' }, err: new Error(`refused ${token}`), token: 'plain' },
      `enroll at https://bw.example/api/v1/agents/enroll?token=${token} failed`,
    );
    expect(lines[0]).not.toMatch(/c2VjcmV0|s3cret|Bearer abc|"plain"/);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      server: 'https://[redacted]@bw.example',
      headers: { authorization: '[redacted]' },
      err: { message: 'refused bwt_[redacted]' },
      token: '[redacted]',
      msg: 'enroll at https://bw.example/api/v1/agents/enroll?token=[redacted] failed',
    });
  });
});
