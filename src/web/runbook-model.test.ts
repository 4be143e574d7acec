import { describe, expect, it } from 'vitest';
import type { Runbook } from './runbook-model.js';
import { cellOrigin } from './runbook-model.js';

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
