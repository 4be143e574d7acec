import { z } from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { AlarmPrediction } from './prediction.js';
import { ResultRow } from './rows.js';
import { TagMap } from './tags.js';

/**
 * Messages between agents and the control plane, as JSON text frames. Every
 * message is validated on receipt; an unknown `type` or a bad field is
 * answered with an `error` message naming it, never a crash.
 */
export const PROTOCOL_VERSION = 1;

/*
 * The schemas use `zod/mini`, zod's functional API, so that the agent's bundle carries only the
 * zod code they use (classic zod's schema classes bring every method along). zod/mini loads no
 * locale: without one, every issue's message is just "Invalid input". Loading English only (not
 * `zod/locales`, all of them) gives the same messages classic zod gives ("Invalid input: expected
 * string, received number", "Too big: expected string to have <=128 characters", …), which
 * `describeIssues` and the agent's config errors show. This sets zod's global config, so it also
 * covers the agent's own schemas: every process that turns zod issues into messages imports this
 * module (lang's plan schema loads the same locale itself, as lang may not import protocol).
 * Classic zod, where loaded (the server), sets the same locale.
 */
z.config(en());

/**
 * The longest wait a Node.js timer can hold (2^31-1 ms, ~24.8 days): a longer one fires at once.
 * Every duration that becomes a timer, on either side, is bounded by it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Largest frame either side accepts; bigger ones are refused with a clear error. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

const id = z.string().check(z.minLength(1), z.maxLength(128));
const text = (max: number) => z.string().check(z.maxLength(max));

export const HostFactsMessage = z.object({
  hostname: text(256),
  machineId: text(256),
  os: text(64),
  distro: text(128),
  arch: text(64),
  kernel: text(256),
  ip: text(64),
  agentVersion: text(64),
  /** Whether the agent discovers containers and pods (`--containers`); agents before it say nothing. */
  containerDiscovery: z.optional(z.enum(['on', 'off'])),
});
export type HostFactsMessage = z.infer<typeof HostFactsMessage>;

// ---- agent -> control plane ----

export const HelloMessage = z.object({
  type: z.literal('hello'),
  v: z.int(),
  name: z.string().check(z.maxLength(256), z.minLength(1)),
  facts: HostFactsMessage,
  /** Checked by the same rule as the agent's own configuration (tags.ts). */
  tags: TagMap,
});

/** The oldest an outbox report may say an event has waited: ten years (a clock far off says more). */
const MAX_OUTBOX_AGE_MS = 10 * 366 * 86_400_000;

/**
 * What waits in an agent's event outbox (the control plane's `breakwater_agent_outbox_*` metrics):
 * how many events, and how long the oldest has waited. Optional in the messages: older agents do
 * not send it.
 */
export const OutboxReport = z.object({
  pending: z.int().check(z.nonnegative(), z.maximum(1_000_000_000)),
  oldestAgeMs: z.number().check(z.nonnegative(), z.maximum(MAX_OUTBOX_AGE_MS)),
});
export type OutboxReport = z.infer<typeof OutboxReport>;

export const HeartbeatMessage = z.object({
  type: z.literal('heartbeat'),
  time: z.number(),
  /** Commands running or queued on the agent. */
  active: z.int().check(z.nonnegative()),
  rssBytes: z.number().check(z.nonnegative()),
  /** The definitions version the agent runs (null before it received any). */
  definitionsVersion: z.optional(z.nullable(z.int())),
  outbox: z.optional(OutboxReport),
});

/**
 * An agent's presence in the scaled mode: what a hello and a heartbeat say over WebSocket, in one
 * message the agent puts in the presence KV bucket (nats-subjects.ts) at start, on every heartbeat
 * and when its tags change. Every replica watches the bucket: an agent whose newest presence is
 * older than three of its heartbeats is disconnected, the same on every replica. `session` is new
 * each time the agent connects: agent_joined/agent_left events are keyed by it, so every replica
 * that sees the change records the same event, stored once.
 */
export const PresenceMessage = z.object({
  type: z.literal('presence'),
  v: z.int(),
  name: z.string().check(z.maxLength(256), z.minLength(1)),
  session: id,
  facts: HostFactsMessage,
  tags: TagMap,
  time: z.number(),
  heartbeatMs: z.int().check(z.positive(), z.maximum(MAX_TIMER_MS)),
  active: z.int().check(z.nonnegative()),
  rssBytes: z.number().check(z.nonnegative()),
  definitionsVersion: z.nullable(z.int()),
  outbox: z.optional(OutboxReport),
  /**
   * The agent's first session with its credential (it enrolled when it started): the replicas
   * record `agent_joined` for it, `agent_reconnected` for any other, all alike. From the agent, not
   * the store: a replica that reads the agent's record after another one stored this session's
   * connection cannot tell from it whether there was one before. Absent (an older agent): the store says.
   */
  firstSession: z.optional(z.boolean()),
});
export type PresenceMessage = z.infer<typeof PresenceMessage>;

/** The event types: the one list (docs/design-decisions.md, "One list of event types"). lang's catalogue
 *  restates it (src/definitions/shared-lists.test.ts keeps them equal); src/server/store/event-types.test.ts
 *  checks the events table against it. */
export const EventType = z.enum([
  'alarm_fired',
  'alarm_cleared',
  'bot_ran',
  'bot_skipped',
  'escalated',
  'approval_requested',
  'approved',
  'denied',
  'agent_joined',
  'agent_reconnected',
  'agent_left',
  'definitions_applied',
  'run_started',
  'run_finished',
  'file_failed',
  'permit_refused',
  'silence_created',
  'silence_ended',
  'maintenance_started',
  'maintenance_ended',
  'bot_disabled',
  'bot_enabled',
  'schedule_skipped',
]);
export type EventType = z.infer<typeof EventType>;

/** One entry of the fleet's timeline. The creator picks `id`, so redelivery is harmless. */
export const FleetEvent = z.object({
  id: id,
  time: z.number(),
  type: EventType,
  host: z.nullable(text(256)),
  resource: z.nullable(text(512)),
  alarm: z.nullable(text(128)),
  bot: z.nullable(text(128)),
  action: z.nullable(text(128)),
  severity: z.nullable(text(32)),
  runId: z.nullable(text(128)),
  principal: z.nullable(text(256)),
  message: text(4096),
  value: z.nullable(z.number()),
  details: z.record(z.string(), z.unknown()),
});
export type FleetEvent = z.infer<typeof FleetEvent>;

/** Events from the agent's durable outbox; the control plane acks them by id once stored. */
export const EventsMessage = z.object({ type: z.literal('events'), events: z.array(FleetEvent).check(z.minLength(1), z.maxLength(1000)) });

/** A bot asks for the fleet-wide circuit breaker's permission to run. */
export const PermitRequestMessage = z.object({
  type: z.literal('permit'),
  id,
  bot: text(128),
  resource: text(512),
});

/** The agent asks for a bot run to wait for a person's approval; the control plane runs it when approved. */
/*
 * The control plane writes an approval into a statement it runs under the approver's name, so its
 * names must be names (as definitions spell them, src/definitions/rules.ts) and its resource a
 * host or a host's process: text that could end the call and start another stage is refused.
 */
const actionName = z.string().check(z.regex(/^[a-z][a-z0-9_]{0,62}$/, 'expected an action or parameter name: lowercase letters, digits and `_`, starting with a letter'));
const botName = z.string().check(z.regex(/^[a-z][a-z0-9_-]{0,62}$/, 'expected a bot name: lowercase letters, digits, `_` and `-`, starting with a letter'));

/** The longest an approval may wait for a person, in seconds (ten years). */
export const MAX_APPROVAL_EXPIRY_SECONDS = 10 * 366 * 86_400;

export const ApprovalRequestMessage = z.object({
  type: z.literal('approval'),
  id,
  bot: botName,
  action: actionName,
  /** `<host>` or `<host>/<pid>`. */
  resource: z.string().check(z.regex(/^[^/\s]{1,256}(\/\d{1,10})?$/, 'expected a host or <host>/<pid>')),
  /** The action's arguments, already filled from the trigger's context. */
  args: z.record(actionName, z.union([z.string(), z.number(), z.boolean()])),
  /** At most ten years: the expiry must stay a time the store can hold. */
  expiresSeconds: z.number().check(z.positive(), z.maximum(MAX_APPROVAL_EXPIRY_SECONDS)),
  context: z.record(z.string(), z.unknown()),
});

/** Per-resource transitions an alarm would have had over the agent's stored history. */
export const BacktestResultMessage = z.object({
  type: z.literal('backtest_result'),
  id,
  transitions: z
    .array(
      z.object({
        time: z.number(),
        resource: text(512),
        state: z.enum(['fired', 'cleared']),
        value: z.nullable(z.number()),
        /** A predictive alarm's forecast as it would have been at the time (absent from older agents). */
        predicted: z.optional(AlarmPrediction),
      }),
    )
    .check(z.maxLength(100_000)),
  error: z.optional(text(4096)),
});

/** Rows of a query, streamed in batches as resources finish. */
export const RowsMessage = z.object({
  type: z.literal('rows'),
  query: id,
  rows: z.array(ResultRow).check(z.maxLength(100_000)),
});

/** The agent finished its part of a query (or refused it: `error`). */
export const DoneMessage = z.object({
  type: z.literal('done'),
  query: id,
  error: z.optional(text(4096)),
});

export const AgentMessage = z.discriminatedUnion('type', [
  HelloMessage,
  HeartbeatMessage,
  RowsMessage,
  DoneMessage,
  EventsMessage,
  PermitRequestMessage,
  ApprovalRequestMessage,
  BacktestResultMessage,
]);
export type AgentMessage = z.infer<typeof AgentMessage>;

// ---- control plane -> agent ----

export const WelcomeMessage = z.object({
  type: z.literal('welcome'),
  v: z.int(),
  agentId: id,
  heartbeatMs: z.int().check(z.positive(), z.maximum(MAX_TIMER_MS)),
});

/**
 * Run one agent phase of a plan. `phase` is validated by the agent against the
 * language's plan schema. `targets` limits the starting resources (by id) when
 * an earlier phase already chose them.
 */
export const QueryMessage = z.object({
  type: z.literal('query'),
  id,
  runId: z.optional(id),
  principal: text(256),
  phase: z.unknown(),
  targets: z.optional(z.array(text(512)).check(z.maxLength(1_000_000))),
  /** Milliseconds the agent has; it answers with what it has before then. */
  timeoutMs: z.int().check(z.positive(), z.maximum(MAX_TIMER_MS)),
});

export const CancelMessage = z.object({ type: z.literal('cancel'), query: id });

/**
 * The definitions for this agent (actions, metrics, alarms, bots, files), sent on connect and
 * on every apply. The agent checks them again before using them.
 */
export const DefinitionsMessage = z.object({
  type: z.literal('definitions'),
  version: z.int().check(z.nonnegative()),
  definitions: z.array(z.unknown()).check(z.maxLength(10_000)),
  /** The values of the secrets whose hosts query selects this host, by name; kept in memory only. */
  secrets: z.optional(z.record(text(64), text(64 * 1024))),
});

/** One silence as an agent holds it: `alarm` null silences every alarm; it ends on its own at `endsAt`. */
export const AgentSilence = z.object({
  id,
  alarm: z.nullable(text(128)),
  endsAt: z.number(),
  reason: text(1024),
  createdBy: text(256),
});
export type AgentSilence = z.infer<typeof AgentSilence>;

/** Who set a switch (maintenance, a bot's kill switch), when and why. */
export const SwitchState = z.object({ by: text(256), at: z.number(), reason: text(1024) });
export type SwitchState = z.infer<typeof SwitchState>;

/**
 * What operators switched for this agent, sent on connect and on every change, like definitions:
 * the silences whose host query selects it, the fleet's maintenance switch and the bots switched
 * off. The agent keeps the last one it received, so they hold while the control plane is away.
 */
export const ControlsMessage = z.object({
  type: z.literal('controls'),
  silences: z.array(AgentSilence).check(z.maxLength(10_000)),
  maintenance: z.nullable(SwitchState),
  disabledBots: z.record(botName, SwitchState),
});
export type ControlsMessage = z.infer<typeof ControlsMessage>;

/**
 * Events the control plane is done with: the agent drops `ids` from its outbox. `ids` includes the
 * `refused` ones (events an agent may not report: stored never, resent never), each with why.
 * `retry` names events not taken now (the agent's event quota): the agent sends them again after
 * `afterMs`, so nothing it recorded is lost to a burst.
 */
export const AckMessage = z.object({
  type: z.literal('ack'),
  ids: z.array(id).check(z.maxLength(1000)),
  refused: z.optional(z.array(z.object({ id, reason: text(1024) })).check(z.maxLength(1000))),
  retry: z.optional(z.object({ ids: z.array(id).check(z.maxLength(1000)), afterMs: z.int().check(z.positive(), z.maximum(MAX_TIMER_MS)) })),
});

export const PermitAnswerMessage = z.object({ type: z.literal('permit_answer'), id, allowed: z.boolean(), reason: text(1024) });

/** An alert from outside (a monitoring system's webhook) for bots with an `external` trigger on this host. */
export const ExternalAlertMessage = z.object({
  type: z.literal('alert'),
  name: text(128),
  context: z.record(text(128), z.union([z.string().check(z.maxLength(4096)), z.number(), z.boolean()])),
  /** `resolved` for the alert's resolution (bots with `on: resolved`); absent, it fires. */
  on: z.optional(z.literal('resolved')),
});

/** Replay an alarm over the agent's stored metrics of the last `seconds`. */
export const BacktestMessage = z.object({ type: z.literal('backtest'), id, alarm: z.unknown(), seconds: z.int().check(z.positive(), z.maximum(86_400)) });

export const ErrorMessage = z.object({ type: z.literal('error'), code: text(64), message: text(4096) });

export const ServerMessage = z.discriminatedUnion('type', [
  WelcomeMessage,
  QueryMessage,
  CancelMessage,
  ErrorMessage,
  DefinitionsMessage,
  ControlsMessage,
  AckMessage,
  PermitAnswerMessage,
  BacktestMessage,
  ExternalAlertMessage,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

export type HelloMessage = z.infer<typeof HelloMessage>;
export type HeartbeatMessage = z.infer<typeof HeartbeatMessage>;
export type RowsMessage = z.infer<typeof RowsMessage>;
export type DoneMessage = z.infer<typeof DoneMessage>;
export type WelcomeMessage = z.infer<typeof WelcomeMessage>;
export type QueryMessage = z.infer<typeof QueryMessage>;
export type CancelMessage = z.infer<typeof CancelMessage>;
export type ErrorMessage = z.infer<typeof ErrorMessage>;
export type EventsMessage = z.infer<typeof EventsMessage>;
export type PermitRequestMessage = z.infer<typeof PermitRequestMessage>;
export type ApprovalRequestMessage = z.infer<typeof ApprovalRequestMessage>;
export type BacktestResultMessage = z.infer<typeof BacktestResultMessage>;
export type DefinitionsMessage = z.infer<typeof DefinitionsMessage>;
export type AckMessage = z.infer<typeof AckMessage>;
export type PermitAnswerMessage = z.infer<typeof PermitAnswerMessage>;
export type BacktestMessage = z.infer<typeof BacktestMessage>;
export type ExternalAlertMessage = z.infer<typeof ExternalAlertMessage>;
