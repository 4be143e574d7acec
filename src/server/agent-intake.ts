import type { Logger } from 'pino';
import { botPrincipal } from '../definitions/index.js';
import type { ApprovalRequestMessage, EventType, FleetEvent, PermitRequestMessage } from '../protocol/index.js';
import { predictionProblem } from '../protocol/index.js';
import type { ControlPlaneConnection } from '../transport/index.js';
import type { AgentQuotas, QuotaKind } from './agent-quota.js';
import type { Clock } from './fleet/index.js';
import { systemClock } from './fleet/index.js';
import type { AgentHooks } from './fleet/index.js';
import { WarnLimiter } from './warn-limiter.js';

/*
 * What an agent may say about the fleet. An agent runs on one host with that host's credential: it
 * speaks for that host and its resources only, and only about what agents do (alarms, bots). What
 * people and the control plane do (applying definitions, approving, running statements) is recorded
 * by the control plane itself; an agent reporting it is forging it.
 */

/** The event types an agent produces (src/agent/engine: alarms.ts, bots.ts and file-reports.ts). */
export const AGENT_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>(['alarm_fired', 'alarm_cleared', 'bot_ran', 'bot_skipped', 'escalated', 'file_failed']);

/** Events the agent reports as itself (`agent:<host>`); the others are a bot's (`bot:<bot>@<host>`). */
const BY_THE_AGENT: ReadonlySet<EventType> = new Set<EventType>(['alarm_fired', 'alarm_cleared', 'file_failed']);

/** Whether `resource` (`web-1`, `web-1/4242`) is the host `host` or one of its resources. */
export function ownsResource(host: string, resource: string): boolean {
  return resource === host || resource.startsWith(`${host}/`);
}

/** How far ahead of the control plane's clock an agent's event time may be (clock skew). */
const MAX_CLOCK_AHEAD_MS = 60_000;

/** Why an agent's permit or approval request was refused before the hooks heard it. */
export interface RequestRefusal {
  readonly code: 'BW_ERR_FORBIDDEN' | 'BW_ERR_QUOTA';
  readonly message: string;
}

export interface RefusedEvent {
  readonly id: string;
  readonly reason: string;
}

/**
 * Splits an agent's events into those it may report, with the principal set by the control plane
 * (`agent:<host>` for alarms and files, `bot:<bot>@<host>` for bots), and those refused, each with why.
 */
export function screenAgentEvents(agent: string, events: readonly FleetEvent[], now = systemClock.now()): { accepted: FleetEvent[]; refused: RefusedEvent[] } {
  const accepted: FleetEvent[] = [];
  const refused: RefusedEvent[] = [];
  for (const e of events) {
    const reason = refusal(agent, e);
    if (reason) refused.push({ id: e.id, reason });
    else {
      const principal = BY_THE_AGENT.has(e.type) ? `agent:${agent}` : botPrincipal(e.bot as string, agent);
      // A time far ahead would sort first in every listing and hold a circuit-breaker window open: the control plane's now instead.
      accepted.push({ ...e, principal, time: e.time > now + MAX_CLOCK_AHEAD_MS ? now : e.time });
    }
  }
  return { accepted, refused };
}

function refusal(agent: string, e: FleetEvent): string | undefined {
  if (!AGENT_EVENT_TYPES.has(e.type)) return `an agent may not report ${e.type} events (only ${[...AGENT_EVENT_TYPES].join(', ')})`;
  if (e.host !== agent) return `event is about host ${JSON.stringify(e.host)}; agent ${agent} reports about itself only`;
  if (e.resource !== null && !ownsResource(agent, e.resource)) return `resource ${JSON.stringify(e.resource)} is not on host ${agent}`;
  const byAgent = BY_THE_AGENT.has(e.type);
  if (!byAgent && !e.bot) return `a ${e.type} event names its bot`;
  const own = byAgent ? [`agent:${agent}`] : [`bot:${e.bot}`, botPrincipal(e.bot as string, agent)];
  if (e.principal !== null && !own.includes(e.principal)) return `principal ${JSON.stringify(e.principal)} is not this agent's (${own.join(' or ')})`;
  // A predictive alarm's forecast (src/protocol/prediction.ts) is read by people and tools: only a well-formed one is stored.
  if (e.details.predicted !== undefined && e.type !== 'alarm_fired') return `${e.type} events carry no details.predicted (only alarm_fired does)`;
  return predictionProblem(e.details);
}

/**
 * The gateway's intake of what agents report: quotas, screening, and the acknowledgements and
 * refusals the agents hear.
 */
export class AgentIntake {
  /** When each agent's refusals of a kind were last logged: one line a minute, not one per frame. */
  private readonly warnings: WarnLimiter;

  constructor(
    private readonly logger: Logger,
    private readonly quotas: AgentQuotas,
    private readonly clock: Clock = systemClock,
  ) {
    this.warnings = new WarnLimiter(logger, clock);
  }

  limit(kind: QuotaKind): number {
    return this.quotas.limit(kind);
  }

  /**
   * Events within the agent's quota that it may report are stored, then acknowledged; refused ones
   * are acknowledged as refused (so its outbox does not resend them forever); those over the quota
   * are named in `retry`, for the agent to send again later.
   */
  events(agent: string, conn: ControlPlaneConnection, events: readonly FleetEvent[], hooks: Pick<AgentHooks, 'onEvents'>): void {
    const { granted, retryAfterMs } = this.quotas.take(agent, 'events', events.length);
    const later = events.slice(granted).map((e) => e.id);
    if (later.length) this.overQuota(agent, conn, 'events', `${later.length} event(s) over the quota of ${this.limit('events')} a minute; resend after ${retryAfterMs} ms`);
    const { accepted, refused } = screenAgentEvents(agent, events.slice(0, granted), this.clock.now());
    if (refused.length) this.warnOnce(agent, 'forged', { agent, refused: refused.length, reason: refused[0]?.reason }, 'agent reported events it may not report; refused');
    const retry = later.length ? { retry: { ids: later, afterMs: retryAfterMs } } : {};
    // Acknowledge only once stored: an agent resends whatever is not acknowledged.
    hooks.onEvents(agent, accepted).then(
      () => conn.send({ type: 'ack', ids: [...accepted, ...refused].map((e) => e.id), ...(refused.length ? { refused } : {}), ...retry }),
      (err: unknown) => this.logger.error({ err, agent }, 'could not store events; the agent will resend them'),
    );
  }

  /** Takes `n` of the agent's quota of `kind`; when it is not all there, says so (to the agent, and to the log once a minute). */
  withinQuota(agent: string, conn: ControlPlaneConnection, kind: QuotaKind, n: number): boolean {
    const refusal = this.quotaRefusal(agent, kind, n);
    if (refusal !== undefined) conn.send({ type: 'error', code: 'BW_ERR_QUOTA', message: refusal });
    return refusal === undefined;
  }

  /**
   * The checks an agent's permit or approval request passes before the hooks hear it, on every
   * transport (WebSocket, NATS): the resource is on its own host, then its quota ('permits' for a
   * permit; 'events' for an approval, which is stored with an event). Spends one of that quota;
   * undefined when the request may go on. A permit's refusal is its answer's reason.
   */
  screenRequest(agent: string, msg: PermitRequestMessage | ApprovalRequestMessage): RequestRefusal | undefined {
    if (!ownsResource(agent, msg.resource)) {
      const what = msg.type === 'approval' ? `approval ${msg.id} refused: ` : '';
      return { code: 'BW_ERR_FORBIDDEN', message: `${what}resource ${msg.resource} is not on host ${agent}` };
    }
    const refusal = this.quotaRefusal(agent, msg.type === 'permit' ? 'permits' : 'events', 1);
    if (refusal === undefined) return undefined;
    return { code: 'BW_ERR_QUOTA', message: msg.type === 'permit' ? `permit quota exceeded: ${refusal}` : refusal };
  }

  /** Takes `n` of the agent's quota of `kind`; why not when it is not all there (logged once a minute). */
  private quotaRefusal(agent: string, kind: QuotaKind, n: number): string | undefined {
    const { granted, retryAfterMs } = this.quotas.take(agent, kind, n);
    if (granted === n) return undefined;
    const message = `${n} ${kind} over the quota of ${this.limit(kind)} a minute; try again in ${retryAfterMs} ms`;
    this.warnQuota(agent, kind, message);
    return message;
  }

  private overQuota(agent: string, conn: ControlPlaneConnection, kind: QuotaKind, message: string): void {
    conn.send({ type: 'error', code: 'BW_ERR_QUOTA', message });
    this.warnQuota(agent, kind, message);
  }

  private warnQuota(agent: string, kind: QuotaKind, message: string): void {
    this.warnOnce(agent, kind, { agent, quota: kind, perMinute: this.limit(kind) }, `agent over its ${kind} quota: ${message}`);
  }

  /** Logs a warning about an agent at most once a minute per kind: a flood of bad frames is not a flood of log lines. */
  warnOnce(agent: string, kind: string, fields: Record<string, unknown>, message: string): void {
    this.warnings.once(`${agent} ${kind}`, fields, message);
  }

}
