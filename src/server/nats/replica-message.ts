import { z } from 'zod/mini';
import type { FleetEvent } from '../../protocol/index.js';
import { FleetEvent as FleetEventSchema } from '../../protocol/index.js';

/*
 * What replicas tell each other (subjects.replicaEvents, subjects.replicaDefinitions): JSON that
 * names the replica that sent it, so a replica drops its own echo. Any connection allowed on the
 * subject could send anything, so every message is read as hostile: size, UTF-8, JSON, schema.
 */

/** The most bytes one replica message may have: NATS's default max_payload. */
export const MAX_REPLICA_MESSAGE_BYTES = 1024 * 1024;
/** The most events in one replica message (as in one `events` message from an agent). */
export const MAX_REPLICA_EVENTS = 1000;

const replica = z.string().check(z.minLength(1), z.maxLength(128));
const EventsMessage = z.object({ replica, events: z.array(FleetEventSchema).check(z.minLength(1), z.maxLength(MAX_REPLICA_EVENTS)) });
const DefinitionsMessage = z.object({ replica, version: z.number().check(z.int(), z.minimum(1)) });

export type ReplicaEvents = z.infer<typeof EventsMessage>;
export type ReplicaDefinitions = z.infer<typeof DefinitionsMessage>;
export type Decoded<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly reason: string };

/** Reads a replicaEvents message. Never throws. */
export function decodeReplicaEvents(data: Uint8Array): Decoded<ReplicaEvents> {
  return decode(data, EventsMessage);
}

/** Reads a replicaDefinitions message. Never throws. */
export function decodeReplicaDefinitions(data: Uint8Array): Decoded<ReplicaDefinitions> {
  return decode(data, DefinitionsMessage);
}

function decode<T>(data: Uint8Array, schema: z.ZodMiniType<T>): Decoded<T> {
  if (data.byteLength > MAX_REPLICA_MESSAGE_BYTES) return { ok: false, reason: `message of ${data.byteLength} bytes is over ${MAX_REPLICA_MESSAGE_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (err) {
    return { ok: false, reason: `not UTF-8 JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).slice(0, 3).join('; ') };
  return { ok: true, message: parsed.data };
}

/**
 * Packs `events` into replicaEvents messages of at most `maxBytes` and MAX_REPLICA_EVENTS events
 * each, in order. An event too large for a message on its own is left out and returned in `tooLarge`.
 */
export function packReplicaEvents(replica: string, events: readonly FleetEvent[], maxBytes: number): { messages: string[]; tooLarge: FleetEvent[] } {
  const head = `{"replica":${JSON.stringify(replica)},"events":[`;
  const tail = ']}';
  const overhead = Buffer.byteLength(head) + tail.length;
  const messages: string[] = [];
  const tooLarge: FleetEvent[] = [];
  let batch: string[] = [];
  let bytes = overhead;
  const flush = () => {
    if (batch.length) messages.push(head + batch.join(',') + tail);
    batch = [];
    bytes = overhead;
  };
  for (const e of events) {
    const json = JSON.stringify(e);
    const size = Buffer.byteLength(json);
    if (overhead + size > maxBytes) {
      tooLarge.push(e);
      continue;
    }
    // One byte for the comma before every event but the first.
    if (batch.length === MAX_REPLICA_EVENTS || bytes + size + (batch.length ? 1 : 0) > maxBytes) flush();
    bytes += size + (batch.length ? 1 : 0);
    batch.push(json);
  }
  flush();
  return { messages, tooLarge };
}
