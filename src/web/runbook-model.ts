/** Runbooks as the page holds them: records from the API, the draft being edited, a cell's output. */
import type { PlanColumn } from '../lang/index.js';
import type { ResultRow, SummaryLine } from '../protocol/index.js';
import type { RunbookCell } from '../definitions/index.js';
import type { QueryRequest } from './api.js';
import { ApiError, errorMessage, streamQuery } from './api.js';

export interface Runbook {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly params: readonly string[];
  readonly cells: readonly RunbookCell[];
  readonly updatedAt: number;
  readonly updatedBy: string;
}

/** What a run of one pipeline cell gave; `summary` also carries the plan's columns, so a saved run renders like a live one. */
export interface CellOutput {
  readonly cell: number;
  readonly statement: string;
  readonly rows: readonly ResultRow[];
  readonly summary: (Partial<SummaryLine> & { columns?: readonly PlanColumn[]; ordered?: boolean }) | null;
  readonly error: string | null;
}

export interface SavedRun {
  readonly id: string;
  readonly runbookId: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly params: Readonly<Record<string, string>>;
  readonly outputs: readonly CellOutput[];
}

export interface Draft {
  readonly id: string | null;
  readonly name: string;
  readonly description: string;
  readonly params: string;
  readonly cells: readonly RunbookCell[];
}

export const EMPTY: Draft = { id: null, name: '', description: '', params: 'host', cells: [{ kind: 'markdown', text: '# What this is for\n\nSteps, in order.' }] };

export const toDraft = (rb: Runbook): Draft => ({ id: rb.id, name: rb.name, description: rb.description, params: rb.params.join(', '), cells: rb.cells });
export const paramList = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** The server's limit on an imported file. */
export const IMPORT_LIMIT = 1024 * 1024;

/** Where a cell's run comes from, as POST /api/v1/query's `runbook` names it. */
export type CellOrigin = NonNullable<QueryRequest['runbook']>;

/**
 * The origin of a run of the open draft's cell `cell`: the stored runbook's id and the cell, when
 * the draft is that runbook and the stored one has a pipeline cell there (the API checks the same);
 * none for a new, unsaved runbook or a cell added since the last save, whose run is ad hoc.
 *
 * @example
 * cellOrigin(rb, rb.id, 1) // { id: rb.id, cell: 1 }
 */
export function cellOrigin(stored: Runbook | null, draftId: string | null, cell: number): CellOrigin | undefined {
  return stored && stored.id === draftId && stored.cells[cell]?.kind === 'pipeline' ? { id: stored.id, cell } : undefined;
}

/**
 * Runs one pipeline's statement through POST /api/v1/query and gathers its answer: the rows, the
 * plan's columns and order, the summary, or the error (an error line, or what failed on the way,
 * with the rows that came before it). Only a refusal that asks for confirmation (too many
 * targets) is thrown, so the page can ask and run again with `yes`. A dry run (`dryRun`) runs
 * nothing: its summary carries the run's explanation.
 *
 * @example
 * const out = await streamCell('host | `uptime`', false, controller.signal);
 */
export async function streamCell(statement: string, yes: boolean, signal: AbortSignal, origin?: CellOrigin, dryRun = false): Promise<Pick<CellOutput, 'rows' | 'summary' | 'error'>> {
  const rows: ResultRow[] = [];
  let columns: readonly PlanColumn[] = [];
  let ordered = false;
  let summary: CellOutput['summary'] = null;
  let error: string | null = null;
  try {
    await streamQuery(
      { statement, ...(yes ? { yes: true } : {}), ...(dryRun ? { dryRun: true } : {}), ...(origin ? { runbook: origin } : {}) },
      (line) => {
        if (line.type === 'plan') {
          columns = line.plan.columns;
          ordered = line.plan.ordered;
        } else if (line.type === 'row') rows.push(line.row);
        else if (line.type === 'summary') summary = { ...line, columns, ordered };
        else if (line.type === 'error') error = `${line.code}: ${line.message}`;
      },
      signal,
    );
  } catch (err) {
    if (err instanceof ApiError && err.code === 'BW_ERR_CONFIRMATION_REQUIRED') throw err;
    error = errorMessage(err);
  }
  return { rows, summary: summary ?? (columns.length ? { columns, ordered } : null), error };
}
