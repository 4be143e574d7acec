const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A NATS payload as text for `decode()`: bytes that are not UTF-8 become text `decode()` refuses
 * as not JSON, so a hostile payload is one more malformed message, never a thrown error.
 *
 * @example
 * const decoded = decode(AgentMessage, payloadText(msg.data));
 */
export function payloadText(data: Uint8Array): string {
  try {
    return decoder.decode(data);
  } catch {
    return '\u0000 not UTF-8';
  }
}
