import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FleetEvent } from '../../protocol/index.js';
import { FleetEvent as FleetEventSchema } from '../../protocol/index.js';

/**
 * Events wait here until the control plane confirms it stored them, so an
 * outage of the control plane or the network loses nothing. Delivery is
 * at-least-once; the control plane drops duplicates by event id.
 */
export interface Outbox {
  /** Durably records events (on disk before it returns, for the file outbox). */
  append(events: readonly FleetEvent[]): void;
  /** The oldest events not yet acknowledged. */
  pending(limit: number): FleetEvent[];
  ack(ids: readonly string[]): void;
  readonly size: number;
}

/** For simulated agents and tests: the same contract without a disk. */
export class MemoryOutbox implements Outbox {
  protected queue = new Map<string, FleetEvent>();

  append(events: readonly FleetEvent[]): void {
    for (const e of events) this.queue.set(e.id, e);
  }

  pending(limit: number): FleetEvent[] {
    const out: FleetEvent[] = [];
    for (const e of this.queue.values()) {
      if (out.length >= limit) break;
      out.push(e);
    }
    return out;
  }

  ack(ids: readonly string[]): void {
    for (const id of ids) this.queue.delete(id);
  }

  get size(): number {
    return this.queue.size;
  }
}

/** What an outbox log holds: every event appended since it was last compacted, and those not yet acknowledged. */
export interface OutboxLog {
  readonly appended: readonly FleetEvent[];
  readonly pending: readonly FleetEvent[];
}

/**
 * Reads a `FileOutbox` log (`+` lines add an event, `-` lines acknowledge ids), oldest first.
 * A line torn by a crash mid-write is skipped: the event was never acknowledged as written.
 */
export function readOutboxLog(text: string): OutboxLog {
  const appended: FleetEvent[] = [];
  const pending = new Map<string, FleetEvent>();
  for (const line of text.split('\n')) {
    if (line.startsWith('+')) {
      try {
        const parsed = FleetEventSchema.safeParse(JSON.parse(line.slice(1)));
        if (parsed.success) {
          appended.push(parsed.data);
          pending.set(parsed.data.id, parsed.data);
        }
      } catch {
        // a torn line: skipped, as said above
      }
    } else if (line.startsWith('-')) {
      for (const id of line.slice(1).split(',')) pending.delete(id);
    }
  }
  return { appended, pending: [...pending.values()] };
}

/** Rewrite the log once this many acknowledged entries have piled up in it. */
const COMPACT_AFTER = 500;

/**
 * A JSON-lines log in the agent's data directory: `+` lines add an event, `-`
 * lines acknowledge ids. Appends are fsync'd before `append` returns; the log
 * is compacted (rewritten via a temporary file and rename) as acks pile up.
 * A torn last line after a crash is skipped on load.
 */
export class FileOutbox extends MemoryOutbox {
  private fd: number;
  private acked = 0;

  constructor(private readonly path: string) {
    super();
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const torn = this.load();
    this.fd = openSync(path, 'a', 0o600);
    // End a torn last line, so the next append starts a line of its own rather than being glued to
    // the torn one (and lost with it on the next load).
    if (torn) {
      writeSync(this.fd, '\n');
      fsyncSync(this.fd);
    }
  }

  /** Loads the log; true when its last line is torn (no newline at the end). */
  private load(): boolean {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return false;
    }
    for (const e of readOutboxLog(text).pending) this.queue.set(e.id, e);
    return text.length > 0 && !text.endsWith('\n');
  }

  override append(events: readonly FleetEvent[]): void {
    if (!events.length) return;
    writeSync(this.fd, events.map((e) => `+${JSON.stringify(e)}\n`).join(''));
    fsyncSync(this.fd);
    super.append(events);
  }

  override ack(ids: readonly string[]): void {
    const known = ids.filter((id) => this.queue.has(id));
    if (!known.length) return;
    super.ack(known);
    writeSync(this.fd, `-${known.join(',')}\n`);
    this.acked += known.length;
    if (this.acked >= COMPACT_AFTER) this.compact();
  }

  private compact(): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, [...this.queue.values()].map((e) => `+${JSON.stringify(e)}\n`).join(''));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a', 0o600);
    this.acked = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}
