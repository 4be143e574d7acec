import type { Reader } from '../proc-read.js';

/**
 * uid -> user name from passwd, parsed once and read again (at most every 10 s) only when a uid
 * is unknown: a user added after the agent started is found, and a uid with no name costs no
 * re-read each pass.
 * @example new UserNames('/etc', reader, () => performance.now()).name(0); // 'root'
 */
export class UserNames {
  #users: Map<number, string> | undefined;
  #readAt = -Infinity;

  constructor(
    private readonly etcRoot: string,
    private readonly reader: Reader,
    private readonly monotonic: () => number,
  ) {}

  /** The user name of `uid`, or the number as text when passwd has none. */
  name(uid: number): string {
    let users = this.#users;
    let name = users?.get(uid);
    if (name !== undefined) return name;
    const now = this.monotonic();
    if (!users || now - this.#readAt > 10_000) {
      this.#readAt = now;
      users = parsePasswd(this.reader.readText(`${this.etcRoot}/passwd`) ?? '');
      this.#users = users;
      name = users.get(uid);
      if (name !== undefined) return name;
    }
    return String(uid);
  }
}

/** uid -> name of each passwd line; the first line of a uid wins. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    const uid = Number(f[2]);
    if (Number.isInteger(uid) && !users.has(uid)) users.set(uid, f[0]!);
  }
  return users;
}
