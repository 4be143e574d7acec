import { HeldFile, type Reader } from '../proc-read.js';
import type { Sample } from '../types.js';

/**
 * One family of host metrics, read from procfs once a pass.
 *
 * To add a metric: write `collectors/<name>.ts` with a class extending {@link FileCollector} (or
 * implementing {@link HostCollector} when it reads more than one file), whose samples use names
 * and labels of the host metrics in lang's BUILTIN_CATALOGUE (add the metric there first); give it
 * a `<name>.test.ts` beside it that reads the fixture tree in `../fixtures/` (adding the files it
 * needs there) through test/proc-fixture.ts; then list it in ProcSource (`../proc-source.ts`), in
 * the per-second list and, when it needs no earlier reading (no rate), in the fast list too. It
 * runs every second on every host: parse bytes with the `../proc-read.js` helpers, not regexes
 * or string splitting.
 *
 * @example
 * class Entropy extends FileCollector {
 *   constructor(ctx: CollectorContext) { super(ctx, 'sys/kernel/random/entropy_avail'); }
 *   protected parse(buf: Buffer, n: number, host: Sample[]): void {
 *     seek(0);
 *     host.push({ name: 'entropy_bits', value: readInt(buf, n) });
 *   }
 * }
 */
export interface HostCollector {
  /** Appends this pass's samples to `host`; `pass` numbers the passes (1, 2, ...). */
  collect(host: Sample[], pass: number): void;
  /** Closes what it holds open between passes; it may collect again afterwards. */
  close(): void;
}

/** What every collector of one source shares. */
export interface CollectorContext {
  /** Where procfs is mounted (a fixture tree in tests). */
  readonly procRoot: string;
  /** The source's scratch buffer: a collector's bytes are valid until the next read. */
  readonly reader: Reader;
  /** Monotonic clock in ms, for rates. */
  readonly monotonic: () => number;
}

/** A collector of one procfs file, held open and re-read every pass. */
export abstract class FileCollector implements HostCollector {
  readonly #file: HeldFile;
  readonly #reader: Reader;

  constructor(ctx: CollectorContext, path: string) {
    this.#file = new HeldFile(`${ctx.procRoot}/${path}`);
    this.#reader = ctx.reader;
  }

  collect(host: Sample[], pass: number): void {
    const n = this.#file.read(this.#reader);
    if (n > 0) this.parse(this.#reader.buf, n, host, pass);
  }

  close(): void {
    this.#file.close();
  }

  /** Pushes the samples found in the file's `n` bytes in `buf`. */
  protected abstract parse(buf: Buffer, n: number, host: Sample[], pass: number): void;
}
