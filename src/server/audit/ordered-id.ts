/*
 * Audit ids that sort in the order they were made. The audit log lists newest first by time and
 * then by id; entries written in the same millisecond (a run's start and its end on a fast agent, or
 * any test on a fake clock) were ordered by a random UUID, so a run's end could be listed before its
 * start. A UUIDv7 (RFC 9562) with a per-process counter in its 12 `rand_a` bits keeps this
 * process's order; entries from two replicas in one millisecond have no order to keep.
 */
import { randomBytes } from 'node:crypto';

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
  const random = randomBytes(8);
  const hex = lastMs.toString(16).padStart(12, '0').slice(-12);
  const a = (0x7000 | counter).toString(16);
  const b = ((random[0]! & 0x3f) | 0x80).toString(16).padStart(2, '0') + random.toString('hex', 1, 2);
  return `${hex.slice(0, 8)}-${hex.slice(8)}-${a}-${b}-${random.toString('hex', 2, 8)}`;
}
