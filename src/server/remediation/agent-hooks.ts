import { createHash } from 'node:crypto';
import type { AgentHooks } from '../fleet/index.js';
import type { CircuitBreaker } from '../circuit-breaker.js';
import { inventoryHost } from '../fleet/index.js';
import type { Store } from '../store/index.js';
import type { Controls } from './controls.js';
import type { SecretVault } from '../secrets/index.js';
import type { Approvals } from './approvals.js';
import type { BacktestReplies } from './backtests.js';
import type { CurrentDefinitions } from './current-definitions.js';
import type { EventIntake } from './event-intake.js';

/** The remediation parts the agents' traffic reaches. None needs the fleet: they are built before the gateway. */
export interface AgentHookParts {
  readonly current: Pick<CurrentDefinitions, 'definitions' | 'bot' | 'forHost'>;
  readonly intake: Pick<EventIntake, 'storeEvents' | 'record'>;
  readonly secrets: Pick<SecretVault, 'redactValue'>;
  readonly breaker: Pick<CircuitBreaker, 'permit'>;
  readonly approvals: Pick<Approvals, 'request'>;
  readonly backtests: Pick<BacktestReplies, 'hear'>;
  /** Silences and switches: sent to the agents, and enforced on the permit path too. */
  readonly controls: Pick<Controls, 'forHost' | 'refusal'>;
  /** The asking agent's tags and attributes, which a silence's hosts are judged on. */
  readonly agents: Pick<Store, 'getAgentByName'>;
}

/**
 * What the gateway does with what agents send and with their comings and goings: events stored
 * (secrets redacted), permits asked of the circuit breaker, approvals requested, back-test answers
 * handed on, `agent_joined` (a host's first connection ever), `agent_reconnected` (any later one)
 * and `agent_left` recorded.
 *
 * @example
 * const gateway = new AgentGateway({ store, logger, heartbeatMs, hooks: agentHooks({ current, intake, secrets, breaker, approvals, backtests }) });
 */
export function agentHooks(parts: AgentHookParts): AgentHooks {
  const { current, intake, secrets, breaker, approvals, backtests, controls, agents } = parts;
  return {
    definitions: (host) => current.forHost(host),
    controls: (host) => controls.forHost(host),
    onEvents: async (_agent, events) => {
      await intake.storeEvents(secrets.redactValue(events));
    },
    redact: (value) => secrets.redactValue(value),
    onPermit: async (agent, msg, fleetSize) => {
      const bot = current.bot(msg.bot);
      if (!bot) return { allowed: false, reason: `bot ${msg.bot} is not in the current definitions (version ${current.definitions().version})` };
      // The agent checks these itself (it may not have heard of a change yet): the control plane holds them too.
      const record = await agents.getAgentByName(agent);
      const refused = controls.refusal(record && inventoryHost(record, true, null), bot);
      if (refused) return { allowed: false, reason: refused };
      return breaker.permit(agent, bot, fleetSize);
    },
    onApproval: async (agent, msg) => approvals.request(agent, msg),
    onBacktestResult: (agent, msg) => backtests.hear(agent, msg),
    onConnected: (agent, first, session) => {
      const [type, message] = first ? (['agent_joined', `agent ${agent} connected`] as const) : (['agent_reconnected', `agent ${agent} reconnected`] as const);
      void intake.record({ ...sessionEventId('agent_joined', agent, session), type, host: agent, principal: `agent:${agent}`, message }).catch(() => undefined);
    },
    onDisconnected: (agent, reason, session) => {
      void intake.record({ ...sessionEventId('agent_left', agent, session), type: 'agent_left', host: agent, principal: `agent:${agent}`, message: `agent ${agent} disconnected: ${reason}` }).catch(() => undefined);
    },
  };
}

/**
 * The id of a session's connect (`agent_joined`, also for an agent_reconnected) or `agent_left`:
 * every replica that sees the transition records the same id, so the store keeps one, even when
 * two replicas disagree on whether the connect was the host's first. Without a session (one
 * process sees it), a fresh id.
 */
export function sessionEventId(type: 'agent_joined' | 'agent_left', agent: string, session: string | undefined): { id?: string } {
  return session === undefined ? {} : { id: `${type}:${createHash('sha256').update(`${agent}\n${session}`).digest('hex')}` };
}
