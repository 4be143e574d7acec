import { createHash } from 'node:crypto';
import type { BotDefinition, IntegrationDefinition } from '../../definitions/index.js';
import type { AlertmanagerAlert } from '../../protocol/index.js';
import type { InventoryHost } from '../fleet/index.js';
import type { FindPod, PodLookup, PodRef } from './pod-hosts.js';
import { podKey, podRefProblem } from './pod-hosts.js';

/*
 * What an Alertmanager notification means for the fleet, as the integration maps it: each alert's
 * trigger name, the host it is about, the bots it would run and what they are passed. Pure: the
 * route (src/server/api/integrations-routes.ts) claims, sends and audits.
 */

export type AlertmanagerIntegration = Extract<IntegrationDefinition, { type: 'alertmanager' }>;

/** A value passed on to an agent is cut to this (the agent protocol's limit for a context value). */
const MAX_CONTEXT_VALUE = 4096;

/** One alert, mapped: where it goes and what it carries, or why it goes nowhere. */
export type MappedAlert =
  | {
      readonly ok: false;
      readonly fingerprint: string;
      readonly alert: string;
      readonly outcome: 'no_trigger' | 'no_target' | 'no_bot';
      readonly reason: string;
      /** The pod that would name the target, not yet looked up: map the alert again with its PodLookup. */
      readonly pod?: PodRef;
    }
  | {
      readonly ok: true;
      readonly fingerprint: string;
      readonly alert: string;
      readonly on: 'fired' | 'resolved';
      readonly host: string;
      /** How long a repeat of this notification is not passed on: the longest cooldown of its bots. */
      readonly windowMs: number;
      readonly context: Record<string, string>;
    };

/** A notification's pods looked up at most: each one asks every agent (its group_by keeps it small). */
export const MAX_POD_LOOKUPS = 10;

/**
 * Maps every alert of a notification (mapAlert), asking the fleet where the pods run that name
 * targets: once per distinct pod, at most MAX_POD_LOOKUPS of them, all at once.
 *
 * @example
 * const mapped = await mapNotification(integration, notification, fleet.inventory(), bots, podFinder(ctx), 'integration:am');
 */
export async function mapNotification(
  integration: AlertmanagerIntegration,
  n: { readonly alerts: readonly AlertmanagerAlert[]; readonly receiver?: string | undefined; readonly externalURL?: string | undefined },
  hosts: readonly InventoryHost[],
  bots: readonly BotDefinition[],
  findPod: FindPod,
  asker: string,
): Promise<MappedAlert[]> {
  const first = n.alerts.map((a) => mapAlert(integration, a, n, hosts, bots));
  const wanted = new Map<string, PodRef>();
  for (const m of first) if (!m.ok && m.pod) wanted.set(podKey(m.pod), m.pod);
  if (!wanted.size) return first;
  const refs = [...wanted.values()];
  const found = await Promise.all(refs.slice(0, MAX_POD_LOOKUPS).map((p) => findPod(p, asker)));
  const pods = new Map<string, PodLookup>(refs.map((p, i) => [podKey(p), found[i] ?? { problem: `the notification names more than ${MAX_POD_LOOKUPS} pods, and only the first ${MAX_POD_LOOKUPS} are looked up (group_by in alertmanager.yml, e.g. by pod, makes smaller notifications)` }]));
  return first.map((m, i) => (!m.ok && m.pod ? mapAlert(integration, n.alerts[i] as AlertmanagerAlert, n, hosts, bots, pods) : m));
}

/** What asking the fleet found for each pod of a notification, by podKey. */
export type PodLookups = ReadonlyMap<string, PodLookup>;

/**
 * Maps one alert of a notification: its trigger (the integration's `trigger_label`), its target
 * (the first of `targets` naming a known host; a `pod` by the host `pods` found it on), its bots
 * (enabled, `external` of that name, `on` its status) and the context their templates read (`labels.<name>`, `annotations.<name>`, ...).
 *
 * @example
 * mapAlert(integration, alert, { receiver: 'breakwater' }, fleet.inventory(), bots)
 * // { ok: true, alert: 'HostDown', host: 'web-1', on: 'fired', windowMs: 300000, context: { 'labels.instance': 'web-1:9100', ... } }
 */
export function mapAlert(
  integration: AlertmanagerIntegration,
  a: AlertmanagerAlert,
  group: { readonly receiver?: string | undefined; readonly externalURL?: string | undefined },
  hosts: readonly InventoryHost[],
  bots: readonly BotDefinition[],
  pods: PodLookups = new Map(),
): MappedAlert {
  const fingerprint = a.fingerprint ?? labelsFingerprint(a.labels);
  const alert = a.labels[integration.triggerLabel];
  if (alert === undefined || alert === '') {
    return { ok: false, fingerprint, alert: '', outcome: 'no_trigger', reason: `the alert has no label \`${integration.triggerLabel}\` (the integration's trigger_label) to name its bots' trigger` };
  }
  const target = findTarget(integration, a.labels, hosts, pods);
  if ('reason' in target) return { ok: false, fingerprint, alert, outcome: 'no_target', reason: target.reason, ...(target.pod ? { pod: target.pod } : {}) };
  const on = a.status === 'resolved' ? 'resolved' : 'fired';
  const matching = bots.filter((b) => b.enabled && 'external' in b.trigger && b.trigger.external === alert && (b.trigger.on ?? 'fired') === on);
  if (!matching.length) {
    return { ok: false, fingerprint, alert, outcome: 'no_bot', reason: `no enabled bot has the trigger \`{ external: ${alert}${on === 'resolved' ? ', on: resolved' : ''} }\`` };
  }
  const context: Record<string, string> = { integration: integration.name, status: a.status, fingerprint };
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) context[key] = value.slice(0, MAX_CONTEXT_VALUE);
  };
  for (const [k, v] of Object.entries(a.labels)) put(`labels.${k}`, v);
  for (const [k, v] of Object.entries(a.annotations)) put(`annotations.${k}`, v);
  put('starts_at', a.startsAt);
  put('ends_at', a.endsAt);
  put('generator_url', a.generatorURL);
  put('receiver', group.receiver);
  put('external_url', group.externalURL);
  const windowMs = Math.max(...matching.map((b) => b.cooldownSeconds)) * 1000;
  return { ok: true, fingerprint, alert, on, host: target.host, windowMs, context };
}

/** The first of the integration's target labels that names a host of the fleet, or why none does (with the pod to look up first, if one is). */
function findTarget(
  integration: AlertmanagerIntegration,
  labels: Readonly<Record<string, string>>,
  hosts: readonly InventoryHost[],
  pods: PodLookups,
): { host: string } | { reason: string; pod?: PodRef } {
  const tried: string[] = [];
  for (const label of integration.targets) {
    const value = labels[label];
    if (value === undefined || value === '') continue;
    if (label === 'pod') {
      const pod = { name: value, namespace: labels.namespace || 'default' };
      const found = podTarget(pod, pods);
      if ('pod' in found) return { reason: `pod \`${podKey(pod)}\` is not looked up yet`, pod };
      if ('host' in found) return found;
      tried.push(found.reason);
      continue;
    }
    const name = label === 'instance' ? stripPort(value) : value;
    const host = hostNamed(name, hosts);
    if (host) return { host: host.name };
    tried.push(`${label} \`${value}\`${label === 'instance' && name !== value ? ` (as \`${name}\`)` : ''} names no host of the fleet`);
  }
  if (!tried.length) return { reason: `the alert has none of the target labels ${integration.targets.map((t) => `\`${t}\``).join(', ')}` };
  return { reason: tried.join('; ') };
}

/** The host the fleet said runs a pod, or why there is none, or that the fleet has not been asked. */
function podTarget(pod: PodRef, pods: PodLookups): { host: string } | { reason: string } | { pod: PodRef } {
  const named = `pod \`${podKey(pod)}\``;
  const problem = podRefProblem(pod);
  if (problem) return { reason: `${named} names no pod: ${problem}` };
  const found = pods.get(podKey(pod));
  if (!found) return { pod };
  if ('problem' in found) return { reason: `${named} was not found: ${found.problem}` };
  const [first, ...more] = found.hosts;
  if (first !== undefined && !more.length) return { host: first };
  if (first !== undefined) return { reason: `${named} is ambiguous: hosts ${found.hosts.map((h) => `\`${h}\``).join(', ')} each run a pod of that name and namespace` };
  const silent = found.asked - found.answered;
  return { reason: `${named} runs on no connected host (${found.asked} agents asked${silent ? `, ${silent} of them did not answer in time` : ''}; a \`node\` label names its host without asking)` };
}

/** `web-1:9100` -> `web-1`, `[::1]:9100` -> `::1`, `http://web-1:8080/metrics` -> `web-1`; a bare name as is. */
export function stripPort(instance: string): string {
  let s = instance.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  s = s.split('/')[0] as string;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    return end > 0 ? s.slice(1, end) : s;
  }
  const colons = s.split(':').length - 1;
  return colons === 1 ? (s.split(':')[0] as string) : s;
}

/** A host by its name, its address, or its name as the first label of a fully qualified one. */
function hostNamed(name: string, hosts: readonly InventoryHost[]): InventoryHost | undefined {
  const lower = name.toLowerCase();
  return (
    hosts.find((h) => h.name === name) ??
    hosts.find((h) => h.name.toLowerCase() === lower) ??
    hosts.find((h) => h.attrs.ip !== undefined && h.attrs.ip !== '' && h.attrs.ip === name) ??
    hosts.find((h) => lower.includes('.') && h.name.toLowerCase() === lower.split('.')[0])
  );
}

/** Alertmanager's fingerprint is a hash of the labels; a notification made by hand gets one of its own the same way. */
function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels).sort().map((k) => `${k}\u0000${labels[k]}`).join('\u0001');
  return createHash('sha256').update(sorted).digest('hex').slice(0, 16);
}
