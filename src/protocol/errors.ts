/**
 * The catalogue of runtime error codes, stable across releases: the API
 * returns them, the CLI prints them, scripts match on them.
 */
export const ERROR_CODES = {
  BW_ERR_UNAUTHENTICATED: { status: 401, title: 'no valid token was given' },
  BW_ERR_FORBIDDEN: { status: 403, title: 'the token\'s role may not do this' },
  BW_ERR_INVALID_STATEMENT: { status: 400, title: 'the pipeline statement has errors' },
  BW_ERR_INVALID_REQUEST: { status: 400, title: 'the request body or parameters are invalid' },
  BW_ERR_NOT_FOUND: { status: 404, title: 'no such resource' },
  BW_ERR_CONFLICT: { status: 409, title: 'conflicts with the current state' },
  BW_ERR_HOST_MISMATCH: { status: 409, title: 'an agent of that name is enrolled from another host; an admin must delete it first' },
  BW_ERR_CONFIRMATION_REQUIRED: { status: 428, title: 'the statement touches more resources than allowed without confirmation' },
  BW_ERR_NO_TARGETS: { status: 422, title: 'the command or action would reach no resource because a filter names a value no host has (a typo?); nothing ran' },
  BW_ERR_TOO_MANY_REQUESTS: { status: 429, title: 'the token holds as many open streams as allowed' },
  BW_ERR_QUOTA: { status: 429, title: 'an agent sent more than its quota allows' },
  BW_ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'the request body is larger than allowed' },
  BW_ERR_SLOW_READER: { status: 503, title: 'the client read a stream too slowly and was disconnected' },
  BW_ERR_UNAVAILABLE: { status: 503, title: 'a dependency is unavailable' },
  BW_ERR_BUSY: { status: 503, title: 'the control plane is handling as many agent requests as it allows; ask again shortly' },
  BW_ERR_PROTOCOL: { status: 400, title: 'a message broke the agent protocol' },
  BW_ERR_CONFIG: { status: 400, title: 'a configuration value is invalid' },
  BW_ERR_SECRET_KEY: { status: 503, title: 'the secret key is missing, malformed or not the key the stored secrets were encrypted with' },
  BW_ERR_LAB_REAL_DISK: { status: 409, title: 'the lab would fill a real filesystem: a host\'s /data is not a tmpfs the lab mounted' },
  BW_ERR_INTERNAL: { status: 500, title: 'an unexpected internal failure' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * An error that reaches a person or a script. Carries a stable code, the HTTP
 * status it maps to, structured details, and the underlying cause.
 *
 * @example
 * throw new BreakwaterError('BW_ERR_FORBIDDEN', 'running shell commands needs the admin role; this token is operator', { needed: 'admin' });
 */
export class BreakwaterError extends Error {
  override readonly name = 'BreakwaterError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = ERROR_CODES[code].status;
  }

  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}
