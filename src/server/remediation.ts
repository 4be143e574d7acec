import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AlarmDefinition, BotDefinition, Definition, ScheduleDefinition, SecretDefinition } from '../definitions/index.js';
import { botPrincipal, diffDefinitions, parseDefinitions, renderPlan } from '../definitions/index.js';
import type { Catalogue } from '../lang/index.js';
import { BUILTIN_CATALOGUE, extendCatalogue } from '../lang/index.js';
import type { ApprovalRequestMessage, BacktestResultMessage, FleetEvent } from '../protocol/index.js';
import { BreakwaterError } from '../protocol/index.js';
import type { Principal } from './auth.js';
import type { GatewayHooks } from './gateway.js';
import type { Fleet } from './fleet/index.js';
import type { Notifier } from './notify.js';
import type { StatementContext } from './query/run-statement.js';
import { audit, authorizeStatement, outcomeOf, runStatement } from './query/run-statement.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { EventBus } from './event-bus.js';
import { Scheduler } from './scheduler.js';
import type { SecretVault } from './secrets/index.js';
import { DefinitionDelivery } from './secrets/index.js';
import type { ApprovalRecord, EventRecord, Store } from './store/index.js';
import { isStoreError } from './store/index.js';

const APPROVAL_SWEEP_MS = 2000;

/**
 * The control plane's side of remediation: the current definitions (and the
 * catalogue they extend), applying new versions, pushing them to agents,
 * storing agents' events exactly once, the fleet-wide circuit breaker,
 * approvals, schedules, back-tests and notifications.
 */
export class Remediation {
  private current: { version: number; definitions: readonly Definition[] } | undefined;
  private cat: Catalogue = BUILTIN_CATALOGUE;
  private delivery: DefinitionDelivery | undefined;
  private readonly breaker: CircuitBreaker;
  private readonly scheduler: Scheduler;
  private readonly backtests = new Map<string, (agent: string, msg: BacktestResultMessage) => void>();
  private readonly sweeper: NodeJS.Timeout;
  private gatewayRef: Fleet | undefined;
  /** Each event the first time it is stored, for live subscribers (GET /api/v1/events/stream). */
  readonly bus = new EventBus();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly notifier: Notifier,
    private readonly statements: () => StatementContext,
    /** The secrets' values, for delivery to agents and redaction. */
    readonly secrets: SecretVault,
  ) {
    this.scheduler = new Scheduler((s) => this.runSchedule(s), logger);
    this.breaker = new CircuitBreaker(store, logger, (e) => this.record(e));
    this.sweeper = setInterval(() => void this.expireApprovals(), APPROVAL_SWEEP_MS);
    this.sweeper.unref();
  }

  set gateway(g: Fleet) {
    this.gatewayRef = g;
  }

  private get gw(): Fleet {
    if (!this.gatewayRef) throw new BreakwaterError('BW_ERR_INTERNAL', 'remediation used before the gateway was attached');
    return this.gatewayRef;
  }

  async load(): Promise<void> {
    const stored = await this.store.currentDefinitions();
    if (stored) await this.install(stored.version, stored.definitions as Definition[]);
  }

  /** The language catalogue with the fleet's custom metrics and actions. */
  catalogue(): Catalogue {
    return this.cat;
  }

  definitions(): { version: number; definitions: readonly Definition[] } {
    return this.current ?? { version: 0, definitions: [] };
  }

  stop(): void {
    this.scheduler.stop();
    clearInterval(this.sweeper);
    this.bus.close();
  }

  // ---- definitions ----

  /** Checks files and compares them with the current version: what `apply` would do. */
  plan(files: readonly { path: string; text: string }[]) {
    const parsed = parseDefinitions(files, BUILTIN_CATALOGUE);
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    const base = this.definitions();
    if (errors.length) return { ok: false as const, baseVersion: base.version, diagnostics: parsed.diagnostics };
    const diff = diffDefinitions(base.definitions, parsed.definitions);
    return { ok: true as const, baseVersion: base.version, diagnostics: parsed.diagnostics, diff, text: renderPlan(diff), definitions: parsed.definitions };
  }

  /**
   * Applies files as a new version: all or nothing. `baseVersion` is the
   * version the person planned against; if another apply came first, 409.
   */
  async apply(files: readonly { path: string; text: string }[], baseVersion: number, who: Principal) {
    const planned = this.plan(files);
    if (!planned.ok) {
      await audit(this.store, who.name, 'definitions.apply', `${files.length} files`, 'failed', { errors: planned.diagnostics.length });
      throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `the definitions have ${planned.diagnostics.length} problem(s); nothing was applied`, { diagnostics: planned.diagnostics });
    }
    const diff = planned.diff;
    if (!diff.create.length && !diff.update.length && !diff.delete.length) return { version: planned.baseVersion, changed: false, text: planned.text };
    let version: number;
    try {
      version = await this.store.saveDefinitionVersion(
        { createdAt: Date.now(), createdBy: who.name, definitions: planned.definitions, summary: { create: diff.create.length, update: diff.update.length, delete: diff.delete.length } },
        baseVersion === 0 ? null : baseVersion,
      );
    } catch (err) {
      if (isStoreError(err, 'STORE_CONFLICT')) throw new BreakwaterError('BW_ERR_CONFLICT', `someone applied a newer version while you planned against version ${baseVersion}: plan again`, {}, { cause: err });
      throw err;
    }
    await this.install(version, planned.definitions);
    this.pushDefinitions();
    await audit(this.store, who.name, 'definitions.apply', `version ${version}`, 'ok', { create: diff.create.length, update: diff.update.length, delete: diff.delete.length });
    await this.record({ type: 'definitions_applied', principal: who.name, message: `definitions version ${version} applied by ${who.name}: ${diff.create.length} created, ${diff.update.length} changed, ${diff.delete.length} deleted`, details: { version } });
    return { version, changed: true, text: planned.text };
  }

  /** Sends every connected agent its definitions where they changed (after an apply or a secret's new value). */
  pushDefinitions(): void {
    this.gw.pushDefinitions();
  }

  private async install(version: number, definitions: readonly Definition[]): Promise<void> {
    this.current = { version, definitions };
    this.cat = extendCatalogue(BUILTIN_CATALOGUE, {
      metrics: definitions.flatMap((d) => (d.kind === 'metric' ? [{ name: d.name, resource: d.resource, dim: d.unit, labels: d.labels, description: d.description }] : [])),
      actions: definitions.flatMap((d) => (d.kind === 'action' ? [{ name: d.name, description: d.description, resources: d.resources, params: d.params }] : [])),
    });
    this.scheduler.set(definitions.filter((d): d is ScheduleDefinition => d.kind === 'schedule'));
    await this.secrets.load(definitions.filter((d): d is SecretDefinition => d.kind === 'secret'));
    this.delivery = new DefinitionDelivery(version, definitions, this.cat, this.secrets);
  }

  /** Agents and the definitions version each runs: `drift` is true where it is not the current one. */
  drift() {
    const current = this.definitions().version;
    const versions = this.gw.versions();
    return this.gw.inventory().map((h) => {
      const version = versions.get(h.name) ?? null;
      return { name: h.name, connected: h.connected, version, current, drift: h.connected ? version !== current : null };
    });
  }

  // ---- events ----

  /** Stores events and reacts to the ones not seen before. Safe to call twice with the same events. */
  async storeEvents(events: readonly FleetEvent[]): Promise<FleetEvent[]> {
    const fresh = await this.store.appendEvents(events.map((e) => e as EventRecord));
    for (const e of fresh) this.notifier.notify(e as FleetEvent);
    this.bus.publish(fresh as FleetEvent[]);
    // Every delivery, not only the first: if a crash came between storing the event and its run
    // record, the redelivery writes the record (an existing one is left as it is).
    for (const e of events) if (e.type === 'bot_ran') await this.recordBotRun(e);
    return fresh as FleetEvent[];
  }

  private async record(partial: Partial<FleetEvent> & Pick<FleetEvent, 'type' | 'message'>): Promise<void> {
    const event: FleetEvent = {
      id: randomUUID(),
      time: Date.now(),
      host: null,
      resource: null,
      alarm: null,
      bot: null,
      action: null,
      severity: null,
      runId: null,
      principal: null,
      value: null,
      details: {},
      ...partial,
    };
    await this.storeEvents([event]);
  }

  /** A bot's run becomes a run record and an audit entry like any other execution. */
  private async recordBotRun(e: FleetEvent): Promise<void> {
    const d = e.details as { ok?: boolean; args?: Record<string, unknown>; exitCode?: number | null; stdout?: string; stderr?: string; durationMs?: number; timedOut?: boolean };
    const runId = e.runId ?? e.id;
    const args = Object.entries(d.args ?? {})
      .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
      .join(', ');
    const statement = `bot ${e.bot}: ${e.action}(${args}) on ${e.resource}`;
    // The intake set the principal (agent-intake.ts); it is the bot on that host, never a name the agent chose.
    const principal = e.principal ?? botPrincipal(e.bot ?? '?', e.host ?? '?');
    try {
      await this.store.createRun({ id: runId, principal, statement, plan: { bot: e.bot, trigger: d }, status: d.ok ? 'succeeded' : 'failed', startedAt: e.time - (d.durationMs ?? 0), finishedAt: e.time, targets: 1, failures: d.ok ? 0 : 1 });
      await this.store.addRunResults([
        {
          runId,
          resourceId: e.resource ?? '',
          resourceType: e.resource?.includes('/') ? 'process' : 'host',
          host: e.host ?? '',
          status: d.timedOut ? 'timeout' : 'ok',
          exitCode: d.exitCode ?? null,
          stdout: d.stdout ?? null,
          stderr: d.stderr ?? null,
          error: null,
          values: { exit_code: d.exitCode ?? null },
          durationMs: d.durationMs ?? null,
        },
      ]);
      await audit(this.store, principal, 'run', statement, d.ok ? 'ok' : 'failed', { event: e.id, host: e.host }, runId);
    } catch (err) {
      if (!isStoreError(err, 'STORE_CONFLICT')) throw err;
    }
  }

  // ---- gateway hooks ----

  readonly hooks: GatewayHooks = {
    definitions: (host) => this.delivery?.forHost(host),
    onEvents: async (_agent, events) => {
      await this.storeEvents(this.secrets.redactValue(events));
    },
    redact: (value) => this.secrets.redactValue(value),
    onPermit: async (agent, msg) => {
      const bot = this.definitions().definitions.find((d): d is BotDefinition => d.kind === 'bot' && d.name === msg.bot);
      if (!bot) return { allowed: false, reason: `bot ${msg.bot} is not in the current definitions (version ${this.definitions().version})` };
      return this.breaker.permit(agent, bot, this.gw.inventory().length);
    },
    onApproval: async (agent, msg) => this.requestApproval(agent, msg),
    onBacktestResult: (agent, msg) => this.backtests.get(msg.id)?.(agent, msg),
    onConnected: (agent) => {
      void this.record({ type: 'agent_joined', host: agent, principal: `agent:${agent}`, message: `agent ${agent} connected` }).catch(() => undefined);
    },
    onDisconnected: (agent, reason) => {
      void this.record({ type: 'agent_left', host: agent, principal: `agent:${agent}`, message: `agent ${agent} disconnected: ${reason}` }).catch(() => undefined);
    },
  };

  // ---- approvals ----

  private async requestApproval(agent: string, msg: ApprovalRequestMessage): Promise<void> {
    const now = Date.now();
    const args = Object.entries(msg.args)
      .map(([k, v]) => `${k} = ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
      .join(', ');
    const pid = msg.resource.includes('/') ? msg.resource.split('/').pop() : undefined;
    const statement = `host | name = ${JSON.stringify(agent)}${pid ? ` | process | pid = ${pid}` : ''} | ${msg.action}(${args})`;
    const approval: ApprovalRecord = {
      id: msg.id,
      createdAt: now,
      expiresAt: now + Math.round(msg.expiresSeconds * 1000),
      bot: msg.bot,
      action: msg.action,
      host: agent,
      resource: msg.resource,
      statement,
      details: { args: msg.args, context: msg.context },
      status: 'pending',
      decidedBy: null,
      decidedAt: null,
      runId: null,
    };
    await this.store.createApproval(approval);
    await this.record({
      type: 'approval_requested',
      host: agent,
      resource: msg.resource,
      bot: msg.bot,
      action: msg.action,
      principal: botPrincipal(msg.bot, agent),
      message: `bot ${msg.bot} wants to run ${msg.action} on ${msg.resource}: approve with \`breakwater approve ${msg.id}\` within ${msg.expiresSeconds}s`,
      details: { approval: msg.id, statement },
    });
  }

  /** Approves (and runs) or denies a pending bot run. */
  async decide(id: string, approve: boolean, who: Principal) {
    const approval = await this.store.getApproval(id);
    if (!approval) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no approval with id ${id}`);
    if (approval.status !== 'pending') throw new BreakwaterError('BW_ERR_CONFLICT', `approval ${id} is already ${approval.status}${approval.decidedBy ? ` (by ${approval.decidedBy})` : ''}`);
    if (approval.expiresAt <= Date.now()) {
      await this.expire(approval);
      throw new BreakwaterError('BW_ERR_CONFLICT', `approval ${id} expired at ${new Date(approval.expiresAt).toISOString()}`);
    }
    if (!approve) {
      if (!(await this.store.decideApproval(id, { status: 'denied', by: who.name, at: Date.now() }))) throw new BreakwaterError('BW_ERR_CONFLICT', `approval ${id} was decided meanwhile`);
      await this.record({ type: 'denied', host: approval.host, resource: approval.resource, bot: approval.bot, action: approval.action, principal: who.name, message: `${who.name} denied bot ${approval.bot}'s run of ${approval.action} on ${approval.resource}`, details: { approval: id } });
      // An approval leaves a `run` entry under the approver's name; a denial is a decision too.
      await audit(this.store, who.name, 'approval.deny', approval.resource, 'ok', { approval: id, bot: approval.bot, action: approval.action, host: approval.host });
      return { status: 'denied' as const, runId: null };
    }
    // Both must be allowed to run the action: the person who approves it and the bot that asked
    // (the rules may have changed since it asked). A refusal leaves the approval pending.
    const run = { statement: approval.statement, principal: { id: who.id, name: `${who.name} (approving bot:${approval.bot})`, role: who.role === 'admin' ? ('admin' as const) : ('operator' as const) }, callers: [{ name: who.name, role: who.role === 'agent' ? ('viewer' as const) : who.role }, { name: botPrincipal(approval.bot, approval.host) }] };
    await authorizeStatement(this.statements(), run);
    const runId = randomUUID();
    if (!(await this.store.decideApproval(id, { status: 'approved', by: who.name, at: Date.now(), runId }))) throw new BreakwaterError('BW_ERR_CONFLICT', `approval ${id} was decided meanwhile`);
    await this.record({ type: 'approved', host: approval.host, resource: approval.resource, bot: approval.bot, action: approval.action, principal: who.name, runId, message: `${who.name} approved bot ${approval.bot}'s run of ${approval.action} on ${approval.resource}`, details: { approval: id } });
    const outcome = await outcomeOf(runStatement(this.statements(), { ...run, yes: true }));
    return { status: 'approved' as const, runId: outcome.runId, failed: outcome.failed };
  }

  private async expireApprovals(): Promise<void> {
    try {
      const pending = await this.store.listApprovals({ status: 'pending', limit: 1000 });
      for (const a of pending) if (a.expiresAt <= Date.now()) await this.expire(a);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'approval sweep failed');
    }
  }

  private async expire(a: ApprovalRecord): Promise<void> {
    if (!(await this.store.decideApproval(a.id, { status: 'expired', by: 'breakwater', at: Date.now() }))) return;
    await this.record({ type: 'denied', host: a.host, resource: a.resource, bot: a.bot, action: a.action, principal: 'breakwater', message: `approval for bot ${a.bot}'s run of ${a.action} on ${a.resource} expired unanswered`, details: { approval: a.id, expired: true } });
  }

  // ---- schedules ----

  private async runSchedule(s: ScheduleDefinition): Promise<void> {
    const principal = `schedule:${s.name}`;
    const outcome = await outcomeOf(runStatement(this.statements(), { statement: s.run, principal: { id: principal, name: principal, role: 'admin' }, callers: [{ name: principal }], yes: true }));
    this.logger.info({ schedule: s.name, runId: outcome.runId, failed: outcome.failed }, 'schedule ran');
  }

  // ---- back-tests ----

  /** Asks every connected agent to replay the alarm over its stored metrics. */
  async backtest(alarm: AlarmDefinition, seconds: number, timeoutMs = 60_000) {
    const id = randomUUID();
    const hosts = this.gw.inventory().filter((h) => h.connected).map((h) => h.name);
    const results = new Map<string, BacktestResultMessage>();
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.backtests.set(id, (agent, msg) => {
        results.set(agent, msg);
        if (results.size === hosts.length) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    for (const h of hosts) this.gw.sendTo(h, { type: 'backtest', id, alarm, seconds });
    if (hosts.length) await done;
    this.backtests.delete(id);
    return hosts.map((h) => {
      const r = results.get(h);
      return { host: h, answered: Boolean(r), error: r?.error ?? (r ? null : 'no answer in time'), transitions: r?.transitions ?? [] };
    });
  }
}
