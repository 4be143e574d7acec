import type { Logger } from 'pino';
import { botPrincipal } from '../../definitions/index.js';
import type { ApprovalRequestMessage } from '../../protocol/index.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { ApprovalRecord, Store } from '../store/index.js';
import type { EventIntake } from './event-intake.js';

/** How often pending approvals are checked for expiry. */
export const APPROVAL_SWEEP_MS = 2000;

/** What `Approvals` needs. */
export interface ApprovalsParts {
  readonly store: Store;
  readonly intake: Pick<EventIntake, 'record'>;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/**
 * Bots' requests for a person's approval: each becomes a pending approval and an
 * `approval_requested` event; one left unanswered past its expiry is denied by the sweep (every
 * {@link APPROVAL_SWEEP_MS}) with a `denied` event. Deciding is `ApprovalDecisions`' part.
 *
 * @example
 * const approvals = new Approvals({ store, intake, logger });
 * await approvals.request('web-1', msg); // from the agent's approval_request
 * approvals.stop();
 */
export class Approvals {
  private readonly clock: Clock;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly parts: ApprovalsParts) {
    this.clock = parts.clock ?? systemClock;
    this.sweeper = setInterval(() => void this.expireDue(), APPROVAL_SWEEP_MS);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  /** Records a bot's request: the statement a person would approve, pending until it expires. */
  async request(agent: string, msg: ApprovalRequestMessage): Promise<void> {
    const now = this.clock.now();
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
    await this.parts.store.createApproval(approval);
    await this.parts.intake.record({
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

  /** Whether a pending approval's time is up. */
  expired(a: ApprovalRecord): boolean {
    return a.expiresAt <= this.clock.now();
  }

  /** Expires every pending approval whose time is up (the sweep; a failure is logged, tried again next sweep). */
  async expireDue(): Promise<void> {
    try {
      const pending = await this.parts.store.listApprovals({ status: 'pending', limit: 1000 });
      for (const a of pending) if (this.expired(a)) await this.expire(a);
    } catch (err) {
      this.parts.logger.warn({ err: (err as Error).message }, 'approval sweep failed');
    }
  }

  /** Marks an approval expired, unless it was decided meanwhile, and records the denial. */
  async expire(a: ApprovalRecord): Promise<void> {
    if (!(await this.parts.store.decideApproval(a.id, { status: 'expired', by: 'breakwater', at: this.clock.now() }))) return;
    await this.parts.intake.record({ type: 'denied', host: a.host, resource: a.resource, bot: a.bot, action: a.action, principal: 'breakwater', message: `approval for bot ${a.bot}'s run of ${a.action} on ${a.resource} expired unanswered`, details: { approval: a.id, expired: true } });
  }
}
