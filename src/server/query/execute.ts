import type { AgentStep, Phase, PlanExpr, Plan } from '../../lang/index.js';
import { evaluateSync, truthy } from '../../lang/index.js';
import type { FleetEvent, JsonValue, ResultRow } from '../../protocol/index.js';
import { BY_NAME, BreakwaterError } from '../../protocol/index.js';
import type { Fleet, InventoryHost } from '../fleet/index.js';
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
  /** Rollout progress, batch by batch. */
  readonly onProgress?: (progress: Progress) => void;
  /** Recent events, newest first, for `events | ...` statements. */
  readonly events?: () => Promise<readonly FleetEvent[]>;
}

/** One step of a rollout, as it happens. */
export interface Progress {
  readonly stage: 'batch_started' | 'batch_done' | 'waiting_for_health' | 'healthy' | 'halted';
  readonly batch: number;
  readonly batches: number;
  readonly resources: readonly string[];
  readonly message: string;
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
export async function executePlan(plan: Plan, gateway: Fleet, options: ExecuteOptions): Promise<ExecuteResult> {
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
  /** Agent phases a rollout already ran. */
  const skip = new Set<number>();

  for (const [index, phase] of phases.entries()) {
    if (options.signal?.aborted) throw new BreakwaterError('BW_ERR_CONFLICT', 'query cancelled');
    switch (phase.where) {
      case 'inventory':
        rows = gateway
          .inventory()
          .filter((h) => !phase.filter || truthy(evaluateSync(phase.filter, hostContext(h))))
          .sort((a, b) => BY_NAME.compare(a.name, b.name))
          .map((h) => ({ resource: { type: 'host', id: h.name, name: h.name, host: h.name }, status: 'ok', values: {} }));
        break;
      case 'events': {
        if (!options.events) throw new BreakwaterError('BW_ERR_UNAVAILABLE', 'events are not available here');
        const filter = phase.filter;
        const now = Date.now();
        rows = (await options.events())
          .map(eventRow(now))
          .filter((r) => !filter || truthy(evaluateSync(filter, fieldContext(r))));
        break;
      }
      case 'rollout': {
        const next = phases[index + 1];
        if (next?.where !== 'agent') throw new BreakwaterError('BW_ERR_INVALID_STATEMENT', 'rolling(...) must be followed by the command or action it rolls out');
        targets = rows.length;
        const rolled = await rollout(phase, next, rows, gateway, options);
        agentsAsked += rolled.asked;
        agentsAnswered += rolled.answered;
        rows = rolled.rows.filter((r) => r.status === 'ok');
        failures.push(...rolled.rows.filter((r) => r.status !== 'ok'));
        skip.add(index + 1);
        break;
      }
      case 'agent': {
        if (skip.has(index)) break;
        if (index === effectful && !skip.size) targets = rows.length;
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

/** A step that runs something on the host: a command, an action, or a check command inside an expression. */
function isEffect(s: AgentStep): boolean {
  if (s.op === 'command' || s.op === 'action') return true;
  return s.op !== 'traverse' && runsCommand(s.expr);
}

function runsCommand(e: PlanExpr): boolean {
  switch (e.k) {
    case 'cmd':
      return true;
    case 'call':
      return e.args.some(runsCommand);
    case 'list':
      return e.items.some(runsCommand);
    case 'not':
    case 'neg':
      return runsCommand(e.x);
    case 'bin':
      return runsCommand(e.l) || runsCommand(e.r);
    default:
      return false;
  }
}

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
  gateway: Fleet,
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
  const id = crypto.randomUUID();
  const queryMessage = (targets: readonly string[] | undefined) => ({
    type: 'query',
    id,
    principal: options.principal,
    phase,
    timeoutMs: Math.max(1, timeoutMs - 250),
    ...(options.runId ? { runId: options.runId } : {}),
    ...(targets ? { targets } : {}),
  });
  let sharedFrame: string | undefined;
  for (const [host, hostRows] of byHost) {
    const failAll = (status: ResultRow['status'], error: string) => emit(hostRows.map((r) => ({ resource: r.resource, status, error, values: r.values })));
    if (!gateway.connected(host)) {
      const seen = gateway.host(host)?.lastSeenAt;
      failAll('offline', `agent offline${seen ? ` (last seen ${new Date(seen).toISOString()})` : ' (never connected)'}`);
      continue;
    }
    // One query id for the whole fan-out (waiters are per agent), so agents asked the same
    // thing share one encoded frame: at a thousand agents, encoding is a real cost.
    const frame = fromInventory ? (sharedFrame ??= JSON.stringify(queryMessage(undefined))) : JSON.stringify(queryMessage(hostRows.map((r) => r.resource?.id ?? '')));
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
        const sent = gateway.send(host, id, frame, {
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

/**
 * Runs the agent phase after a rollout in batches: never more than one batch
 * at a time; after each batch, waits `pause`, then polls `until` on the batch's
 * hosts until it holds everywhere (or `timeout`). The first failed or unhealthy
 * batch halts the rollout: later resources are reported as not run, and why.
 */
async function rollout(
  phase: Extract<Phase, { where: 'rollout' }>,
  next: Extract<Phase, { where: 'agent' }>,
  input: readonly ResultRow[],
  gateway: Fleet,
  options: ExecuteOptions,
): Promise<FanOutResult> {
  const size = 'count' in phase.batch ? phase.batch.count : Math.max(1, Math.ceil((input.length * phase.batch.percent) / 100));
  const batches: ResultRow[][] = [];
  for (let i = 0; i < input.length; i += size) batches.push(input.slice(i, i + size));
  const out: ResultRow[] = [];
  let asked = 0;
  let answered = 0;
  const progress = (stage: Progress['stage'], batch: number, rows: readonly ResultRow[], message: string) =>
    options.onProgress?.({ stage, batch: batch + 1, batches: batches.length, resources: rows.map((r) => r.resource?.name ?? '?'), message });
  for (const [b, batch] of batches.entries()) {
    progress('batch_started', b, batch, `batch ${b + 1}/${batches.length}: ${batch.map((r) => r.resource?.name).join(', ')}`);
    const result = await fanOut(next, batch, false, gateway, options, Date.now() + options.timeoutMs, undefined);
    asked += result.asked;
    answered += result.answered;
    out.push(...result.rows);
    const bad = result.rows.filter((r) => r.status !== 'ok' || (typeof r.values.exit_code === 'number' && r.values.exit_code !== 0));
    let halt: string | undefined;
    if (bad.length) halt = `batch ${b + 1} failed on ${bad.map((r) => r.resource?.name).join(', ')}`;
    else {
      const last = b === batches.length - 1;
      if (phase.pauseSeconds > 0 && !last) await delay(phase.pauseSeconds * 1000, options.signal);
      // The last batch is checked too: a rollout that ends unhealthy has not succeeded.
      if (phase.until) {
        progress('waiting_for_health', b, batch, `waiting up to ${phase.timeoutSeconds}s for the health check on batch ${b + 1}`);
        const sick = await waitHealthy(phase.until, batch, gateway, options, phase.timeoutSeconds * 1000);
        if (sick.length) {
          halt = `batch ${b + 1} did not become healthy within ${phase.timeoutSeconds}s: ${sick.join(', ')}`;
          for (const r of out) {
            if (r.status === 'ok' && sick.includes(r.resource?.host ?? '')) Object.assign(r, { status: 'error' as const, error: `ran, but did not become healthy within ${phase.timeoutSeconds}s` });
          }
        } else progress('healthy', b, batch, `batch ${b + 1} is healthy`);
      }
    }
    progress(halt ? 'halted' : 'batch_done', b, batch, halt ?? `batch ${b + 1}/${batches.length} done`);
    if (halt) {
      for (const rest of batches.slice(b + 1).flat()) out.push({ ...(rest.resource ? { resource: rest.resource } : {}), status: 'cancelled', error: `not run: the rollout halted (${halt})`, values: {} });
      break;
    }
  }
  return { rows: out, asked, answered };
}

/** Hosts of the batch for which the health check does not hold yet, polled once a second until the deadline. */
async function waitHealthy(until: PlanExpr, batch: readonly ResultRow[], gateway: Fleet, options: ExecuteOptions, timeoutMs: number): Promise<string[]> {
  const hosts = [...new Set(batch.map((r) => r.resource?.host ?? ''))];
  const deadline = Date.now() + timeoutMs;
  // A host that passed once since its restart is healthy: only the others are asked again.
  const healthy = new Set<string>();
  for (;;) {
    const pending = hosts.filter((h) => !healthy.has(h));
    const rows = pending.map((h): ResultRow => ({ resource: { type: 'host', id: h, name: h, host: h }, status: 'ok', values: {} }));
    // Each poll gets at least a second, so the last one is not cut short by the deadline.
    const check = await fanOut({ where: 'agent', resource: 'host', steps: [{ op: 'filter', expr: until }] }, rows, false, gateway, options, Math.max(Date.now() + 1000, Math.min(deadline, Date.now() + 10_000)), undefined);
    for (const r of check.rows) if (r.status === 'ok' && r.resource) healthy.add(r.resource.host);
    const sick = hosts.filter((h) => !healthy.has(h));
    if (!sick.length || Date.now() >= deadline) return sick;
    await delay(1000, options.signal);
  }
}

/**
 * Waits `ms` (nothing when not positive), or until aborted; the abort listener goes with the wait,
 * so a long-lived signal does not collect one per wait.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/** Events as rows: fields as values, plus `age` in seconds. */
function eventRow(now: number) {
  return (e: FleetEvent): ResultRow => {
    const values: Record<string, JsonValue> = {
      time: e.time / 1000,
      age: Math.max(0, (now - e.time) / 1000),
      type: e.type,
      host: e.host,
      resource: e.resource,
      alarm: e.alarm,
      bot: e.bot,
      action: e.action,
      severity: e.severity,
      run: e.runId,
      principal: e.principal,
      message: e.message,
      value: e.value,
    };
    return { status: 'ok', values };
  };
}

function fieldContext(r: ResultRow) {
  return {
    metric: () => undefined,
    range: () => [],
    attr: () => undefined,
    tag: () => undefined,
    col: (name: string) => r.values[name] as never,
    field: (name: string) => (r.values[name] ?? null) as never,
    check: () => Promise.reject(new Error('checks run on agents')),
  };
}

/** What a filter on hosts sees of an inventory host: its tags and attributes (metrics and checks live on agents). */
export function hostContext(h: InventoryHost) {
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

function rowContext(gateway: Fleet): RowContext {
  return (row) => {
    const host = row.resource?.type === 'host' && row.resource.host ? gateway.host(row.resource.host) : undefined;
    return {
      attr: (name) => host?.attrs[name],
      tag: (name) => (row.resource?.host ? gateway.host(row.resource.host)?.tags[name] : undefined),
      field: (name) => row.values[name] as never,
    };
  };
}

function lastIndexOf<T>(items: readonly T[], pred: (t: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i] as T)) return i;
  return -1;
}
