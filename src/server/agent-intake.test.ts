import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../protocol/index.js';
import { AlarmPrediction, MAX_PREDICTED_SECONDS } from '../protocol/index.js';
import { AGENT_EVENT_TYPES, ownsResource, screenAgentEvents } from './agent-intake.js';

const e = (patch: Partial<FleetEvent>): FleetEvent => ({ id: 'e', time: 1, type: 'alarm_fired', host: 'web-1', resource: 'web-1', alarm: 'a', bot: null, action: null, severity: null, runId: null, principal: null, message: 'm', value: null, details: {}, ...patch });

describe('screenAgentEvents', () => {
  it('accepts an agent\'s own alarms and bot events, naming the principal itself', () => {
    const { accepted, refused } = screenAgentEvents('web-1', [
      e({ id: '1' }),
      e({ id: '2', type: 'alarm_cleared', resource: 'web-1/42', principal: 'agent:web-1' }),
      e({ id: '3', type: 'bot_ran', bot: 'clean', principal: 'bot:clean' }),
      e({ id: '4', type: 'escalated', bot: 'clean', resource: null }),
      e({ id: '5', type: 'file_failed', alarm: null, resource: null }),
    ]);
    expect(refused).toEqual([]);
    expect(accepted.map((x) => [x.id, x.principal])).toEqual([
      ['1', 'agent:web-1'],
      ['2', 'agent:web-1'],
      ['3', 'bot:clean@web-1'],
      ['4', 'bot:clean@web-1'],
      ['5', 'agent:web-1'],
    ]);
  });

  it('refuses other hosts, other hosts\' resources, control-plane event types and other principals', () => {
    const { accepted, refused } = screenAgentEvents('web-1', [
      e({ id: '1', host: 'web-2' }),
      e({ id: '2', host: null }),
      e({ id: '3', resource: 'web-10' }),
      e({ id: '4', type: 'run_finished' }),
      e({ id: '5', principal: 'agent:web-2' }),
      e({ id: '6', type: 'bot_ran', bot: 'clean', principal: 'bot:clean@web-2' }),
      e({ id: '7', type: 'bot_skipped', bot: null }),
    ]);
    expect(accepted).toEqual([]);
    expect(refused.map((r) => r.id)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(refused[6]?.reason).toBe('a bot_skipped event names its bot');
  });

  it('agents produce only alarm and bot events', () => {
    expect([...AGENT_EVENT_TYPES].sort()).toEqual(['alarm_cleared', 'alarm_fired', 'bot_ran', 'bot_skipped', 'escalated', 'file_failed']);
  });

  it('takes the control plane\'s time for an event from the far future, and keeps past ones (sent after an outage)', () => {
    const { accepted } = screenAgentEvents('web-1', [e({ id: '1', time: 10_000_000 }), e({ id: '2', time: 1_030_000 }), e({ id: '3', time: 5 })], 1_000_000);
    expect(accepted.map((x) => x.time)).toEqual([1_000_000, 1_030_000, 5]);
  });
});

describe('screenAgentEvents: a predictive alarm\'s forecast (details.predicted)', () => {
  const forecast = { threshold: 100, seconds: 13_200, at: 1_000_000 + 13_200_000 };

  it('stores an alarm_fired event with a well-formed forecast, as sent', () => {
    const { accepted, refused } = screenAgentEvents('web-1', [e({ id: '1', details: { condition: 'predict_linear(disk_usage[10m], 4h) > 100', predicted: forecast } })]);
    expect(refused).toEqual([]);
    expect(accepted[0]?.details.predicted).toEqual(forecast);
  });

  it('refuses a malformed forecast with the field named, and a forecast on another event type', () => {
    const { accepted, refused } = screenAgentEvents('web-1', [
      e({ id: '1', details: { predicted: { ...forecast, seconds: -1 } } }),
      e({ id: '2', details: { predicted: { threshold: 'full', seconds: 1, at: 1 } } }),
      e({ id: '3', details: { predicted: 'soon' } }),
      e({ id: '4', type: 'alarm_cleared', details: { predicted: forecast } }),
    ]);
    expect(accepted).toEqual([]);
    expect(refused.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^details\.predicted\.seconds: /),
      expect.stringMatching(/^details\.predicted\.threshold: /),
      expect.stringMatching(/^details\.predicted: /),
      'alarm_cleared events carry no details.predicted (only alarm_fired does)',
    ]);
  });
});

describe('screenAgentEvents: any details.predicted an agent sends (fuzz)', () => {
  it('never throws; stores an alarm_fired event exactly when its forecast is absent or well formed', () => {
    const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, MAX_PREDICTED_SECONDS, MAX_PREDICTED_SECONDS + 1));
    const predicted = fc.oneof(
      fc.record({ threshold: anyNumber, seconds: anyNumber, at: anyNumber }),
      fc.record({ threshold: fc.jsonValue(), seconds: fc.jsonValue(), at: fc.jsonValue() }, { requiredKeys: [] }),
      fc.jsonValue(),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(predicted, (p) => {
        const { accepted, refused } = screenAgentEvents('web-1', [e({ id: '1', details: p === undefined ? {} : { predicted: p } })]);
        const wellFormed = p === undefined || AlarmPrediction.safeParse(p).success;
        expect(accepted.length).toBe(wellFormed ? 1 : 0);
        expect(refused.length).toBe(wellFormed ? 0 : 1);
        if (!wellFormed) expect(refused[0]?.reason).toMatch(/^details\.predicted/);
      }),
      { seed: 16, numRuns: 500 },
    );
  });
});

describe('ownsResource', () => {
  it('is the host or under it, not a host whose name starts the same', () => {
    expect(ownsResource('web-1', 'web-1')).toBe(true);
    expect(ownsResource('web-1', 'web-1/4242')).toBe(true);
    expect(ownsResource('web-1', 'web-10')).toBe(false);
    expect(ownsResource('web-1', 'web-2/1')).toBe(false);
  });
});
