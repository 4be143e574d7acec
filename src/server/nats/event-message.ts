import type { FleetEvent, NatsSubjects } from '../../protocol/index.js';
import { agentFromToken, FleetEvent as FleetEventSchema } from '../../protocol/index.js';
import { screenAgentEvents } from '../agent-intake.js';
import { MAX_EVENT_MESSAGE_BYTES } from './events-stream.js';

/** An events-stream message read: the event to store (principal and time set by the control plane), or why not. */
export type DecodedEvent =
  | { readonly ok: true; readonly agent: string; readonly event: FleetEvent }
  | { readonly ok: false; readonly kind: 'malformed' | 'refused'; readonly agent: string | undefined; readonly reason: string };

/**
 * Reads one message of the events stream. The subject names the agent (NATS permissions let an
 * agent publish only on its own), so the event must be about that agent's host, as on the
 * WebSocket (`screenAgentEvents`). Never throws: bytes that are not an event are `malformed`.
 *
 * @example
 * decodeEventMessage(natsSubjects('bw'), 'bw.events.web-1', bytes, Date.now()) // { ok: true, agent: 'web-1', event }
 */
export function decodeEventMessage(subjects: NatsSubjects, subject: string, data: Uint8Array, now: number): DecodedEvent {
  const head = `${subjects.prefix}.events.`;
  const token = subject.startsWith(head) ? subject.slice(head.length) : '';
  if (token === '' || token.includes('.')) return { ok: false, kind: 'malformed', agent: undefined, reason: `subject ${JSON.stringify(subject.slice(0, 300))} is not one agent's events subject (${subjects.allEvents})` };
  const agent = agentFromToken(token);
  const bad = (reason: string): DecodedEvent => ({ ok: false, kind: 'malformed', agent, reason });
  // The stream refuses larger messages; this holds for a stream configured by someone else too.
  if (data.byteLength > MAX_EVENT_MESSAGE_BYTES) return bad(`message of ${data.byteLength} bytes is over ${MAX_EVENT_MESSAGE_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (err) {
    return bad(`not UTF-8 JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = FleetEventSchema.safeParse(json);
  if (!parsed.success) return bad(`not an event: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).slice(0, 3).join('; ')}`);
  const { accepted, refused } = screenAgentEvents(agent, [parsed.data], now);
  const event = accepted[0];
  if (event) return { ok: true, agent, event };
  return { ok: false, kind: 'refused', agent, reason: refused[0]?.reason ?? 'refused' };
}
