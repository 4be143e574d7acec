/*
 * Ids that sort in the order they were made, for every record listed newest first by time and then
 * by id (audit entries, runs, events, approvals, deliveries). Records of one millisecond (a run's
 * start and its end, or anything on a test's fake clock) were ordered by a random UUID, so a run's
 * end could be listed before its start. A UUIDv7 (RFC 9562) with a per-process counter in its 12
 * `rand_a` bits keeps this process's order; records from two processes in one millisecond have no
 * order to keep. Web Crypto's random bytes, so that the agent and the server make them alike.
 */

const COUNTER_MAX = 0xfff;

/** The last id's millisecond and counter, so the next id is greater even if the wall clock steps back. */
let lastMs = -1;
let counter = 0;

/**
 * A new UUIDv7 greater (as text) than every id this process made before it.
 *
 * @example
 * orderedId() < orderedId(); // true
 */
export function orderedId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (counter < COUNTER_MAX) {
    counter += 1;
  } else {
    // 4,096 ids in one millisecond: borrow the next millisecond rather than repeat an order.
    lastMs += 1;
    counter = 0;
  }
  const random = crypto.getRandomValues(new Uint8Array(8));
  random[0] = (random[0]! & 0x3f) | 0x80; // the variant bits
  const hex = lastMs.toString(16).padStart(12, '0').slice(-12);
  const tail = Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8)}-${(0x7000 | counter).toString(16)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}
