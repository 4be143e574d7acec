/**
 * Bytes received and sent over every interface but loopback, from the text of /proc/PID/net/dev
 * (two header lines, then `  eth0: rx_bytes packets errs drop fifo frame compressed multicast
 * tx_bytes …`); undefined when the text is missing or has no interface line.
 */
export function parseNetDev(text: string | undefined): { rx: number; tx: number } | undefined {
  if (text === undefined) return undefined;
  let rx = 0;
  let tx = 0;
  let found = false;
  for (const line of text.split('\n', 256).slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/, 9);
    const r = Number(fields[0]);
    const t = Number(fields[8]);
    if (!Number.isSafeInteger(r) || !Number.isSafeInteger(t) || r < 0 || t < 0) continue;
    rx += r;
    tx += t;
    found = true;
  }
  return found ? { rx, tx } : undefined;
}
