import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { FleetEvent } from '../../protocol/index.js';
import type { Outbox } from './outbox.js';
import { FileOutbox, MemoryOutbox } from './outbox.js';

/*
 * The outbox contract (MemoryOutbox and FileOutbox alike), then FileOutbox's durability with real
 * files in a temporary directory: a new instance on the same path stands for an agent restart.
 */

const T0 = 1_700_000_000_000;

function event(n: number, extra: Partial<FleetEvent> = {}): FleetEvent {
  return {
    id: `ev-${String(n).padStart(5, '0')}`,
    time: T0 + n,
    type: 'alarm_fired',
    host: 'web-1',
    resource: 'web-1',
    alarm: 'data-disk-full',
    bot: null,
    action: null,
    severity: 'critical',
    runId: null,
    principal: 'agent:web-1',
    message: `alarm data-disk-full fired on web-1 (value ${90 + (n % 10)})`,
    value: 90 + (n % 10),
    details: { condition: 'disk_usage{mount="/data"} > 90', n },
    ...extra,
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => event(from + i));
const ids = (events: readonly FleetEvent[]) => events.map((e) => e.id);

let dir: string;
let opened: FileOutbox[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-outbox-'));
  opened = [];
});
afterEach(() => {
  for (const o of opened) {
    try {
      o.close();
    } catch {
      // already closed
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Opens (or reopens, as after a restart) the outbox at `path`. */
function openAt(path: string): FileOutbox {
  const o = new FileOutbox(path);
  opened.push(o);
  return o;
}

/** Simulates the agent stopping: the handle is closed, the instance forgotten. */
function stop(o: FileOutbox): void {
  o.close();
  opened = opened.filter((x) => x !== o);
}

/** An outbox log holding events 0 and 1, then the first 40 bytes of event 2: a crash in the middle of a write. */
function tornLog(): string {
  const path = join(dir, 'outbox.log');
  const a = openAt(path);
  a.append(range(0, 2));
  stop(a);
  appendFileSync(path, `+${JSON.stringify(event(2)).slice(0, 40)}`);
  return path;
}

describe.each([
  ['MemoryOutbox', (): Outbox => new MemoryOutbox()],
  ['FileOutbox', (): Outbox => openAt(join(dir, 'outbox.log'))],
])('%s: the outbox contract', (_name, make) => {
  it('holds appended events until they are acknowledged', () => {
    const o = make();
    o.append(range(0, 3));
    expect(o.size).toBe(3);
    o.ack(['ev-00001']);
    expect(ids(o.pending(10))).toEqual(['ev-00000', 'ev-00002']);
    expect(o.size).toBe(2);
  });

  it('pending(limit) returns the oldest first, at most limit', () => {
    const o = make();
    o.append(range(0, 5));
    o.append(range(5, 8));
    expect(ids(o.pending(3))).toEqual(['ev-00000', 'ev-00001', 'ev-00002']);
    o.ack(['ev-00000', 'ev-00002']);
    expect(ids(o.pending(3))).toEqual(['ev-00001', 'ev-00003', 'ev-00004']);
    expect(o.pending(0)).toEqual([]);
  });

  it('keeps one copy of an event appended twice (redelivery), in its first place', () => {
    const o = make();
    o.append(range(0, 3));
    o.append([event(0)]);
    expect(ids(o.pending(10))).toEqual(['ev-00000', 'ev-00001', 'ev-00002']);
  });

  it('ignores acks of unknown ids', () => {
    const o = make();
    o.append(range(0, 2));
    o.ack(['nope', 'ev-00001']);
    expect(ids(o.pending(10))).toEqual(['ev-00000']);
  });
});

describe('FileOutbox: durability across restarts', () => {
  it('keeps pending events when the agent restarts', () => {
    const path = join(dir, 'data/outbox.log'); // the data directory does not exist yet
    const a = openAt(path);
    a.append(range(0, 3));
    stop(a);

    const b = openAt(path);
    expect(b.size).toBe(3);
    expect(b.pending(10)).toEqual(range(0, 3));
  });

  it('forgets acknowledged events after a restart', () => {
    const path = join(dir, 'outbox.log');
    const a = openAt(path);
    a.append(range(0, 4));
    a.ack(['ev-00000', 'ev-00002']);
    stop(a);

    const b = openAt(path);
    expect(ids(b.pending(10))).toEqual(['ev-00001', 'ev-00003']);
    b.ack(['ev-00001']);
    stop(b);
    expect(ids(openAt(path).pending(10))).toEqual(['ev-00003']);
  });

  it('has the event on disk as soon as append returns (without closing)', () => {
    const path = join(dir, 'outbox.log');
    const a = openAt(path);
    a.append([event(7)]);
    // Another instance reading the file now, as after a crash of this one.
    expect(ids(openAt(path).pending(10))).toEqual(['ev-00007']);
  });

  it('skips a torn last line (a crash in the middle of a write) on load', () => {
    const path = tornLog();

    const b = openAt(path);
    expect(ids(b.pending(10))).toEqual(['ev-00000', 'ev-00001']);
  });

  it('keeps events appended after a torn last line across the next restart', () => {
    const path = tornLog();

    const b = openAt(path);
    b.append([event(3)]);
    b.ack(['ev-00000']);
    stop(b);

    const c = openAt(path);
    expect(ids(c.pending(10))).toEqual(['ev-00001', 'ev-00003']);
  });

  it('ignores a line that is not an event', () => {
    const path = join(dir, 'outbox.log');
    appendFileSync(path, '+{"id":"x","not":"an event"}\nrubbish\n');
    const a = openAt(path);
    a.append([event(1)]);
    expect(ids(a.pending(10))).toEqual(['ev-00001']);
  });

  it('compacts the log after many acks: only pending events stay, the file shrinks, nothing is lost', () => {
    const path = join(dir, 'outbox.log');
    const a = openAt(path);
    a.append(range(0, 600));
    const full = statSync(path).size;
    // 500 acknowledged entries is when the log is rewritten.
    for (let i = 0; i < 500; i += 50) a.ack(ids(range(i, i + 50)));
    expect(a.size).toBe(100);

    expect(statSync(path).size).toBeLessThan(full / 5);
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    expect(lines.every((l) => l.startsWith('+'))).toBe(true);
    expect(lines.map((l) => (JSON.parse(l.slice(1)) as FleetEvent).id)).toEqual(ids(range(500, 600)));
    expect(readdirSync(dir)).toEqual(['outbox.log']); // no temporary file left

    // Acks and appends after compaction go to the new log, and survive a restart.
    a.ack(['ev-00500']);
    a.append([event(900)]);
    stop(a);
    const b = openAt(path);
    expect(ids(b.pending(200))).toEqual([...ids(range(501, 600)), 'ev-00900']);
  });

  it('creates the file private to the agent', () => {
    const path = join(dir, 'outbox.log');
    openAt(path).append([event(1)]);
    expect(existsSync(path)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
