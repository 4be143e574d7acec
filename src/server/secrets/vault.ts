import { readFile, realpath } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import type { SecretDefinition } from '../../definitions/index.js';
import { redactSecrets } from '../../definitions/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { SecretRecord, Store } from '../store/index.js';
import { decryptSecret, encryptSecret } from './crypto.js';
import { Keyring } from './keyring.js';

/** The largest value a secret may hold (it travels to agents and into environments). */
export const MAX_SECRET_BYTES = 64 * 1024;

/** What `breakwater secret list` and GET /api/v1/secrets show of a secret: never its value. */
export interface SecretStatus {
  readonly name: string;
  readonly description: string;
  readonly hosts: string;
  /** `store` (set with `breakwater secret set`), `env VAR` or `file /path` (read on the control plane). */
  readonly source: string;
  readonly value: '(set)' | '(not set)' | '(unreadable)';
  /** Why the value is unreadable or not set, when there is a reason (a wrong key, a missing variable). */
  readonly problem?: string;
  readonly updatedAt: number | null;
  readonly updatedBy: string | null;
}

/**
 * The control plane's secrets: the applied `secret` definitions and their
 * values, decrypted in memory only (the store holds ciphertext). Values go to
 * agents through delivery.ts and are redacted from what the control plane
 * stores and shows.
 */
export class SecretVault {
  private defs: readonly SecretDefinition[] = [];
  private readonly values = new Map<string, string>();
  private readonly problems = new Map<string, string>();
  private rows = new Map<string, SecretRecord>();
  /** Bumped whenever a value changes, and recorded per secret: an agent's set is re-sent only when one of its values changed. */
  private generation = 0;
  private readonly changedAt = new Map<string, number>();
  /** Writes to the store from this replica, counted; and the count at each secret's last (see {@link refresh}). */
  private writes = 0;
  private readonly writtenAt = new Map<string, number>();

  private constructor(
    private readonly store: Store,
    private readonly keyring: Keyring,
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv,
    private readonly dataDir: string,
    private readonly clock: Clock,
  ) {}

  /** `env` gives the key (BREAKWATER_SECRET_KEY) and the variables `from: {env}` reads; `clock` dates the values set. */
  static async open(store: Store, dataDir: string, env: NodeJS.ProcessEnv, logger: Logger, clock: Clock = systemClock): Promise<SecretVault> {
    return new SecretVault(store, await Keyring.load(dataDir, env), logger, env, dataDir, clock);
  }

  /** Reads every value the definitions name; one that cannot be read is logged (without value) and counts as unset. */
  async load(defs: readonly SecretDefinition[]): Promise<void> {
    this.defs = defs;
    this.values.clear();
    this.problems.clear();
    this.rows = new Map((await this.store.listSecrets()).map((r) => [r.name, r]));
    for (const def of defs) {
      try {
        const value = def.from ? await readSource(def, this.env, this.dataDir) : await this.decryptRow(def.name);
        if (value !== undefined) this.values.set(def.name, value);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.problems.set(def.name, message);
        this.logger.error({ secret: def.name }, `secret ${def.name} is unusable: ${message}`);
      }
    }
    if (this.keyring.hasPrevious && ![...this.rows.values()].some((r) => r.keyId !== this.keyring.keys()[0]?.id)) await this.keyring.finishRotation();
    this.generation++;
    for (const def of defs) this.changedAt.set(def.name, this.generation);
  }

  /**
   * Takes the stored values set since they were read here: with several replicas, one's
   * `secret set` is announced to the others, which refresh (else they would hand an agent that
   * reconnects through them the old value, and not redact the new one). True when a value changed.
   * @example if (await vault.refresh()) fleet.pushDefinitions();
   */
  async refresh(): Promise<boolean> {
    const writesBefore = this.writes;
    const rows = new Map((await this.store.listSecrets()).map((r) => [r.name, r]));
    let changed = false;
    for (const def of this.defs) {
      const row = rows.get(def.name);
      const known = this.rows.get(def.name);
      // Written here since the list was asked for: the list may hold the row this write replaced.
      const crossed = (this.writtenAt.get(def.name) ?? 0) > writesBefore;
      if (def.from || !row || crossed || known?.ciphertext === row.ciphertext) continue;
      this.rows.set(def.name, row);
      let value: string;
      try {
        value = decryptSecret(this.keyring.keys(), def.name, row);
      } catch (err) {
        // Under a key this replica does not have yet (a rotation: the replicas restart one by one):
        // the value it holds stays in use, and redacted, until it restarts with the new key.
        const message = err instanceof Error ? err.message : String(err);
        this.problems.set(def.name, message);
        this.logger.error({ secret: def.name }, `secret ${def.name}: the stored value does not decrypt here (${message}); the value read before stays in use`);
        continue;
      }
      this.problems.delete(def.name);
      // The same value again (set again, or re-encrypted by a rotation) is no change for the agents.
      if (this.values.get(def.name) === value) continue;
      this.values.set(def.name, value);
      this.changedAt.set(def.name, ++this.generation);
      changed = true;
    }
    return changed;
  }

  /** Decrypts a stored value; one still under the previous key (an interrupted rotation) is re-encrypted with the current one. */
  private async decryptRow(name: string): Promise<string | undefined> {
    const row = this.rows.get(name);
    if (!row) return undefined;
    const value = decryptSecret(this.keyring.keys(), name, row);
    if (row.keyId !== this.keyring.keys()[0]?.id) await this.write(name, value, row.updatedBy, row.updatedAt);
    return value;
  }

  private async write(name: string, value: string, by: string, at: number): Promise<void> {
    const record: SecretRecord = { name, ...encryptSecret(await this.keyring.encryptionKey(), name, value), updatedAt: at, updatedBy: by };
    await this.store.putSecret(record);
    this.rows.set(name, record);
    this.writtenAt.set(name, ++this.writes);
  }

  /** Sets a value from `breakwater secret set`: the secret must be defined and not read from `from`. */
  async set(name: string, value: string, by: string): Promise<void> {
    const def = this.defs.find((d) => d.name === name);
    if (!def) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no secret ${name} in the applied definitions: define it (\`kind: secret\`) and apply first`, { secret: name });
    if (def.from) throw new BreakwaterError('BW_ERR_CONFLICT', `secret ${name} is read from ${describeSource(def)} on the control plane; change it there, or remove \`from\` to set it here`, { secret: name });
    const problem = valueProblem(value);
    if (problem) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `secret ${name}: ${problem}`, { secret: name });
    await this.write(name, value, by, this.clock.now());
    this.values.set(name, value);
    this.problems.delete(name);
    this.changedAt.set(name, ++this.generation);
  }

  /**
   * Re-encrypts every stored value with a new key (secret.key), reading each
   * with the old one; the old key is kept as secret.key.previous until all are
   * done. Returns how many values were re-encrypted.
   */
  async rotateKey(): Promise<number> {
    const rows = [...this.rows.values()];
    const plain = rows.map((r) => ({ row: r, value: decryptSecret(this.keyring.keys(), r.name, r) }));
    await this.keyring.beginRotation();
    for (const { row, value } of plain) await this.write(row.name, value, row.updatedBy, row.updatedAt);
    await this.keyring.finishRotation();
    return plain.length;
  }

  list(): SecretStatus[] {
    return this.defs.map((def) => {
      const row = def.from ? undefined : this.rows.get(def.name);
      const problem = this.problems.get(def.name) ?? (def.from && !this.values.has(def.name) ? `${describeSource(def)} is empty` : undefined);
      return {
        name: def.name,
        description: def.description,
        hosts: def.hosts,
        source: def.from ? describeSource(def) : 'store',
        value: this.values.has(def.name) ? '(set)' : this.problems.has(def.name) ? '(unreadable)' : '(not set)',
        ...(problem ? { problem } : {}),
        updatedAt: row?.updatedAt ?? null,
        updatedBy: row?.updatedBy ?? null,
      };
    });
  }

  /** The value of each named secret that has one. */
  valuesOf(names: readonly string[]): Record<string, string> {
    return Object.fromEntries(names.flatMap((n) => (this.values.has(n) ? [[n, this.values.get(n) as string]] : [])));
  }

  isSet(name: string): boolean {
    return this.values.has(name);
  }

  /** Which change last touched this secret's value (equal revisions, equal values). */
  revision(name: string): number {
    return this.changedAt.get(name) ?? 0;
  }

  /** `[secret:NAME]` for every value in `text`: the control plane's second line of defence for what it stores and shows. */
  redact(text: string): string {
    return this.values.size ? redactSecrets(text, this.values) : text;
  }

  /** `redact` on every string (and key) inside a JSON-like value: rows and events from agents. */
  redactValue<T>(value: T): T {
    if (!this.values.size) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.redact(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.redact(k), walk(x)]));
      return v;
    };
    return walk(value) as T;
  }
}

function describeSource(def: SecretDefinition): string {
  return def.from && 'env' in def.from ? `env ${def.from.env}` : `file ${def.from?.file ?? ''}`;
}

/** A `from` value: the variable or the file's content (one trailing newline dropped, as `echo` adds one). */
async function readSource(def: SecretDefinition, env: NodeJS.ProcessEnv, dataDir: string): Promise<string | undefined> {
  const from = def.from;
  if (!from) return undefined;
  if ('file' in from) await refuseDataDir(from.file, dataDir);
  const raw = 'env' in from ? env[from.env] : await readFile(from.file, 'utf8');
  const value = raw?.replace(/\r?\n$/, '');
  if (value === undefined || value === '') return undefined;
  const problem = valueProblem(value);
  if (problem) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `${describeSource(def)}: ${problem}`);
  return value;
}

/** The data directory holds the store and the secret key: no definition may ship a file from there (by any path, links included). */
async function refuseDataDir(file: string, dataDir: string): Promise<void> {
  const real = async (p: string) => realpath(p).catch(() => resolve(p));
  const [target, dir] = await Promise.all([real(file), real(dataDir)]);
  if (target === dir || target.startsWith(dir + sep)) {
    throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `file ${file} is in the control plane's data directory (its store and secret key), which cannot be read as a secret`);
  }
}

function valueProblem(value: string): string | undefined {
  if (value === '') return 'the value is empty';
  if (value.includes('\0')) return 'the value contains a NUL character, which an environment variable cannot hold';
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) return `the value is longer than ${MAX_SECRET_BYTES / 1024} KiB`;
  return undefined;
}
