import { describe, expect, it } from 'vitest';
import { agentFromToken, agentToken, natsSubjects } from './nats-subjects.js';

describe('natsSubjects', () => {
  it('names each agent in one token, so a dotted name cannot reach another agent’s subjects', () => {
    const s = natsSubjects('bw');
    expect(s.agentQuery('web-1.prod')).toBe('bw.agent.web-1~prod.query');
    expect(s.agentQuery('web-1.prod')).not.toBe(s.agentQuery('web-1'));
    expect(s.agentEvents('db@eu')).toBe('bw.events.db@eu');
    expect(s.allEvents).toBe('bw.events.*');
    expect(natsSubjects('t.lab7').eventsStream).toBe('T_LAB7_EVENTS');
  });

  it('gives each agent its own presence key, request subjects and inbox prefix', () => {
    const s = natsSubjects('t.lab7');
    expect(s.presenceBucket).toBe('T_LAB7_PRESENCE');
    expect(s.presenceSubject('web-1.prod')).toBe('$KV.T_LAB7_PRESENCE.web-1~prod');
    expect(s.agentRequest('web-1.prod', 'permit')).toBe('t.lab7.cp.web-1~prod.permit');
    expect(s.allAgentRequests).toBe('t.lab7.cp.*.*');
    expect(s.agentInboxPrefix('web-1.prod')).toBe('_INBOX_T_LAB7_web-1~prod');
    expect(s.agentInboxPrefix('web-1.prod')).not.toBe(s.agentInboxPrefix('web-1'));
  });

  it('maps names to tokens one-to-one', () => {
    for (const name of ['a', 'a.b', 'a_b', 'a-b.c.d', 'x@y.z']) expect(agentFromToken(agentToken(name))).toBe(name);
  });

  it('refuses a prefix with wildcards, spaces or empty tokens', () => {
    for (const bad of ['', 'bw.*', 'bw.>', 'b w', 'bw.', '.bw', 'bw..x']) expect(() => natsSubjects(bad)).toThrow(/invalid NATS subject prefix/);
  });
});
