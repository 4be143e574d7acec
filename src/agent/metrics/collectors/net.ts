import { cursor, readInt, seek, skipBlank } from '../proc-read.js';
import type { Sample } from '../types.js';
import { FileCollector, type CollectorContext } from './collector.js';

interface NetPrev {
  rx: number;
  tx: number;
  time: number;
  seen: number;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * net_rx_bytes_rate and net_tx_bytes_rate{iface}, bytes per second since the previous pass, from
 * /proc/net/dev; loopback left out. An interface's first reading gives no rate.
 */
export class NetCollector extends FileCollector {
  readonly #monotonic: () => number;
  readonly #prev = new Map<string, NetPrev>();
  /** When this pass began reading, monotonic ms: the time its counters are taken at. */
  #now = 0;

  constructor(ctx: CollectorContext) {
    super(ctx, 'net/dev');
    this.#monotonic = ctx.monotonic;
  }

  override collect(host: Sample[], pass: number): void {
    this.#now = this.#monotonic();
    super.collect(host, pass);
  }

  protected parse(buf: Buffer, n: number, host: Sample[], pass: number): void {
    const mono = this.#now;
    // Two header lines, then "  eth0: rx_bytes packets errs drop fifo frame compressed multicast tx_bytes ...".
    let p = buf.indexOf(10);
    if (p >= 0) p = buf.indexOf(10, p + 1);
    if (p < 0 || p >= n) return;
    p++;
    while (p < n) {
      let eol = buf.indexOf(10, p);
      if (eol < 0 || eol > n) eol = n;
      const start = p;
      p = eol + 1;
      const colon = buf.indexOf(58, start);
      if (colon < 0 || colon >= eol) continue;
      skipBlank(buf, start, colon);
      const iface = buf.toString('latin1', cursor(), colon);
      if (iface === 'lo') continue;
      seek(colon + 1);
      let rx = 0;
      let tx = 0;
      for (let f = 1; f <= 9; f++) {
        skipBlank(buf, cursor(), eol);
        const v = readInt(buf, eol);
        if (f === 1) rx = v;
        else if (f === 9) tx = v;
      }
      const prev = this.#prev.get(iface);
      if (!prev) {
        this.#prev.set(iface, { rx, tx, time: mono, seen: pass, labels: Object.freeze({ iface }) });
        continue;
      }
      const dt = (mono - prev.time) / 1000;
      // A counter that went backwards (interface re-created, driver reset) gives no rate this pass.
      if (dt > 0 && rx >= prev.rx && tx >= prev.tx) {
        host.push({ name: 'net_rx_bytes_rate', labels: prev.labels, value: (rx - prev.rx) / dt });
        host.push({ name: 'net_tx_bytes_rate', labels: prev.labels, value: (tx - prev.tx) / dt });
      }
      prev.rx = rx;
      prev.tx = tx;
      prev.time = mono;
      prev.seen = pass;
    }
    for (const [k, v] of this.#prev) if (v.seen !== pass) this.#prev.delete(k);
  }
}
