import { z } from 'zod/mini';

/*
 * Alertmanager's webhook notification, version 4, as Alertmanager sends it (its
 * notify/webhook package): taken unchanged by POST /api/v1/integrations/<name>/alertmanager.
 * Bounded everywhere, so a hostile body costs at most the HTTP body limit.
 */

/** The most alerts one notification may carry; Alertmanager's `max_alerts` keeps it lower. */
export const MAX_ALERTMANAGER_ALERTS = 1000;
/** The most labels (and, apart, annotations) of one alert. */
export const MAX_ALERT_LABELS = 128;
/** A label or annotation name: Prometheus's rule, at most 100 characters (a context key is `annotations.<name>`). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,99}$/;
/** Alertmanager sends label values whole; an annotation (a description) may be long, and is cut when passed on. */
const MAX_LABEL_VALUE = 64 * 1024;

const text = (max: number) => z.string().check(z.maxLength(max));
const labels = () =>
  z.record(z.string().check(z.regex(LABEL_NAME, 'expected a label name: a letter or `_`, then letters, digits or `_`, at most 100')), text(MAX_LABEL_VALUE)).check(
    z.refine((r) => Object.keys(r).length <= MAX_ALERT_LABELS, `at most ${MAX_ALERT_LABELS} labels or annotations`),
  );
const status = () => z.enum(['firing', 'resolved']);

/** One alert of a notification. */
export const AlertmanagerAlert = z.object({
  status: status(),
  labels: labels(),
  annotations: z._default(labels(), {}),
  startsAt: z.optional(text(64)),
  endsAt: z.optional(text(64)),
  generatorURL: z.optional(text(4096)),
  /** Alertmanager's hash of the labels; computed from them when absent (a notification made by hand). */
  fingerprint: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'expected a fingerprint: up to 128 letters, digits, `_` or `-`'))),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>;

/** The whole notification: the group's alerts and what they share. */
export const AlertmanagerNotification = z.object({
  version: z.literal('4', 'expected Alertmanager\'s webhook version "4"'),
  groupKey: z.optional(text(16 * 1024)),
  truncatedAlerts: z.optional(z.int().check(z.minimum(0))),
  status: status(),
  receiver: z.optional(text(1024)),
  groupLabels: z.optional(labels()),
  commonLabels: z.optional(labels()),
  commonAnnotations: z.optional(labels()),
  externalURL: z.optional(text(4096)),
  alerts: z.array(AlertmanagerAlert).check(z.minLength(1, 'a notification has at least one alert'), z.maxLength(MAX_ALERTMANAGER_ALERTS, `at most ${MAX_ALERTMANAGER_ALERTS} alerts per notification; set max_alerts in alertmanager.yml`)),
});
export type AlertmanagerNotification = z.infer<typeof AlertmanagerNotification>;
