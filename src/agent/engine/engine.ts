import { randomUUID } from 'node:crypto';
import type { AgentLogger } from '../log.js';
import type { Definition, FileDefinition } from '../../definitions/index.js';
import type { Catalogue } from '../../lang/index.js';
import type { AckMessage, AgentSilence, BacktestResultMessage, ControlsMessage, FleetEvent, PermitAnswerMessage } from '../../protocol/index.js';
import { orderedId } from '../../protocol/index.js';
import type { AgentConnection } from '../../transport/index.js';
import type { CommandRunner } from '../exec/types.js';
import type { Sample, Snapshot, TimeSeriesStore } from '../metrics/types.js';
import { selectedBy } from '../query/executor.js';
import { placement } from '../query/placement.js';
import type { AgentResource } from '../query/resources.js';
import { resourceEnv } from '../query/resources.js';
import type { PhaseRunner } from './alarms.js';
import { AlarmEngine } from './alarms.js';
import { BotEngine } from './bots.js';
import { ContainerEventWatch } from './container-events.js';
import type { CompiledDefinitions } from './compile.js';
import { compileDefinitions, localPhase } from './compile.js';
import { CustomMetrics } from './custom-metrics.js';
import { FileReports } from './file-reports.js';
import type { FileOutcome } from './files.js';
import { ensureFile } from './files.js';
import type { Outbox } from './outbox.js';
import { analyze } from '../../lang/index.js';

/** One transition a back-test found: when, on which resource, the value and a predictive alarm's forecast. */
type BacktestTransition = BacktestResultMessage['transitions'][number];

export interface EngineDeps {
  readonly host: string;
  readonly runner: CommandRunner;
  readonly tsdb: TimeSeriesStore;
  readonly outbox: Outbox;
  readonly logger: AgentLogger;
  readonly catalogue: Catalogue;
  readonly runPhase: PhaseRunner;
  resources(): { host: AgentResource; processes: readonly AgentResource[] };
  /** True the first time this agent (its identity, across restarts) asks for `key`. */
  once(key: string): boolean;
  /** Where the host's filesystem is, for file definitions (default `/`). */
  readonly fileRoot?: string;
  now(): number;
  /** The metric collection interval; alarms faster than it sample cheap host metrics themselves. */
  readonly collectIntervalMs: number;
  /** Cheap host metrics (disk, memory, load), when the source can sample them on their own. */
  collectFast?(): Promise<Sample[]>;
}

const PERMIT_TIMEOUT_MS = 2000;
const FILE_CHECK_MS = 10_000;
const EVENT_BATCH = 500;
/** Pids remembered per watched process name for restart detection (the newest seen). */
const MAX_PIDS_PER_NAME = 1024;

/**
 * The agent's remediation side: the definitions it was sent, compiled; alarms
 * evaluated after every collection; bots; custom metrics; files kept in place;
 * and the outbox that carries every event to the control plane, surviving
 * outages.
 */
export class RemediationEngine {
  private defs: CompiledDefinitions | undefined;
  /** What operators switched, as last received: kept while the control plane is away. */
  private controls: ControlsMessage | undefined;
  private connection: AgentConnection | undefined;
  /** The host's containers as last listed: where a bot's action on a pod runs (its main container). */
  private containers: readonly AgentResource[] = [];
  private readonly alarms: AlarmEngine;
  private readonly bots: BotEngine;
  private readonly metrics: CustomMetrics;
  private readonly files: FileReports;
  private readonly permits = new Map<string, (answer: { allowed: boolean; reason: string }) => void>();
  private seenNames = new Map<string, Set<number>>();
  private readonly containerWatch = new ContainerEventWatch();
  private lastFileCheck = 0;
  private inFlight = new Set<string>();
  private fastTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: EngineDeps) {
    this.alarms = new AlarmEngine(
      deps.host,
      deps.runPhase,
      (t) => {
        const silence = this.silencing(t.alarm.def.name);
        if (silence) {
          // Still evaluated and recorded, marked silenced (not notified); its bots do not run.
          const until = new Date(silence.endsAt).toISOString();
          this.emit({ ...t.event, message: `${t.event.message} (silenced until ${until} by ${silence.createdBy}: ${silence.reason})`, details: { ...t.event.details, silenced: { id: silence.id, by: silence.createdBy, until: silence.endsAt, reason: silence.reason } } });
          return;
        }
        this.emit(t.event);
        const resource = this.resolve(t.resource.id);
        if (resource && this.defs) {
          void this.bots.handle({ kind: 'alarm', alarm: t.alarm.def.name, on: t.state, resource, value: t.value, severity: t.alarm.def.severity }, this.defs);
        }
      },
      (alarm, message) => deps.logger.warn({ alarm }, message),
    );
    this.bots = new BotEngine({
      host: deps.host,
      runner: deps.runner,
      emit: (e) => this.emit(e),
      firing: (alarm, resource) => this.alarms.firing(alarm, resource),
      held: (bot) => this.held(bot),
      place: (resource) => placement(resource, this.containers),
      inScope: async (action, resource) => !action.scope || selectedBy(await deps.runPhase(action.scope.phase))(resource.ref),
      permit: (bot, resource) => this.askPermit(bot, resource),
      approval: (request) => this.connection?.send({ type: 'approval', id: orderedId(), ...request }) ?? false,
      now: deps.now,
    });
    this.metrics = new CustomMetrics(
      deps.runner,
      deps.tsdb,
      (metric, message) => deps.logger.warn({ metric }, `custom metric: ${message}`),
      () => resourceEnv(deps.resources().host),
    );
    this.files = new FileReports({ ...deps, emit: (e) => this.emit(e), hostResource: () => deps.resources().host.ref.id });
  }

  get version(): number | null {
    return this.defs?.version ?? null;
  }

  get compiled(): CompiledDefinitions | undefined {
    return this.defs;
  }

  setDefinitions(version: number, definitions: readonly Definition[]): void {
    const compiled = compileDefinitions(version, definitions, this.deps.catalogue);
    for (const p of compiled.problems) this.deps.logger.error({ version }, `definition not usable on this agent: ${p}`);
    this.defs = compiled;
    this.alarms.retain(compiled.alarms);
    this.scheduleFastAlarms(compiled);
    this.lastFileCheck = 0;
    void this.checkFiles();
    if (this.deps.once('host_joined')) void this.bots.handle({ kind: 'host_joined', resource: this.deps.resources().host }, compiled);
  }

  /** What operators switched for this host (silences, maintenance, bots off): in force until the next message. */
  setControls(controls: ControlsMessage): void {
    this.controls = controls;
  }

  /** The silence in force now of `alarm` on this host, if any (the control plane sent only the silences that select it). */
  silencing(alarm: string): AgentSilence | undefined {
    const now = this.deps.now();
    return this.controls?.silences.find((s) => s.endsAt > now && (s.alarm === null || s.alarm === alarm));
  }

  /** Why a bot may not start a run now: maintenance, or the bot switched off. */
  private held(bot: string): string | undefined {
    const maintenance = this.controls?.maintenance;
    if (maintenance) return `maintenance mode is on (set by ${maintenance.by}: ${maintenance.reason}); no new automated runs`;
    const off = this.controls?.disabledBots[bot];
    return off && `bot ${bot} is switched off (by ${off.by}: ${off.reason})`;
  }

  /** After each metric collection: restarts, custom metrics, alarms, files. */
  async afterCollect(snapshot: Snapshot): Promise<void> {
    const defs = this.defs;
    const now = this.deps.now();
    this.detectRestarts(snapshot, defs);
    if (!defs) return;
    this.metrics.tick(defs.metrics, now);
    if (now - this.lastFileCheck >= FILE_CHECK_MS) void this.checkFiles();
    await this.alarms.tick(defs.alarms, now);
  }

  /** After each listing of the host's containers (and their metering): restarts and OOM kills, for bots. */
  afterContainers(containers: readonly AgentResource[], oomKills: (container: AgentResource) => number | undefined): void {
    this.containers = containers;
    const events = this.containerWatch.observe(containers, oomKills);
    const defs = this.defs;
    if (defs) for (const e of events) void this.bots.handle({ kind: 'container', ...e }, defs);
  }

  attach(conn: AgentConnection): void {
    this.connection = conn;
    this.flush();
  }

  detach(): void {
    this.connection = undefined;
    this.inFlight.clear();
    for (const [id, answer] of this.permits) {
      this.permits.delete(id);
      answer({ allowed: false, reason: 'connection lost' });
    }
  }

  /**
   * The control plane is done with `ids` (stored, or refused: `refused` says why); `retry` names
   * events it did not take now (over this agent's quota): they are sent again after `afterMs`.
   */
  onAck(msg: Pick<AckMessage, 'ids' | 'refused' | 'retry'>): void {
    this.deps.outbox.ack(msg.ids);
    for (const id of msg.ids) this.inFlight.delete(id);
    for (const r of msg.refused ?? []) this.deps.logger.warn({ event: r.id }, `the control plane refused an event: ${r.reason}`);
    if (msg.retry) {
      for (const id of msg.retry.ids) this.inFlight.delete(id);
      const timer = setTimeout(() => this.flush(), msg.retry.afterMs);
      timer.unref?.();
      return;
    }
    this.flush();
  }

  onPermitAnswer(msg: PermitAnswerMessage): void {
    this.permits.get(msg.id)?.({ allowed: msg.allowed, reason: msg.reason });
    this.permits.delete(msg.id);
  }

  /** An external alert for this host: bots with a matching `external` trigger run. */
  onExternalAlert(name: string, context: Readonly<Record<string, string | number | boolean>>, on: 'fired' | 'resolved' = 'fired'): void {
    if (!this.defs) return;
    void this.bots.handle({ kind: 'external', name, on, resource: this.deps.resources().host, context }, this.defs);
  }

  /** Whether an alarm fires on a resource now (for tests and status). */
  firing(alarm: string, resourceId: string): boolean {
    return this.alarms.firing(alarm, resourceId);
  }

  stop(): void {
    this.bots.stop();
    clearInterval(this.fastTimer);
  }

  /**
   * Alarms with an interval shorter than the collection (250 ms, say) get their
   * own timer, which samples the cheap host metrics first, so they see a fault
   * sooner than the next once-a-second collection would show it.
   */
  private scheduleFastAlarms(defs: CompiledDefinitions): void {
    clearInterval(this.fastTimer);
    this.fastTimer = undefined;
    const fast = defs.alarms.filter((a) => a.def.intervalSeconds * 1000 < this.deps.collectIntervalMs);
    const sample = this.deps.collectFast;
    if (!fast.length || !sample) return;
    const every = Math.max(50, Math.min(...fast.map((a) => a.def.intervalSeconds * 1000)));
    this.fastTimer = setInterval(() => {
      void sample()
        .then((samples) => {
          this.deps.tsdb.append('host', this.deps.now(), samples);
          return this.alarms.tick(fast, this.deps.now());
        })
        .catch((err: unknown) => this.deps.logger.warn({ err: (err as Error).message }, 'fast alarm sampling failed'));
    }, every);
    this.fastTimer.unref?.();
  }

  /** Replays an alarm over the stored history: when it would have fired and cleared. */
  async backtest(definition: unknown, seconds: number, runAt: (time: number) => PhaseRunner): Promise<BacktestTransition[]> {
    const defs = compileDefinitions(0, [definition as Definition, ...(this.defs ? [...this.defs.actionDefs.values()] : [])], this.deps.catalogue);
    const alarm = defs.alarms[0];
    if (!alarm) throw new Error(defs.problems[0] ?? 'not an alarm definition');
    const transitions: BacktestTransition[] = [];
    const end = Math.floor(this.deps.now() / 1000) * 1000;
    const stepMs = Math.max(1000, alarm.def.intervalSeconds * 1000);
    let clock = end - seconds * 1000;
    const runner: PhaseRunner = (phase, targets) => runAt(clock)(phase, targets);
    const engine = new AlarmEngine(this.deps.host, runner, (t) => transitions.push({ time: clock, resource: t.resource.id, state: t.state, value: t.value, ...(t.predicted ? { predicted: t.predicted } : {}) }), () => undefined);
    for (; clock <= end; clock += stepMs) await engine.tick([alarm], clock);
    return transitions;
  }

  // ---- internals ----

  private emit(event: FleetEvent): void {
    this.deps.outbox.append([event]);
    this.deps.logger.info({ event: event.type, alarm: event.alarm, bot: event.bot }, event.message);
    this.flush();
  }

  /** Sends what the outbox holds and is not in flight; acks remove it. */
  private flush(): void {
    const conn = this.connection;
    if (!conn) return;
    const batch = this.deps.outbox.pending(EVENT_BATCH + this.inFlight.size).filter((e) => !this.inFlight.has(e.id)).slice(0, EVENT_BATCH);
    if (!batch.length) return;
    if (conn.send({ type: 'events', events: batch })) for (const e of batch) this.inFlight.add(e.id);
  }

  private askPermit(bot: string, resource: string): Promise<{ allowed: boolean; reason: string } | undefined> {
    const conn = this.connection;
    if (!conn) return Promise.resolve(undefined);
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.permits.delete(id);
        resolve(undefined);
      }, PERMIT_TIMEOUT_MS);
      this.permits.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer.reason === 'connection lost' ? undefined : answer);
      });
      if (!conn.send({ type: 'permit', id, bot, resource })) {
        clearTimeout(timer);
        this.permits.delete(id);
        resolve(undefined);
      }
    });
  }

  private resolve(resourceId: string): AgentResource | undefined {
    const { host, processes } = this.deps.resources();
    return host.ref.id === resourceId ? host : processes.find((p) => p.ref.id === resourceId);
  }

  /** A process of a watched name that appears with a new pid after one was seen before is a restart. */
  private detectRestarts(snapshot: Snapshot, defs: CompiledDefinitions | undefined): void {
    const watched = new Set<string>();
    for (const b of defs?.bots ?? []) if ('event' in b.trigger && b.trigger.event === 'process_restarted') watched.add(b.trigger.process);
    const now = new Map<string, Set<number>>();
    for (const p of snapshot.processes) {
      if (!watched.has(p.info.name)) continue;
      (now.get(p.info.name) ?? now.set(p.info.name, new Set()).get(p.info.name))?.add(p.info.pid);
    }
    for (const [name, pids] of now) {
      const before = this.seenNames.get(name);
      if (!before || !defs) continue;
      for (const pid of pids) {
        if (before.has(pid)) continue;
        const resource = this.resolve(`${this.deps.host}/${pid}`);
        if (resource) void this.bots.handle({ kind: 'process_restarted', resource, process: name, pid }, defs);
      }
    }
    // Remember the pids seen per watched name, so a name seen once counts as "seen before" from then
    // on. Pids seen now move to the end, and only the newest MAX_PIDS_PER_NAME are kept: a service
    // that restarts every minute for months must not grow the set without bound.
    const seen = new Map<string, Set<number>>();
    for (const name of watched) {
      const all = this.seenNames.get(name) ?? new Set<number>();
      for (const pid of now.get(name) ?? []) {
        all.delete(pid);
        all.add(pid);
      }
      for (const pid of all) {
        if (all.size <= MAX_PIDS_PER_NAME) break;
        all.delete(pid);
      }
      seen.set(name, all);
    }
    this.seenNames = seen;
  }

  private async checkFiles(): Promise<void> {
    const defs = this.defs;
    if (!defs) return;
    this.lastFileCheck = this.deps.now();
    const outcomes: { def: FileDefinition; outcome: FileOutcome }[] = [];
    for (const f of defs.files) {
      const analysis = analyze(f.query, defs.catalogue);
      if (!analysis.plan) continue;
      const rows = await this.deps.runPhase(localPhase(analysis.plan));
      if (!rows.some((r) => r.status === 'ok' && r.resource?.type === 'host')) continue;
      outcomes.push({ def: f, outcome: await ensureFile(f, this.deps.fileRoot) });
    }
    this.files.report(outcomes);
  }
}
