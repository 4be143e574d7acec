/*
 * The store's one error type. Driver errors (better-sqlite3's SqliteError, pg's DatabaseError,
 * socket errors) never leave the store raw: each is classified into a StoreError whose `code`
 * callers can branch on, with the driver error kept as `cause` for logs.
 */

export type StoreErrorCode =
  /** A unique key is taken: same id, same token hash, same agent name/credential... */
  | 'STORE_CONFLICT'
  /** The input breaks a rule of the schema: an unknown enum value, a missing or mistyped
   *  field, a reference to a run that does not exist, text the database cannot hold
   *  (NUL, unpaired surrogates), a value JSON cannot represent, a bad page. */
  | 'STORE_INVALID'
  /** An update addressed a record that does not exist. */
  | 'STORE_NOT_FOUND'
  /** The database cannot be reached or used right now (refused connection, file cannot be
   *  opened, busy/locked past the timeout, serialization failure): transient, retry later. */
  | 'STORE_UNAVAILABLE'
  /** The store was closed. */
  | 'STORE_CLOSED'
  /** Anything else (a bug, a corrupt database, a failed migration). */
  | 'STORE_INTERNAL';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  /** The Store method that failed, e.g. `createToken`. */
  readonly operation: string;

  constructor(code: StoreErrorCode, operation: string, message: string, options?: { cause?: unknown }) {
    super(`${operation}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.operation = operation;
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}

/** Socket-level error codes (Node) that mean "the server is not reachable". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function classifySqlite(code: string): StoreErrorCode {
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'STORE_CONFLICT';
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE') {
    return 'STORE_INVALID';
  }
  if (
    code.startsWith('SQLITE_BUSY') ||
    code.startsWith('SQLITE_LOCKED') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH'
  ) {
    return 'STORE_UNAVAILABLE';
  }
  return 'STORE_INTERNAL';
}

/** PostgreSQL SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html */
function classifyPostgres(sqlstate: string): StoreErrorCode {
  if (sqlstate === '23505') return 'STORE_CONFLICT'; // unique_violation
  if (sqlstate.startsWith('23')) return 'STORE_INVALID'; // not null, foreign key, check
  if (sqlstate.startsWith('22')) return 'STORE_INVALID'; // data exception: bad integer, NUL in text...
  if (
    sqlstate.startsWith('08') || // connection exception
    sqlstate.startsWith('53') || // insufficient resources (too many connections, disk full)
    sqlstate.startsWith('57') || // operator intervention (shutdown, cannot connect now)
    sqlstate.startsWith('28') || // invalid authorization
    sqlstate === '3D000' || // database does not exist
    sqlstate === '40001' || // serialization failure
    sqlstate === '40P01' || // deadlock
    sqlstate === '55P03' // lock not available
  ) {
    return 'STORE_UNAVAILABLE';
  }
  return 'STORE_INTERNAL';
}

/** pg's DatabaseError: a SQLSTATE `code` plus a `severity` (ERROR, FATAL...). */
function isPostgresError(error: unknown): boolean {
  return typeof (error as { severity?: unknown }).severity === 'string' && /^[0-9A-Z]{5}$/.test(codeOf(error) ?? '');
}

function isNetworkError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  // Node's happy-eyeballs connect throws an AggregateError with one error per address.
  if (error instanceof AggregateError) return error.errors.some(isNetworkError);
  if (error instanceof Error) {
    // pg's own messages when a connection dies or cannot be made in time.
    return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      error.message,
    );
  }
  return false;
}

/** Turns whatever a driver threw into a StoreError (a StoreError passes through unchanged). */
export function toStoreError(operation: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  let storeCode: StoreErrorCode = 'STORE_INTERNAL';
  if (code !== undefined && code.startsWith('SQLITE_')) storeCode = classifySqlite(code);
  else if (code !== undefined && isPostgresError(error)) storeCode = classifyPostgres(code);
  else if (isNetworkError(error)) storeCode = 'STORE_UNAVAILABLE';
  else if (error instanceof Error && /driver has already been destroyed|Cannot use a pool after calling end/i.test(message)) {
    storeCode = 'STORE_CLOSED';
  }
  return new StoreError(storeCode, operation, message, { cause: error });
}
