import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '../auth.js';
import type { Role } from '../store/index.js';

/**
 * One API route as data: method, path, the least role, schemas and handler.
 * The table drives registration, authorization and the OpenAPI description,
 * so none of them can drift from the others.
 */
export interface Route<B = unknown, Q = unknown, P = unknown> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly summary: string;
  /** `public` routes need no token (health, enrollment with a join token in the body, the OpenAPI document). */
  readonly role: Exclude<Role, 'agent'> | 'public';
  readonly body?: z.ZodType<B>;
  readonly query?: z.ZodType<Q>;
  readonly params?: z.ZodType<P>;
  /** Describes a successful answer, for the OpenAPI document. */
  readonly response?: z.ZodType;
  /** `application/x-ndjson` routes stream lines; the handler writes them itself. */
  readonly produces?: 'application/json' | 'application/x-ndjson' | 'text/csv' | 'text/event-stream' | 'application/yaml' | 'text/plain';
  /**
   * Also accept the token as `?token=` (besides `Authorization: Bearer`). Only for the server-sent
   * event streams (events, live queries): browsers' EventSource cannot send headers. A token in a URL
   * can end up in proxy logs and browser history, so no other route takes it there.
   */
  readonly tokenInQuery?: boolean;
  /** The audit action of a refused call (`definitions.apply`); default `request`. */
  readonly audit?: string;
  /**
   * A stronger check asked for in the query, made before the handler runs: the role the whole
   * operation needs, named for the refusal (plan with `?intent=apply` needs what apply needs).
   */
  escalate?(query: unknown): { readonly role: Exclude<Role, 'agent'>; readonly what: string; readonly audit: string } | undefined;
  handler(ctx: { body: B; query: Q; params: P; principal: Principal | undefined; request: FastifyRequest; reply: FastifyReply }): Promise<unknown>;
}

export function route<B, Q, P>(r: Route<B, Q, P>): Route<unknown, unknown, unknown> {
  return r as Route<unknown, unknown, unknown>;
}
