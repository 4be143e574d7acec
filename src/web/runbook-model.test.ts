import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUILTIN_CATALOGUE, analyze } from '../lang/index.js';
import type { RunExplanation } from '../protocol/index.js';
import type { Runbook } from './runbook-model.js';
import { cellOrigin, streamCell } from './runbook-model.js';

const STORED: Runbook = { id: 'rb-1', name: 'disk-full', description: '', params: ['host'], cells: [{ kind: 'markdown', text: '# Disk' }, { kind: 'pipeline', text: 'host | `df -h`' }], updatedAt: 1, updatedBy: 'alice' };

describe('cellOrigin', () => {
  it('names the stored runbook and cell for a pipeline cell of the open, stored runbook', () => {
    expect(cellOrigin(STORED, 'rb-1', 1)).toEqual({ id: 'rb-1', cell: 1 });
  });

  it('names none for a new runbook, another runbook, a markdown cell or a cell added since the save (the API would refuse them)', () => {
    expect(cellOrigin(null, null, 1)).toBeUndefined();
    expect(cellOrigin(STORED, null, 1)).toBeUndefined();
    expect(cellOrigin(STORED, 'rb-2', 1)).toBeUndefined();
    expect(cellOrigin(STORED, 'rb-1', 0)).toBeUndefined();
    expect(cellOrigin(STORED, 'rb-1', 2)).toBeUndefined();
  });
});

describe('streamCell', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('dry-runs a cell: asks for a dry run from its runbook cell, and keeps the explanation with the summary', async () => {
    const explanation: RunExplanation = {
      targets: { count: 1, names: ['web-1'], unreachable: 0 },
      rollout: null,
      breakers: [],
      approval: { required: false, reason: 'a run started by a person is not held for approval: approvals hold bot runs', bots: [] },
      blastRadius: { verdict: 'within', targets: 1, limit: 50 },
    };
    const plan = analyze('host | `df -h`', BUILTIN_CATALOGUE).plan;
    const lines = [
      { type: 'plan', runId: 'r1', dryRun: true, plan, warnings: [] },
      { type: 'summary', runId: 'r1', rows: 1, failures: 0, failed: 0, targets: 1, agentsAsked: 0, agentsAnswered: 0, durationMs: 3, explanation },
    ];
    const sent: unknown[] = [];
    vi.stubGlobal('sessionStorage', { getItem: () => 'bwt_x' });
    vi.stubGlobal('fetch', async (_url: string, init: { body: string }) => {
      sent.push(JSON.parse(init.body));
      return new Response(lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { status: 200 });
    });
    const out = await streamCell('host | `df -h`', false, new AbortController().signal, { id: 'rb-1', cell: 1 }, true);
    expect(sent).toEqual([{ statement: 'host | `df -h`', dryRun: true, runbook: { id: 'rb-1', cell: 1 } }]);
    expect(out.error).toBeNull();
    expect(out.summary?.explanation).toEqual(explanation);
  });
});
