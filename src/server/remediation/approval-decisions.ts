import { approverPrincipal, botPrincipal } from '../../definitions/index.js';
import { BreakwaterError, orderedId } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { RunRequest, StatementContext } from '../query/run-statement.js';
import { audit } from '../audit/index.js';
import { authorizeStatement, outcomeOf, runStatement } from '../query/run-statement.js';
import type { Store } from '../store/index.js';
import type { Approvals } from './approvals.js';
import type { EventIntake } from './event-intake.js';

/** What `ApprovalDecisions` needs: the statements' context is the fleet's, so it is built after the gateway. */
export interface ApprovalDecisionsParts {
  readonly store: Store;
  readonly approvals: Pick<Approvals, 'expired' | 'expire'>;
  readonly intake: Pick<EventIntake, 'record'>;
  readonly statements: StatementContext;
  readonly clock?: Clock;
}

/**
 * A person's answer to a bot's request: a denial is recorded (event and audit); an approval runs the
 * bot's statement under the approver's name, if both the approver and the bot may run it.
 *
 * @example
 * await decisions.decide(approvalId, false, principal); // { status: 'denied', runId: null }
 */
export class ApprovalDecisions {
  private readonly clock: Clock;

  constructor(private readonly parts: ApprovalDecisionsParts) {
    this.clock = parts.clock ?? systemClock;
  }

  /** Approves (and runs) or denies a pending bot run. */
  async decide(id: string, approve: boolean, who: Principal) {
    const { store, approvals, intake } = this.parts;
    const approval = await store.getApproval(id);
    if (!approval) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no approval with id ${id}`);
    if (approval.status !== 'pending') throw new BreakwaterError('BW_ERR_CONFLICT', `approval ${id} is already ${approval.status}${approval.decidedBy ? ` (by ${approval.decidedBy})` : ''}`);
    if (approvals.expired(approval)) {
      await approvals.expire(approval);
      throw new BreakwaterError('BW_ERR_CONFLICT', `approval ${id} expired at ${new Date(approval.expiresAt).toISOString()}`);
    }
    if (!approve) {
      if (!(await store.decideApproval(id, { status: 'denied', by: who.name, at: this.clock.now() }))) throw new BreakwaterError('BW_ERR_CONFLICT', `approval ${id} was decided meanwhile`);
      await intake.record({ type: 'denied', host: approval.host, resource: approval.resource, bot: approval.bot, action: approval.action, principal: who.name, message: `${who.name} denied bot ${approval.bot}'s run of ${approval.action} on ${approval.resource}`, details: { approval: id } });
      // An approval leaves a `run` entry under the approver's name; a denial is a decision too.
      await audit(store, who.name, 'approval.deny', approval.resource, 'ok', { approval: id, bot: approval.bot, action: approval.action, host: approval.host });
      return { status: 'denied' as const, runId: null };
    }
    // Both must be allowed to run the action: the person who approves it and the bot that asked
    // (the rules may have changed since it asked). A refusal leaves the approval pending.
    const run = { statement: approval.statement, principal: { id: who.id, name: approverPrincipal(who.name, approval.bot), role: who.role === 'admin' ? ('admin' as const) : ('operator' as const) }, callers: [{ name: who.name, role: who.role === 'agent' ? ('viewer' as const) : who.role }, { name: botPrincipal(approval.bot, approval.host) }] };
    await authorizeStatement(this.parts.statements, run);
    const runId = orderedId();
    if (!(await store.decideApproval(id, { status: 'approved', by: who.name, at: this.clock.now(), runId }))) throw new BreakwaterError('BW_ERR_CONFLICT', `approval ${id} was decided meanwhile`);
    await intake.record({ type: 'approved', host: approval.host, resource: approval.resource, bot: approval.bot, action: approval.action, principal: who.name, runId, message: `${who.name} approved bot ${approval.bot}'s run of ${approval.action} on ${approval.resource}`, details: { approval: id } });
    const outcome = await this.run({ ...run, yes: true, runId });
    return { status: 'approved' as const, runId: outcome.runId, failed: outcome.failed };
  }

  /** The one place an approval runs its statement. */
  private run(request: RunRequest) {
    return outcomeOf(runStatement(this.parts.statements, request));
  }
}
