import { z } from 'zod';

/** A resource as rows name it: enough to show it and to address it again. */
export const ResourceRef = z.object({
  type: z.enum(['host', 'process', 'container', 'pod']),
  /** Unique within the fleet: `web-1` for a host, `web-1/4242` for a process. */
  id: z.string().min(1).max(512),
  name: z.string().max(512),
  host: z.string().max(256),
});
export type ResourceRef = z.infer<typeof ResourceRef>;

export const JsonValue: z.ZodType<JsonValue> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]));
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/**
 * Why a row has no values: the resource answered with an error, did not answer
 * in time, was offline, or the query was cancelled. Such rows are shown, never
 * dropped.
 */
export const RowStatus = z.enum(['ok', 'error', 'timeout', 'offline', 'cancelled']);
export type RowStatus = z.infer<typeof RowStatus>;

export const ResultRow = z.object({
  resource: ResourceRef.optional(),
  status: RowStatus,
  error: z.string().max(4096).optional(),
  values: z.record(z.string(), JsonValue),
});
export type ResultRow = z.infer<typeof ResultRow>;
