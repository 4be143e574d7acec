import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../protocol/index.js';
import { natsSubjects } from '../../protocol/index.js';
import { decodeEventMessage } from './event-message.js';
import { MAX_EVENT_MESSAGE_BYTES } from './events-stream.js';

const subjects = natsSubjects('bw.t1');
const NOW = 1_700_000_000_000;
const fired = (patch: Partial<FleetEvent> = {}): FleetEvent => ({
  id: 'e-1', time: NOW, type: 'alarm_fired', host: 'web-1.prod', resource: 'web-1.prod', alarm: 'disk_full', bot: null, action: null,
  severity: 'critical', runId: null, principal: null, message: 'disk full', value: 95, details: {}, ...patch,
});
const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const decode = (subject: string, data: Uint8Array) => decodeEventMessage(subjects, subject, data, NOW);

describe('decodeEventMessage', () => {
  it('reads the agent from the subject and sets the principal, as the WebSocket intake does', () => {
    expect(decode('bw.t1.events.web-1~prod', bytes(fired()))).toEqual({ ok: true, agent: 'web-1.prod', event: fired({ principal: 'agent:web-1.prod' }) });
  });

  it('refuses an event about another host, a type agents may not report, a forged principal', () => {
    const cases = [fired({ host: 'db-1' }), fired({ type: 'approved' }), fired({ principal: 'agent:db-1' })];
    const results = cases.map((e) => decode('bw.t1.events.web-1~prod', bytes(e)));
    expect(results.map((r) => (r.ok ? 'accepted' : `${r.kind} ${r.agent}`))).toEqual(['refused web-1.prod', 'refused web-1.prod', 'refused web-1.prod']);
    expect(results[0]).toMatchObject({ reason: expect.stringContaining('reports about itself only') });
  });

  it('calls malformed what is not one event on one agent\'s subject, with why, and never throws', () => {
    const agentSubject = 'bw.t1.events.web-1';
    const cases: [string, Uint8Array, RegExp][] = [
      ['bw.t1.events', bytes(fired()), /not one agent's events subject/],
      ['bw.t1.events.web-1.extra', bytes(fired()), /not one agent's events subject/],
      ['other.events.web-1', bytes(fired()), /not one agent's events subject/],
      [agentSubject, bytes('{"id": '), /not UTF-8 JSON/],
      [agentSubject, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8 JSON/],
      [agentSubject, bytes([fired()]), /not an event/],
      [agentSubject, bytes({ ...fired(), type: 'rm -rf' }), /not an event: type/],
      [agentSubject, bytes('null'), /not an event/],
      [agentSubject, new Uint8Array(MAX_EVENT_MESSAGE_BYTES + 1), /over 262144/],
    ];
    for (const [subject, data, why] of cases) {
      const r = decode(subject, data);
      expect(r.ok ? 'accepted' : r.kind, subject).toBe('malformed');
      expect(r.ok ? '' : r.reason, subject).toMatch(why);
    }
  });
});
