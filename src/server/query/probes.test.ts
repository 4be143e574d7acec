import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE, analyze } from '../../lang/index.js';
import type { Plan } from '../../lang/index.js';
import { probeAllowList, probeAllowProblem, probeAllowed, probeCalls } from './probes.js';

const plan = (statement: string): Plan => {
  const a = analyze(statement, BUILTIN_CATALOGUE);
  if (!a.plan) throw new Error(a.diagnostics.map((d) => d.message).join('; '));
  return a.plan;
};

describe('probe targets and the allow-list', () => {
  it('finds every http_ok and tcp_ok in filters and columns, with the host:port each connects to', () => {
    expect(probeCalls(plan('host | http_ok("http://localhost:8080/health") | not tcp_ok("10.1.2.3:5432") | http_ok("https://example.com/")'))).toEqual([
      { fn: 'http_ok', target: 'localhost:8080', text: 'http_ok("http://localhost:8080/health")' },
      { fn: 'tcp_ok', target: '10.1.2.3:5432', text: 'tcp_ok("10.1.2.3:5432")' },
      { fn: 'http_ok', target: 'example.com:443', text: 'http_ok("https://example.com/")' },
    ]);
    expect(probeCalls(plan('host | cpu_usage > 5'))).toEqual([]);
  });

  it('allows exact host:port pairs and literal IPs inside a range; never a name by range', () => {
    const list = probeAllowList(['localhost:8080', '10.0.0.0/8', 'fd00::/8']);
    expect(probeAllowed('localhost:8080', list)).toBe(true);
    expect(probeAllowed('LOCALHOST:8080', list)).toBe(true);
    expect(probeAllowed('localhost:8081', list)).toBe(false);
    expect(probeAllowed('10.200.1.1:22', list)).toBe(true);
    expect(probeAllowed('11.0.0.1:22', list)).toBe(false);
    expect(probeAllowed('[fd00::1]:80', list)).toBe(true);
    expect(probeAllowed('ten.example:80', list)).toBe(false);
    expect(probeAllowed(undefined, list)).toBe(false);
  });

  it('says what is wrong with an entry', () => {
    expect(probeAllowProblem('10.0.0.0/8')).toBeUndefined();
    expect(probeAllowProblem('db.internal:5432')).toBeUndefined();
    expect(probeAllowProblem('db.internal')).toContain('expected a CIDR range (10.0.0.0/8) or host:port');
    expect(probeAllowProblem('10.0.0.0/40')).toContain('longer than an IPv4 address');
    expect(probeAllowProblem('x:99999')).toContain('expected a CIDR range');
  });
});
