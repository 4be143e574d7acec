/**
 * The agent: collects per-second metrics into a local store, runs query
 * phases and commands for the control plane, reconnects on its own.
 *
 * @example
 * const agent = await createAgent(resolveAgentConfig({ server: 'http://127.0.0.1:7070', token: process.env.BW_JOIN_TOKEN }));
 * await agent.start();
 * process.once('SIGTERM', () => void agent.stop());
 */
export type { AgentConfig, AgentOptions } from './config.js';
export { AGENT_DEFAULTS, durationMs, resolveAgentConfig } from './config.js';
export type { AgentDeps, AgentState, AgentStatus } from './daemon-deps.js';
export type { AgentLogger, LogLevel } from './log.js';
export { jsonLogger } from './log.js';
export { AGENT_VERSION, AgentDaemon } from './daemon.js';
export type { CommandRunner, CommandResult, CommandSpec } from './exec/types.js';
export { ShellRunner } from './exec/shell-runner.js';
export type { BuiltinRunnerOptions } from './exec/builtin-runner.js';
export { BUILTIN_COMMANDS, BuiltinRunner } from './exec/builtin-runner.js';
export type { StoredCredential } from './credentials.js';
export { enroll } from './credentials.js';
export { NATS_CREDS_FILE, natsCredsRenewAt, renewNatsCreds } from './nats-creds.js';
export type { MetricSource, Snapshot, TimeSeriesStore } from './metrics/types.js';
export type { MemoryTsdbOptions } from './metrics/tsdb.js';
export { MemoryTsdb } from './metrics/tsdb.js';
export { SyntheticSource } from './metrics/synthetic-source.js';
export { ProcSource } from './metrics/proc-source.js';
export { processSeriesKey } from './query/resources.js';
export type { ActionDefinition } from './query/executor.js';
export { agentHistory, createAgent } from './run.js';
export type { Outbox, OutboxLog } from './engine/outbox.js';
export { FileOutbox, MemoryOutbox, readOutboxLog } from './engine/outbox.js';
export { RemediationEngine } from './engine/engine.js';
export type { ConnectNatsAgentOptions, NatsAgentConnection, NatsAgentIgnored, NatsAgentOptions } from './nats/nats-connection.js';
export { connectNatsAgent, openNatsAgentConnection } from './nats/nats-connection.js';
