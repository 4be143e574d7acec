import { describe, expect, it } from 'vitest';
import type { RunExplanation } from '../protocol/index.js';
import { explanationText } from './dry-run-output.js';
import { styleFor } from './style.js';

const plain = styleFor({ isTTY: false }, {});

const EXPLANATION: RunExplanation = {
  targets: { count: 5, names: ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'], unreachable: 0 },
  rollout: {
    batchCount: 3,
    size: 2,
    ramp: 'exponential',
    maxErrors: 1,
    batches: [
      { count: 1, names: ['web-1'] },
      { count: 2, names: ['web-2', 'web-3'] },
      { count: 2, names: ['web-4', 'web-5'] },
    ],
  },
  breakers: [{ bot: 'restarter', action: 'restart_service', max: 4, windowSeconds: 600, used: 1, left: 3, tripped: false, consumes: 0 }],
  approval: { required: false, reason: 'a run started by a person is not held for approval: approvals hold bot runs', bots: [{ bot: 'restarter', action: 'restart_service', roles: ['admin'], principals: ['dba-oncall'] }] },
  blastRadius: { verdict: 'over', targets: 5, limit: 3 },
};

describe('explanationText', () => {
  it('prints each section with its label in one column: batches in order, breakers, approval, blast radius', () => {
    expect(explanationText(EXPLANATION, plain).split('\n')).toEqual([
      'batches       3, up to 2 each (ramp exponential: 1, 2, 4, …), max_errors 1: one more failure aborts the rollout',
      '              1  1  web-1',
      '              2  2  web-2, web-3',
      '              3  2  web-4, web-5',
      'breakers      bot restarter (restart_service): 1/4 used in 10m, 3 left; this run takes 0',
      "              a breaker counts its bot's runs: a person's run takes none of its budget",
      'approval      not required: a run started by a person is not held for approval: approvals hold bot runs',
      "              bot restarter's runs of restart_service wait for approval by the admin role or above, dba-oncall",
      'blast radius  over the limit: 5 targets > 3; runs only with --yes',
      '',
    ]);
  });

  it('says when everything runs at once, no bot is concerned and the statement only reads', () => {
    const text = explanationText({ ...EXPLANATION, rollout: null, breakers: [], approval: { required: false, reason: 'it only reads: nothing to approve', bots: [] }, blastRadius: { verdict: 'reads only', targets: 5, limit: 3 } }, plain);
    expect(text).toBe(
      ['batches       none: every target at once', 'breakers      none: no bot runs these actions', 'approval      not required: it only reads: nothing to approve', 'blast radius  reads only: no limit applies', ''].join('\n'),
    );
  });

  it('marks names and batches left out of a long rollout', () => {
    const rollout = { batchCount: 400, size: 100, ramp: 'none' as const, maxErrors: 0, batches: [{ count: 100, names: ['a', 'b'] }] };
    const text = explanationText({ ...EXPLANATION, rollout }, plain);
    expect(text).toContain('  1  100  a, b, …\n');
    expect(text).toContain('… 399 more batches\n');
  });
});
