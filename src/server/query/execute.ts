import type { AgentStep, Phase, Plan } from '../../lang/index.js';
import { evaluateSync, truthy } from '../../lang/index.js';
import type { ResultRow } from '../../protocol/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { AgentGateway, InventoryHost } from '../gateway.js';
import type { RowContext } from './reduce.js';
import { reduceRows } from './reduce.js';

export interface ExecuteOptions {
  readonly principal: string;
  readonly runId?: string;
  /** The whole query's time budget; agents that have not answered by then become `timeout` rows. */
  readonly timeoutMs: number;
  /** List the targets the first command or action would reach, without running anything. */
  readonly dryRun?: boolean;
  /** Rows of the last phase, as they arrive (for streaming); called before the final result. */
  readonly onRows?: (rows: readonly ResultRow[]) => void;
  readonly signal?: AbortSignal;
}

export interface ExecuteResult {
  /** Rows of the result; rows whose resource failed (error, timeout, offline) are in `failures`. */
  readonly rows: readonly ResultRow[];
  readonly failures: readonly ResultRow[];
  /** Resources the effectful phase addressed (for run records and blast radius). */
  readonly targets: number;
  /** Agents asked in all, and how many answered in time. */
  readonly agentsAsked: number;
  readonly agentsAnswered: number;
}

/**
 * Executes a plan: inventory on the control plane, agent phases fanned out to
 * only the agents whose hosts are still in the rows, control phases on the
 * merged rows. Offline or slow agents show up as rows with that status.
 */
export async function executePlan(plan: Plan, gateway: AgentGateway, options: ExecuteOptions): Promise<ExecuteResult> {
  const phases = options.dryRun ? dryRunPhases(plan.phases) : plan.phases;
  const deadline = Date.now() + options.timeoutMs;
  let rows: ResultRow[] = [];
  const failures: ResultRow[] = [];
  let previous: Phase['where'] | undefined;
  let agentsAsked = 0;
  let agentsAnswered = 0;
  let targets = 0;
  const lastAgentPhase = lastIndexOf(phases, (p) => p.where === 'agent');
  const effectful = phases.findIndex((p) => p.where === 'agent' && p.steps.some(isEffect));

  for (const [index, phase] of phases.entries()) {
    if (options.signal?.aborted) throw new BreakwaterError('BW_ERR_CONFLICT', 'query cancelled');
    switch (phase.where) {
      case 'inventory':
        rows = gateway
          .inventory()
          .filter((h) => !phase.filter || truthy(evaluateSync(phase.filter, hostContext(h))))
          .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
          .map((h) => ({ resource: { type: 'host', id: h.name, name: h.name, host: h.name }, status: 'ok', values: {} }));
        break;
      case 'events':
        throw new BreakwaterError('BW_ERR_INVALID_STATEMENT', 'events queries are not available yet: the event store arrives with alarms and bots');
      case 'rollout':
        throw new BreakwaterError('BW_ERR_INVALID_STATEMENT', 'rolling(...) is not available yet: rollouts arrive with schedules and bots');
      case 'agent': {
        if (index === effectful) targets = rows.length;
        const streaming = index === lastAgentPhase && !phases.slice(index + 1).some((p) => p.where === 'control') ? options.onRows : undefined;
        const result = await fanOut(phase, rows, previous === 'inventory', gateway, options, deadline, streaming);
        agentsAsked += result.asked;
        agentsAnswered += result.answered;
        rows = result.rows.filter((r) => r.status === 'ok');
        failures.push(...result.rows.filter((r) => r.status !== 'ok'));
        break;
      }
      case 'control':
        rows = reduceRows(rows, phase.steps, rowContext(gateway));
        break;
    }
    previous = phase.where;
  }
  if (effectful < 0) targets = rows.length;
  return { rows, failures, targets, agentsAsked, agentsAnswered };
}

const isEffect = (s: AgentStep) => s.op === 'command' || s.op === 'action' || (s.op !== 'traverse' && JSON.stringify(s).includes('"k":"cmd"'));

/** A dry run stops before the first step that would run something: what is left lists the targets. */
function dryRunPhases(phases: readonly Phase[]): Phase[] {
  const out: Phase[] = [];
  for (const p of phases) {
    if (p.where === 'rollout') break;
    if (p.where !== 'agent') {
      out.push(p);
      continue;
    }
    const cut = p.steps.findIndex(isEffect);
    if (cut < 0) {
      out.push(p);
      continue;
    }
    if (cut > 0) out.push({ ...p, steps: p.steps.slice(0, cut) });
    break;
  }
  return out;
}

interface FanOutResult {
  readonly rows: ResultRow[];
  readonly asked: number;
  readonly answered: number;
}

async function fanOut(
  phase: Extract<Phase, { where: 'agent' }>,
  input: readonly ResultRow[],
  fromInventory: boolean,
  gateway: AgentGateway,
  options: ExecuteOptions,
  deadline: number,
  onRows: ((rows: readonly ResultRow[]) => void) | undefined,
): Promise<FanOutResult> {
  const byHost = new Map<string, ResultRow[]>();
  for (const r of input) {
    const host = r.resource?.host;
    if (host !== undefined) (byHost.get(host) ?? byHost.set(host, []).get(host))?.push(r);
  }
  const out: ResultRow[] = [];
  const emit = (rows: readonly ResultRow[]) => {
    out.push(...rows);
    onRows?.(rows);
  };
  let answered = 0;
  const asks: Promise<void>[] = [];
  const timeoutMs = Math.max(1, deadline - Date.now());
  for (const [host, hostRows] of byHost) {
    const failAll = (status: ResultRow['status'], error: string) => emit(hostRows.map((r) => ({ resource: r.resource, status, error, values: r.values })));
    if (!gateway.connected(host)) {
      const seen = gateway.host(host)?.lastSeenAt;
      failAll('offline', `agent offline${seen ? ` (last seen ${new Date(seen).toISOString()})` : ' (never connected)'}`);
      continue;
    }
    const id = crypto.randomUUID();
    const message = {
      type: 'query',
      id,
      principal: options.principal,
      phase,
      timeoutMs: Math.max(1, timeoutMs - 250),
      ...(options.runId ? { runId: options.runId } : {}),
      ...(fromInventory ? {} : { targets: hostRows.map((r) => r.resource?.id ?? '') }),
    };
    asks.push(
      new Promise<void>((resolve) => {
        let settled = false;
        const settle = () => {
          settled = true;
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          if (settled) return;
          gateway.cancel(host, id);
          failAll('timeout', `agent did not answer within ${Math.round(timeoutMs / 100) / 10}s`);
          settle();
        }, timeoutMs);
        const sent = gateway.send(host, message, {
          onRows: (rows) => {
            if (!settled) emit(rows);
          },
          onDone: (error) => {
            if (settled) return;
            if (error) failAll('error', error);
            else answered++;
            settle();
          },
          onLost: (reason) => {
            if (settled) return;
            failAll('offline', reason);
            settle();
          },
        });
        if (!sent) {
          failAll('offline', 'agent disconnected before the query was sent');
          settle();
        }
      }),
    );
  }
  await Promise.all(asks);
  return { rows: out, asked: asks.length, answered };
}

function hostContext(h: InventoryHost) {
  return {
    metric: () => undefined,
    range: () => [],
    attr: (name: string) => h.attrs[name],
    tag: (name: string) => h.tags[name],
    col: () => undefined,
    field: () => undefined,
    check: () => Promise.reject(new Error('checks run on agents')),
  };
}

function rowContext(gateway: AgentGateway): RowContext {
  return (row) => {
    const host = row.resource?.type === 'host' && row.resource.host ? gateway.host(row.resource.host) : undefined;
    return {
      attr: (name) => host?.attrs[name],
      tag: (name) => (row.resource?.host ? gateway.host(row.resource.host)?.tags[name] : undefined),
      field: () => undefined,
    };
  };
}

function lastIndexOf<T>(items: readonly T[], pred: (t: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i] as T)) return i;
  return -1;
}
