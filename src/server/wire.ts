import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Catalogue } from '../lang/index.js';
import type { FleetEvent, NatsSubjects } from '../protocol/index.js';
import { AgentQuotas } from './agent-quota.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { ServerConfig } from './config.js';
import { withEventRetention } from './event-retention.js';
import type { AgentHooks, FleetTransport, TimerClock } from './fleet/index.js';
import { AgentGateway } from './gateway.js';
import { DefinitionsFeed, ReplicaFeed } from './nats/index.js';
import { Notifier } from './notify.js';
import { OutboundDelivery, outboundChannels } from './integrations/index.js';
import type { ControlPlaneMetrics } from './metrics/index.js';
import type { Policy } from './query/authorize.js';
import { probeAllowList } from './query/probes.js';
import type { StatementContext } from './query/run-statement.js';
import type { Remediation } from './remediation/index.js';
import { ApprovalDecisions, Approvals, Automation, BacktestReplies, Backtests, ControlChanges, Controls, CurrentDefinitions, DefinitionChanges, EventIntake, Schedules, agentHooks, remediationApi } from './remediation/index.js';
import { SecretVault } from './secrets/index.js';
import type { Store } from './store/index.js';
import { MAX_PAGE_LIMIT } from './store/index.js';

/** What the wiring is given: the opened store and the server's settings. */
export interface WiringDeps {
  readonly config: ServerConfig;
  readonly store: Store;
  readonly logger: Logger;
  readonly clock: TimerClock;
  /** Replaces the catalogue the definitions extend (tests). */
  readonly catalogue?: (() => Catalogue) | undefined;
  /**
   * Builds the fleet's transport once the hooks it calls exist: NATS in the scaled mode. Default:
   * the WebSocket gateway (`ControlPlane.gateway`), to which the server hands agents' connections.
   */
  readonly fleet?: ((hooks: AgentHooks) => FleetTransport) | undefined;
  /**
   * The other control-plane replicas (scaled mode): live events and applied definitions are shared
   * with them over NATS (server/nats ReplicaFeed, DefinitionsFeed).
   */
  readonly replicas?: { readonly nc: NatsConnection; readonly subjects: NatsSubjects } | undefined;
  /** This replica's id (ReplicaLiveness) with a shared store: recorded with each run it executes. */
  readonly replicaId?: string | undefined;
  /** Counts executions, stored events and the circuit breaker's refusals (GET /metrics). */
  readonly metrics?: ControlPlaneMetrics | undefined;
}

/** The wired control plane, before it listens. */
export interface ControlPlane {
  readonly fleet: FleetTransport;
  /** The WebSocket gateway when the fleet is reached over WebSocket (not in the scaled mode). */
  readonly gateway: AgentGateway | undefined;
  readonly remediation: Remediation;
  readonly notifier: Notifier;
  /** Deliveries to `webhook` and `pagerduty` integrations (and Slack's, plugged in beside them). */
  readonly outbound: OutboundDelivery;
  /** A context for running statements against the fleet (a fresh object each call). */
  statements(): StatementContext;
  /** Stops the timers (schedules, approval sweep), ends the live event streams and leaves the other replicas' feeds. */
  stop(): void;
}

/*
 * The order, and why it has no late binding. The gateway calls hooks with what agents send (events,
 * permits, approval requests, back-test answers), so the parts behind those hooks come first, and
 * none of them needs the fleet: the gateway passes the fleet's size with a permit request, the
 * back-test answers wait in a mailbox of their own (BacktestReplies), the definitions in force
 * (CurrentDefinitions) are only read. Then the gateway, with its hooks. Then what sends to the
 * fleet or runs statements on it, each given the gateway (or a statement context holding it) in
 * its constructor: schedules, definition changes (apply pushes, drift asks versions), approval
 * decisions (an approval runs its statement), back-tests (they ask the agents). Only then are the
 * stored definitions loaded: loading sets the schedules, which run statements on the fleet.
 */

/**
 * Builds the control plane's parts in order, each given what it needs in its constructor.
 *
 * @example
 * const plane = await wireControlPlane({ config, store, logger, clock: systemClock });
 * const routes = apiRoutes({ ...plane.statements(), remediation: plane.remediation, ... });
 */
export async function wireControlPlane(deps: WiringDeps): Promise<ControlPlane> {
  const { config, store, logger, clock } = deps;

  // What agents' traffic reaches.
  const notifier = new Notifier(config.webhooks, logger, config.webhookAuthorization);
  const secrets = await SecretVault.open(store, config.dataDir, process.env, logger, clock);
  const current = new CurrentDefinitions(secrets);
  // Channels are built per event from the definitions and secrets in force: a change applies to the next event.
  const outbound = new OutboundDelivery({
    channels: () => outboundChannels(current.definitions().definitions, (name) => secrets.valuesOf([name])[name], { pagerdutyUrl: config.pagerdutyUrl, webUrl: config.publicUrl ?? ownUrl(config) }),
    record: (d) => store.recordDelivery(d),
    logger,
    now: () => clock.now(),
  });
  const intake = new EventIntake(store, {
    notify(e) {
      notifier.notify(e);
      outbound.notify(e);
    },
  }, clock);
  const { metrics } = deps;
  // Only what this replica stored (publish's relays), never the other replicas' events it delivers.
  if (metrics) intake.bus.relay((stored) => metrics.eventsStored(stored));
  const breaker = new CircuitBreaker(store, logger, (e) => intake.record(e), clock, metrics && ((reason) => metrics.breakerRefused(reason)));
  const approvals = new Approvals({ store, intake, logger, clock });
  const replies = new BacktestReplies();
  const controls = new Controls(clock, () => current.catalogue());
  const hooks = agentHooks({ current, intake, secrets, breaker, approvals, backtests: replies, controls, agents: store });
  const events = deps.replicas && new ReplicaFeed({ ...deps.replicas, bus: intake.bus, logger });
  const definitions = deps.replicas && new DefinitionsFeed({ ...deps.replicas, logger });

  // The fleet.
  const retained = withEventRetention(hooks, store, logger, config.maxEventsPerHost);
  const gateway = deps.fleet ? undefined : new AgentGateway({ store, logger, heartbeatMs: config.heartbeatMs, hooks: retained, quotas: new AgentQuotas(config.agentQuotas), clock });
  const fleet = deps.fleet ? deps.fleet(retained) : (gateway as AgentGateway);

  // What sends to the fleet or runs statements on it.
  const catalogue = deps.catalogue ?? (() => current.catalogue());
  const policy: Policy = { probeAllow: probeAllowList(config.probeAllow), action: (name) => current.action(name) };
  const statements = (): StatementContext => ({ store, gateway: fleet, catalogue, queryTimeoutMs: config.queryTimeoutMs, maxTargets: config.maxTargets, events: eventsFor(store), policy, clock, replicaId: deps.replicaId, bots: () => automation.bots(), onExecuted: metrics && ((outcome, seconds, asked) => metrics.statementFinished(outcome, seconds, asked)) });
  const schedules = new Schedules(statements(), logger, clock, undefined, { refusal: () => controls.refusalOfSchedules(), record: (e) => intake.record(e) });
  // Another replica's change of silences or switches is announced like an apply: the others reload both from the store.
  const controlChanges = new ControlChanges({ store, controls, current, intake, fleet, clock, announce: definitions && (() => definitions.announce(current.definitions().version)) });
  const changes = new DefinitionChanges({ store, current, schedules, fleet, intake, clock, announce: definitions && ((version) => definitions.announce(version)), reconcile: (diff, who) => controlChanges.reconcile(diff, who) });
  const decisions = new ApprovalDecisions({ store, approvals, intake, statements: statements(), clock });
  const backtests = new Backtests(fleet, replies);
  const automation = new Automation({ store, breaker, schedules, fleet, definitions: () => current.definitions().definitions, clock });

  // Listening before loading: an apply elsewhere in between is then reloaded, not missed.
  events?.start();
  // An announcement may also be another replica's `secret set`: its value is read from the store.
  // That replica sent it to the agents; this one sends it too, to any agent it welcomed meanwhile
  // with the old one (the others get the same value twice).
  definitions?.start(async () => {
    await changes.reload();
    await controlChanges.reload();
    if (await secrets.refresh()) fleet.pushDefinitions();
  });
  await changes.load();
  await controlChanges.reload();
  await fleet.load();
  return {
    fleet,
    gateway,
    remediation: remediationApi({ intake, secrets, current, changes, decisions, backtests, automation, schedules, controls: controlChanges }),
    notifier,
    outbound,
    statements,
    stop() {
      schedules.stop();
      approvals.stop();
      intake.bus.close();
      void events?.stop();
      void definitions?.stop();
    },
  };
}

/** The newest events, for `events | ...` statements: one page, the most the store returns at once (MAX_PAGE_LIMIT). */
/** This server's own address as configured: the web UI's links when no --public-url is set (a port of 0 is only known after listening: set --public-url). */
function ownUrl(config: ServerConfig): string {
  return `${config.tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
}

function eventsFor(store: Store) {
  return async () => (await store.listEvents({ limit: MAX_PAGE_LIMIT })) as FleetEvent[];
}
