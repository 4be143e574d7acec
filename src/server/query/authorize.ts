import type { ActionCaller, ActionDefinition } from '../../definitions/index.js';
import { actionRefusal } from '../../definitions/index.js';
import type { Plan } from '../../lang/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import { hasRole } from '../auth.js';
import { audit } from '../audit/index.js';
import type { Store } from '../store/index.js';
import type { ProbeAllowList } from './probes.js';
import { probeAllowed, probeCalls } from './probes.js';

/*
 * What a statement may do beyond the role its plan requires: the `allowed` rules of the actions it
 * runs, and the network probes (`http_ok`, `tcp_ok`) it makes every selected agent open. Kept apart
 * from run-statement.ts, which records runs.
 */

/** The server's permission settings, and the current actions with their rules. */
export interface Policy {
  readonly probeAllow: ProbeAllowList;
  action(name: string): ActionDefinition | undefined;
}

export interface PolicyRequest {
  readonly statement: string;
  readonly principal: Principal;
  /**
   * Who must each be allowed to run the statement's actions: by default the principal; an approval
   * names the approver and the bot, a schedule its `schedule:<name>`.
   */
  readonly callers?: readonly ActionCaller[];
}

/**
 * Throws a 403 (audited as denied) when the statement probes a target off the allow-list below
 * the operator role, or runs an action whose `allowed` rule does not admit every caller.
 */
export async function authorizePolicy(store: Store, policy: Policy, plan: Plan, req: PolicyRequest): Promise<void> {
  const who = req.principal;
  if (!hasRole(who, 'operator')) {
    const off = probeCalls(plan).filter((p) => !probeAllowed(p.target, policy.probeAllow));
    if (off.length) {
      const list = policy.probeAllow.entries.length ? `it is not on the server's probe allow-list (${policy.probeAllow.entries.join(', ')})` : 'the server\'s probe allow-list (--probe-allow) is empty';
      const message = `${off.map((p) => `\`${p.text}\``).join(', ')} makes every selected agent open a network connection: that needs the operator role, or a target on the server's probe allow-list (--probe-allow), and ${list}; token \`${who.name}\` has ${who.role}`;
      await deny(store, who.name, req.statement, { reason: 'probe', probes: off.map((p) => p.text), needed: 'operator', held: who.role });
      throw new BreakwaterError('BW_ERR_FORBIDDEN', message, { needed: 'operator', held: who.role, probes: off.map((p) => p.text) });
    }
  }
  const callers = req.callers ?? [{ name: who.name, role: who.role === 'agent' ? 'viewer' : who.role }];
  for (const name of new Set(plan.effects.actions)) {
    const action = policy.action(name);
    if (!action) continue;
    for (const caller of callers) {
      const refusal = actionRefusal(action, caller);
      if (!refusal) continue;
      await deny(store, who.name, req.statement, { reason: 'action rule', action: name, caller: caller.name });
      throw new BreakwaterError('BW_ERR_FORBIDDEN', refusal, { action: name, caller: caller.name, rule: action.runBy });
    }
  }
}

function deny(store: Store, principal: string, statement: string, detail: Record<string, unknown>): Promise<void> {
  return audit(store, principal, 'run', statement, 'denied', detail);
}
