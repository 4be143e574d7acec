import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { serverLogger } from './log.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: serverLogger('debug', stream) };
}

const TOKEN = 'bwt_dGhpcy1pcy1hLXRva2VuLW9mLTMyLWJ5dGVzLWxvbmc';

describe('serverLogger', () => {
  it('redacts secrets in fields, nested objects, errors and the message', () => {
    const { lines, logger } = capture();
    logger.warn(
      { url: `/api/v1/events/stream?token=${TOKEN}`, req: { headers: { authorization: `Bearer ${TOKEN}` } }, webhook: 'https://u:p@hooks.example/x', err: new Error(`bad ${TOKEN}`) },
      `refused ${TOKEN}`,
    );
    logger.info(`one string ${TOKEN}`);
    const text = lines.join('');
    expect(text).not.toContain('dGhpcy1');
    expect(text).not.toContain('u:p@');
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({
      level: 40,
      component: 'server',
      url: '/api/v1/events/stream?token=[redacted]',
      req: { headers: { authorization: '[redacted]' } },
      webhook: 'https://[redacted]@hooks.example/x',
      err: { message: 'bad bwt_[redacted]' },
      msg: 'refused bwt_[redacted]',
    });
    expect(second).toMatchObject({ msg: 'one string bwt_[redacted]' });
  });
});
