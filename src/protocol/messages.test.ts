import { describe, expect, it } from 'vitest';
import { AgentMessage, JsonValue, MAX_FRAME_BYTES, ServerMessage, check, decode } from './index.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('decode', () => {
  it('reads a valid frame', () => {
    expect(decode(ServerMessage, '{"type":"cancel","query":"q1"}')).toEqual({ ok: true, message: { type: 'cancel', query: 'q1' } });
  });

  it('refuses a frame over the size limit before parsing it', () => {
    const r = decode(ServerMessage, ' '.repeat(MAX_FRAME_BYTES + 1));
    expect(r).toEqual({ ok: false, error: `frame of ${MAX_FRAME_BYTES + 1} characters exceeds the ${MAX_FRAME_BYTES}-byte limit` });
  });

  it('refuses a frame that is not JSON', () => {
    expect(decode(ServerMessage, '{"type":')).toEqual({ ok: false, error: expect.stringMatching(/^frame is not JSON: /) });
  });

  it('names the field that is wrong, in English', () => {
    expect(decode(ServerMessage, '{"type":"cancel","query":7}')).toEqual({ ok: false, error: 'query: Invalid input: expected string, received number' });
    expect(decode(AgentMessage, '{"type":"nope"}')).toEqual({ ok: false, error: expect.stringMatching(/^type: Invalid discriminator value/) });
  });

  it('refuses a row value nested too deeply to check, instead of throwing', () => {
    const frame = `{"type":"rows","query":"q","rows":[{"status":"ok","values":{"a":${nested(200_000)}}}]}`;
    const r = decode(AgentMessage, frame);
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/^nests arrays or objects too deeply to check/) });
  });

  it("reads a hello's container discovery fact when there is one, and refuses another value", () => {
    const hello = (extra: string) => `{"type":"hello","v":1,"name":"web-1","facts":{"hostname":"web-1","machineId":"m","os":"linux","distro":"debian 12","arch":"x64","kernel":"6.1","ip":"10.0.0.1","agentVersion":"0.1.0"${extra}},"tags":{}}`;
    expect(decode(AgentMessage, hello(',"containerDiscovery":"off"'))).toMatchObject({ ok: true, message: { facts: { containerDiscovery: 'off' } } });
    expect(decode(AgentMessage, hello(''))).toMatchObject({ ok: true, message: { facts: { hostname: 'web-1' } } });
    expect(decode(AgentMessage, hello(',"containerDiscovery":"maybe"'))).toEqual({ ok: false, error: expect.stringMatching(/^facts\.containerDiscovery: /) });
  });

  it('still reads row values nested a few levels', () => {
    const frame = `{"type":"rows","query":"q","rows":[{"status":"ok","values":{"a":${nested(100)}}}]}`;
    expect(decode(AgentMessage, frame).ok).toBe(true);
  });

  it('refuses waits an agent timer could not hold (over ~24.8 days fires at once)', () => {
    expect(decode(ServerMessage, `{"type":"welcome","v":1,"agentId":"a","heartbeatMs":${2 ** 31}}`)).toEqual({ ok: false, error: expect.stringMatching(/^heartbeatMs: Too big: expected number to be <=2147483647/) });
    const query = (timeoutMs: number) => `{"type":"query","id":"q","principal":"p","phase":{},"timeoutMs":${timeoutMs}}`;
    expect(decode(ServerMessage, query(2 ** 31))).toEqual({ ok: false, error: expect.stringMatching(/^timeoutMs: Too big/) });
    expect(decode(ServerMessage, query(30_000)).ok).toBe(true);
  });
});

describe('approval requests', () => {
  const approval = (fields: Record<string, unknown>) => JSON.stringify({ type: 'approval', id: 'a1', bot: 'ask-first', action: 'restart_app', resource: 'web-1/4242', args: { unit: 'api' }, expiresSeconds: 600, context: {}, ...fields });

  it('reads one whose names are names', () => {
    expect(decode(AgentMessage, approval({})).ok).toBe(true);
  });

  it('refuses text that would change the statement the approver runs', () => {
    expect(decode(AgentMessage, approval({ action: 'restart_app() | `id` | x' }))).toEqual({ ok: false, error: expect.stringMatching(/^action: expected an action or parameter name/) });
    expect(decode(AgentMessage, approval({ args: { 'unit = "x") | `id` | x(y': 'api' } }))).toEqual({ ok: false, error: 'args.unit = "x") | `id` | x(y: expected an action or parameter name: lowercase letters, digits and `_`, starting with a letter' });
    expect(decode(AgentMessage, approval({ resource: 'web-1/1 | `id`' }))).toEqual({ ok: false, error: expect.stringMatching(/^resource: expected a host or <host>\/<pid>/) });
    expect(decode(AgentMessage, approval({ bot: 'Bad Bot' }))).toEqual({ ok: false, error: expect.stringMatching(/^bot: expected a bot name/) });
  });
});

describe('check', () => {
  it('validates a value parsed earlier, and refuses one nested too deeply instead of throwing', () => {
    expect(check(JsonValue, { a: [1, 'x', null] })).toEqual({ ok: true, message: { a: [1, 'x', null] } });
    expect(check(JsonValue, JSON.parse(nested(200_000)))).toEqual({ ok: false, error: expect.stringMatching(/^nests arrays or objects too deeply to check/) });
  });
});
