import { z } from 'zod/mini';

/** A resource as rows name it: enough to show it and to address it again. */
export const ResourceRef = z.object({
  type: z.enum(['host', 'process', 'container', 'pod']),
  /** Unique within the fleet: `web-1` for a host, `web-1/4242` for a process. */
  id: z.string().check(z.minLength(1), z.maxLength(512)),
  name: z.string().check(z.maxLength(512)),
  host: z.string().check(z.maxLength(256)),
});
export type ResourceRef = z.infer<typeof ResourceRef>;

export const JsonValue: z.ZodMiniType<JsonValue> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]));
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/**
 * Why a row has no values: the resource answered with an error, did not answer
 * in time, was offline, or the query was cancelled. Such rows are shown, never
 * dropped.
 */
export const RowStatus = z.enum(['ok', 'error', 'timeout', 'offline', 'cancelled']);
export type RowStatus = z.infer<typeof RowStatus>;

export const ResultRow = z.object({
  resource: z.optional(ResourceRef),
  status: RowStatus,
  error: z.optional(z.string().check(z.maxLength(4096))),
  values: z.record(z.string(), JsonValue),
});
export type ResultRow = z.infer<typeof ResultRow>;

/**
 * Whether a row is a failed target: its command or action exited non-zero, or it never ran
 * (error, timeout, offline, cancelled). The one definition the summary's `failed`, the run
 * record, the audit entry, the CLI and the web UI count by.
 *
 * @example
 * const failed = rows.filter(rowFailed).length;
 */
export function rowFailed(r: ResultRow): boolean {
  const code = r.values.exit_code;
  return r.status !== 'ok' || (typeof code === 'number' && code !== 0);
}
