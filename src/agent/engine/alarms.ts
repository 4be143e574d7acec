import type { AgentPhase } from '../../lang/index.js';
import type { AlarmPrediction, FleetEvent, ResourceRef, ResultRow } from '../../protocol/index.js';
import { describePrediction, orderedId } from '../../protocol/index.js';
import type { CompiledAlarm } from './compile.js';
import { predictedCrossing } from './prediction.js';

/** Runs an agent phase on this agent's resources (the query executor, injected). */
export type PhaseRunner = (phase: AgentPhase, targets?: readonly string[]) => Promise<ResultRow[]>;

type State = { kind: 'ok' } | { kind: 'pending'; since: number } | { kind: 'firing'; since: number; value: number | null } | { kind: 'clearing'; since: number; value: number | null };

export interface AlarmTransition {
  readonly alarm: CompiledAlarm;
  readonly resource: ResourceRef;
  readonly state: 'fired' | 'cleared';
  readonly value: number | null;
  /** A predictive alarm's forecast, when it fired and the line heads for the threshold. */
  readonly predicted?: AlarmPrediction;
  readonly event: FleetEvent;
}

/**
 * Evaluates alarms on the agent itself, against its own per-second store, so
 * detection keeps working while the control plane is away. Each (alarm,
 * resource) moves ok -> pending -> firing -> clearing -> ok, honouring the hold
 * times; fired and cleared transitions become events carrying the value.
 */
export class AlarmEngine {
  /** Per alarm and resource: its state, and the resource as last seen (to clear it once it left the scope). */
  private readonly states = new Map<string, { readonly state: State; readonly resource: ResourceRef }>();
  private readonly lastRun = new Map<string, number>();
  private running = false;

  constructor(
    private readonly host: string,
    private readonly run: PhaseRunner,
    private readonly onTransition: (t: AlarmTransition) => void,
    private readonly onProblem: (alarm: string, message: string) => void,
  ) {}

  /** Evaluates every alarm whose interval has elapsed. Overlapping ticks are skipped, not queued. */
  async tick(alarms: readonly CompiledAlarm[], now: number): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await Promise.all(
        alarms.map(async (a) => {
          const last = this.lastRun.get(a.def.name) ?? 0;
          // A little slack so a 1 s alarm on a 1 s collection tick does not skip every other tick.
          if (now - last < a.def.intervalSeconds * 1000 - 50) return;
          this.lastRun.set(a.def.name, now);
          try {
            await this.evaluate(a, now);
          } catch (err) {
            this.onProblem(a.def.name, (err as Error).message);
          }
        }),
      );
    } finally {
      this.running = false;
    }
  }

  /** Drops the state of alarms that are no longer defined. */
  retain(alarms: readonly CompiledAlarm[]): void {
    const names = new Set(alarms.map((a) => a.def.name));
    for (const key of [...this.states.keys()]) if (!names.has(key.split('\u0000')[0] ?? '')) this.states.delete(key);
  }

  /** Whether the alarm is firing (or clearing) on the resource now. */
  firing(alarm: string, resourceId: string): boolean {
    const s = this.states.get(`${alarm}\u0000${resourceId}`)?.state;
    return s?.kind === 'firing' || s?.kind === 'clearing';
  }

  private async evaluate(a: CompiledAlarm, now: number): Promise<void> {
    const [scopeRows, fireRows, clearRows] = await Promise.all([this.run(a.scope), this.run(a.fire), a.clear ? this.run(a.clear) : Promise.resolve(undefined)]);
    const inScope = new Map<string, ResourceRef>();
    for (const r of scopeRows) if (r.status === 'ok' && r.resource) inScope.set(r.resource.id, r.resource);
    const firing = ids(fireRows);
    const clearing = clearRows ? ids(clearRows) : undefined;
    // A resource whose fire condition could not be evaluated (a check that timed out) keeps its state:
    // unknown is neither "fires" nor "no longer fires".
    const unknown = new Set<string>();
    for (const r of fireRows) {
      if (r.status === 'ok') continue;
      if (r.resource) unknown.add(r.resource.id);
      if (r.error) this.onProblem(a.def.name, `${r.resource?.name ?? '?'}: ${r.error}`);
    }

    const fired: ResourceRef[] = [];
    const cleared: ResourceRef[] = [];
    for (const [id, resource] of inScope) {
      if (unknown.has(id)) continue;
      const key = `${a.def.name}\u0000${id}`;
      const state = this.states.get(key)?.state ?? { kind: 'ok' };
      const fires = firing.has(id);
      const clears = clearing ? clearing.has(id) : !fires;
      const next = step(state, fires, clears, now, a.def.fireForSeconds * 1000, a.def.clearForSeconds * 1000);
      if (next.kind === 'firing' && state.kind !== 'firing' && state.kind !== 'clearing') fired.push(resource);
      if (next.kind === 'ok' && (state.kind === 'firing' || state.kind === 'clearing')) cleared.push(resource);
      if (next.kind === 'ok') this.states.delete(key);
      else this.states.set(key, { state: next, resource });
    }
    // Resources that left the scope (a process that exited) clear without a condition.
    for (const key of [...this.states.keys()]) {
      const [alarm, id] = key.split('\u0000') as [string, string];
      if (alarm === a.def.name && !inScope.has(id)) {
        const s = this.states.get(key);
        this.states.delete(key);
        if (s && (s.state.kind === 'firing' || s.state.kind === 'clearing')) cleared.push(s.resource);
      }
    }
    if (!fired.length && !cleared.length) return;
    const measured = a.value ? await this.measure(a, [...fired, ...cleared], now) : new Map<string, Measured>();
    for (const resource of fired) this.emit(a, resource, 'fired', measured.get(resource.id), now);
    for (const resource of cleared) this.emit(a, resource, 'cleared', { value: measured.get(resource.id)?.value ?? null }, now);
  }

  /** The measured value per resource and, for a predictive alarm, when its fitted line reaches the threshold. */
  private async measure(a: CompiledAlarm, resources: readonly ResourceRef[], now: number): Promise<Map<string, Measured>> {
    const rows = await this.run(a.value as AgentPhase, resources.map((r) => r.id));
    const out = new Map<string, Measured>();
    for (const r of rows) {
      if (!r.resource) continue;
      const { value, fitted, slope } = r.values;
      const predicted = a.prediction && typeof fitted === 'number' && typeof slope === 'number' ? predictedCrossing(fitted, slope, a.prediction, now) : undefined;
      out.set(r.resource.id, { value: typeof value === 'number' ? value : null, ...(predicted ? { predicted } : {}) });
    }
    return out;
  }

  private emit(a: CompiledAlarm, resource: ResourceRef, state: 'fired' | 'cleared', measured: Measured | undefined, now: number): void {
    const value = measured?.value ?? null;
    const predicted = measured?.predicted;
    const forecast = predicted && a.prediction ? `: ${describePrediction(a.prediction.subject, a.prediction.thresholdText, predicted.seconds)}` : '';
    // A predictive alarm's value is its line's value at the horizon, not a reading: said so.
    const shown = (value === null ? '' : ` (${a.prediction ? 'predicted value' : 'value'} ${Math.round(value * 100) / 100})`) + forecast;
    const event: FleetEvent = {
      id: orderedId(),
      time: now,
      type: state === 'fired' ? 'alarm_fired' : 'alarm_cleared',
      host: this.host,
      resource: resource.id,
      alarm: a.def.name,
      bot: null,
      action: null,
      severity: a.def.severity,
      runId: null,
      principal: `agent:${this.host}`,
      message: `alarm ${a.def.name} ${state} on ${resource.type === 'host' ? resource.name : resource.id}${shown}`,
      value,
      details: { condition: state === 'fired' ? a.def.fire : (a.def.clear ?? `not (${a.def.fire})`), ...(predicted ? { predicted } : {}) },
    };
    this.onTransition({ alarm: a, resource, state, value, ...(predicted ? { predicted } : {}), event });
  }
}

/** What an event reports of the resource: the measured value, and a predictive alarm's forecast. */
interface Measured {
  readonly value: number | null;
  readonly predicted?: AlarmPrediction;
}

function ids(rows: readonly ResultRow[]): Set<string> {
  const out = new Set<string>();
  for (const r of rows) if (r.status === 'ok' && r.resource) out.add(r.resource.id);
  return out;
}

/** One step of the alarm state machine for one resource. */
export function step(state: State, fires: boolean, clears: boolean, now: number, fireForMs: number, clearForMs: number): State {
  switch (state.kind) {
    case 'ok':
      if (!fires) return state;
      return fireForMs <= 0 ? { kind: 'firing', since: now, value: null } : { kind: 'pending', since: now };
    case 'pending':
      if (!fires) return { kind: 'ok' };
      return now - state.since >= fireForMs ? { kind: 'firing', since: now, value: null } : state;
    case 'firing':
      if (!clears) return state;
      return clearForMs <= 0 ? { kind: 'ok' } : { kind: 'clearing', since: now, value: state.value };
    case 'clearing':
      if (!clears) return { kind: 'firing', since: state.since, value: state.value };
      return now - state.since >= clearForMs ? { kind: 'ok' } : state;
  }
}
