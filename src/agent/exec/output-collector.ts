import { truncationMarker } from './result.js';

/**
 * Keeps at most `cap` bytes of one stream as text; counts the rest. Each piece of text kept is
 * also handed to `emit` as it arrives (live output).
 * @example
 * const out = new OutputCollector(1024, (text) => process.stdout.write(text));
 * child.stdout.on('data', (data) => out.push(data));
 * child.stdout.on('close', () => result.stdout = out.finish());
 */
export class OutputCollector {
  readonly #cap: number;
  readonly #emit: (chunk: string) => void;
  readonly #decoder = new TextDecoder('utf-8');
  readonly #parts: string[] = [];
  #kept = 0;
  #dropped = 0;
  truncated = false;

  constructor(cap: number, emit: (chunk: string) => void) {
    this.#cap = cap;
    this.#emit = emit;
  }

  push(data: Buffer): void {
    if (this.truncated) {
      this.#dropped += data.length;
      return;
    }
    const room = this.#cap - this.#kept;
    if (data.length <= room) {
      this.#kept += data.length;
      this.#add(this.#decoder.decode(data, { stream: true }));
      return;
    }
    this.truncated = true;
    this.#kept = this.#cap;
    this.#dropped += data.length - room;
    // With `stream: true` a character cut at the cap stays inside the decoder, which is never
    // flushed afterwards: truncation drops it whole instead of producing U+FFFD.
    this.#add(this.#decoder.decode(data.subarray(0, room), { stream: true }));
  }

  /** Flushes the decoder (or adds the truncation marker) and returns everything kept. */
  finish(): string {
    if (this.truncated) {
      this.#add(truncationMarker(this.#cap, this.#dropped));
    } else {
      this.#add(this.#decoder.decode());
    }
    return this.#parts.join('');
  }

  #add(text: string): void {
    if (text === '') return;
    this.#parts.push(text);
    this.#emit(text);
  }
}
