import { describe, expect, it } from 'vitest';
import type { AgentInfo, BacktestAnswer, TokenInfo } from './operate-api.js';
import { ApiError } from './api.js';
import { agentRows, backtestProblems, expressionAlarm, refusalFor, summarizeBacktest, tokenState, usesText } from './admin-model.js';

const NOW = 1_800_000_000_000;
const token = (over: Partial<TokenInfo> = {}): TokenInfo => ({ id: 't1', name: 'ci', role: 'viewer', createdAt: NOW - 1000, createdBy: 'admin', expiresAt: null, revokedAt: null, uses: 0, maxUses: null, ...over });

describe('tokenState and usesText', () => {
  it('says revoked before expired before used up, and active otherwise', () => {
    expect(tokenState(token(), NOW)).toBe('active');
    expect(tokenState(token({ expiresAt: NOW }), NOW)).toBe('expired');
    expect(tokenState(token({ expiresAt: NOW + 1 }), NOW)).toBe('active');
    expect(tokenState(token({ expiresAt: NOW - 5, revokedAt: NOW - 1 }), NOW)).toBe('revoked');
    expect(tokenState(token({ role: 'agent', uses: 3, maxUses: 3 }), NOW)).toBe('used up');
    expect(tokenState(token({ role: 'agent', uses: 2, maxUses: 3 }), NOW)).toBe('active');
  });

  it('counts uses for join tokens only', () => {
    expect(usesText(token({ role: 'agent', uses: 1, maxUses: 5 }))).toBe('1/5');
    expect(usesText(token({ role: 'agent', uses: 7 }))).toBe('7/any');
    expect(usesText(token({ role: 'admin', uses: 40 }))).toBe('—');
  });
});

describe('agentRows', () => {
  const agent = (name: string, over: Partial<AgentInfo> = {}): AgentInfo => ({ name, id: name, status: 'connected', lastSeenAt: NOW, tags: {}, attributes: { agent_version: '1.4.0' }, enrolledWith: 'join', revokedAt: null, ...over });

  it('joins the inventory with drift by name, sorted as hosts are (web-2 before web-10)', () => {
    const rows = agentRows([agent('web-10'), agent('web-2', { attributes: {} }), agent('db-1', { status: 'disconnected' })], [
      { name: 'web-2', connected: true, version: 3, current: 4, drift: true },
      { name: 'web-10', connected: true, version: 4, current: 4, drift: false },
    ]);
    expect(rows.map((r) => [r.agent.name, r.version, r.drift, r.agentVersion])).toEqual([
      ['db-1', null, null, '1.4.0'],
      ['web-2', 3, true, ''],
      ['web-10', 4, false, '1.4.0'],
    ]);
  });
});

describe('summarizeBacktest', () => {
  const answer: BacktestAnswer = {
    alarm: 'disk',
    seconds: 3600,
    hosts: [
      { host: 'web-2', answered: true, error: null, transitions: [{ time: 3000, resource: 'web-2:/data', state: 'fired', value: 95 }] },
      {
        host: 'web-1',
        answered: true,
        error: null,
        transitions: [
          { time: 4000, resource: 'web-1:/data', state: 'cleared', value: 70 },
          { time: 1000, resource: 'web-1:/data', state: 'fired', value: 91 },
          { time: 5000, resource: 'web-1:/data', state: 'fired', value: 92 },
        ],
      },
      { host: 'db-3', answered: false, error: 'no answer in time', transitions: [] },
    ],
  };

  it('counts firings per host and in all, what still fires at the end, and lists transitions newest first', () => {
    const s = summarizeBacktest(answer);
    expect([s.firings, s.hostsFired]).toEqual([3, 2]);
    expect(s.hosts).toEqual([
      { host: 'db-3', firings: 0, firingAtEnd: 0, error: 'no answer in time' },
      { host: 'web-1', firings: 2, firingAtEnd: 1, error: null },
      { host: 'web-2', firings: 1, firingAtEnd: 1, error: null },
    ]);
    expect(s.transitions.map((t) => [t.time, t.host, t.state])).toEqual([
      [5000, 'web-1', 'fired'],
      [4000, 'web-1', 'cleared'],
      [3000, 'web-2', 'fired'],
      [1000, 'web-1', 'fired'],
    ]);
  });

  it('sums up no hosts as nothing fired', () => {
    expect(summarizeBacktest({ alarm: 'x', seconds: 60, hosts: [] })).toEqual({ firings: 0, hostsFired: 0, hosts: [], transitions: [] });
  });
});

describe('expressionAlarm', () => {
  it('quotes the query and condition so that any text stays one YAML value', () => {
    expect(expressionAlarm('host', 'cpu_usage > 90')).toBe('kind: alarm\nname: backtest\nquery: "host"\nfire: "cpu_usage > 90"\n');
    expect(expressionAlarm('host | role = "web"', 'disk_usage{mount="/data"} > 90 # not a comment\n')).toBe(
      'kind: alarm\nname: backtest\nquery: "host | role = \\"web\\""\nfire: "disk_usage{mount=\\"/data\\"} > 90 # not a comment\\n"\n',
    );
  });
});

describe('backtestProblems', () => {
  it('lists each problem the API found in the alarm after its message', () => {
    const err = new ApiError('BW_ERR_INVALID_REQUEST', 'the alarm definition has problems', 400, { diagnostics: [{ code: 'BWD_BAD_QUERY', message: 'unknown metric `disk_usge`' }, 'odd'] });
    expect(backtestProblems(err)).toEqual(['BW_ERR_INVALID_REQUEST: the alarm definition has problems', 'BWD_BAD_QUERY: unknown metric `disk_usge`', '"odd"']);
    expect(backtestProblems(new Error('Failed to fetch'))).toEqual(['Failed to fetch']);
  });
});

describe('refusalFor', () => {
  it('explains a role too low in words, naming the role needed, and lets a high enough one through', () => {
    expect(refusalFor('viewer', 'admin', 'manage tokens')).toBe('Your role (viewer) cannot manage tokens; ask an admin for a token with the admin role.');
    expect(refusalFor('operator', 'admin', 'manage agents')).toBe('Your role (operator) cannot manage agents; ask an admin for a token with the admin role.');
    expect(refusalFor('operator', 'operator', 'back-test alarms')).toBeUndefined();
    expect(refusalFor('admin', 'operator', 'back-test alarms')).toBeUndefined();
  });
});
