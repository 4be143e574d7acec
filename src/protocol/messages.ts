import { z } from 'zod';
import { ResourceRef, ResultRow } from './rows.js';

/**
 * Messages between agents and the control plane, as JSON text frames. Every
 * message is validated on receipt; an unknown `type` or a bad field is
 * answered with an `error` message naming it, never a crash.
 */
export const PROTOCOL_VERSION = 1;

/** Largest frame either side accepts; bigger ones are refused with a clear error. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

const id = z.string().min(1).max(128);
const text = (max: number) => z.string().max(max);
const labels = z.record(text(128), text(1024));

export const HostFactsMessage = z.object({
  hostname: text(256),
  machineId: text(256),
  os: text(64),
  distro: text(128),
  arch: text(64),
  kernel: text(256),
  ip: text(64),
  agentVersion: text(64),
});
export type HostFactsMessage = z.infer<typeof HostFactsMessage>;

// ---- agent -> control plane ----

export const HelloMessage = z.object({
  type: z.literal('hello'),
  v: z.number().int(),
  name: text(256).min(1),
  facts: HostFactsMessage,
  tags: labels,
});

export const HeartbeatMessage = z.object({
  type: z.literal('heartbeat'),
  time: z.number(),
  /** Commands running or queued on the agent. */
  active: z.number().int().nonnegative(),
  rssBytes: z.number().nonnegative(),
});

/** Rows of a query, streamed in batches as resources finish. */
export const RowsMessage = z.object({
  type: z.literal('rows'),
  query: id,
  rows: z.array(ResultRow).max(100_000),
});

/** A chunk of a running command's output, for live display. */
export const OutputMessage = z.object({
  type: z.literal('output'),
  query: id,
  resource: ResourceRef,
  stream: z.enum(['stdout', 'stderr']),
  data: text(1024 * 1024),
});

/** The agent finished its part of a query (or refused it: `error`). */
export const DoneMessage = z.object({
  type: z.literal('done'),
  query: id,
  error: text(4096).optional(),
});

export const AgentMessage = z.discriminatedUnion('type', [HelloMessage, HeartbeatMessage, RowsMessage, OutputMessage, DoneMessage]);
export type AgentMessage = z.infer<typeof AgentMessage>;

// ---- control plane -> agent ----

export const WelcomeMessage = z.object({
  type: z.literal('welcome'),
  v: z.number().int(),
  agentId: id,
  heartbeatMs: z.number().int().positive(),
});

/**
 * Run one agent phase of a plan. `phase` is validated by the agent against the
 * language's plan schema. `targets` limits the starting resources (by id) when
 * an earlier phase already chose them.
 */
export const QueryMessage = z.object({
  type: z.literal('query'),
  id,
  runId: id.optional(),
  principal: text(256),
  phase: z.unknown(),
  targets: z.array(text(512)).max(1_000_000).optional(),
  /** Milliseconds the agent has; it answers with what it has before then. */
  timeoutMs: z.number().int().positive(),
  /** Send `output` chunks while commands run. */
  stream: z.boolean().optional(),
});

export const CancelMessage = z.object({ type: z.literal('cancel'), query: id });

export const ErrorMessage = z.object({ type: z.literal('error'), code: text(64), message: text(4096) });

export const ServerMessage = z.discriminatedUnion('type', [WelcomeMessage, QueryMessage, CancelMessage, ErrorMessage]);
export type ServerMessage = z.infer<typeof ServerMessage>;

export type HelloMessage = z.infer<typeof HelloMessage>;
export type HeartbeatMessage = z.infer<typeof HeartbeatMessage>;
export type RowsMessage = z.infer<typeof RowsMessage>;
export type OutputMessage = z.infer<typeof OutputMessage>;
export type DoneMessage = z.infer<typeof DoneMessage>;
export type WelcomeMessage = z.infer<typeof WelcomeMessage>;
export type QueryMessage = z.infer<typeof QueryMessage>;
export type CancelMessage = z.infer<typeof CancelMessage>;
export type ErrorMessage = z.infer<typeof ErrorMessage>;

export type Decoded<T> = { ok: true; message: T } | { ok: false; error: string };

/** Parses and validates one frame; the error says which field was wrong and how. */
export function decode<T>(schema: z.ZodType<T>, frame: string): Decoded<T> {
  if (frame.length > MAX_FRAME_BYTES) return { ok: false, error: `frame of ${frame.length} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit` };
  let raw: unknown;
  try {
    raw = JSON.parse(frame);
  } catch (err) {
    return { ok: false, error: `frame is not JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  return { ok: false, error: describeIssues(parsed.error) };
}

/** "rows.0.status: expected one of ok|error|..., found 'fine'" — zod issues as one readable line. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`)
    .join('; ');
}
