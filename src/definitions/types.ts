import type { ActionParamSpec, Dimension, ResourceTypeName } from '../lang/index.js';

/*
 * Definitions as code: actions, metrics, alarms, bots, schedules and files,
 * written as YAML files in a folder, applied as one versioned set. These are
 * the checked, normalised forms every component uses (durations in seconds,
 * sizes in bytes, queries as statement text that has passed the checker).
 */

export type DefinitionKind = 'action' | 'metric' | 'alarm' | 'bot' | 'schedule' | 'file' | 'secret' | 'integration';

export const DEFINITION_KINDS: readonly DefinitionKind[] = ['action', 'metric', 'alarm', 'bot', 'schedule', 'file', 'secret', 'integration'];

interface Base {
  readonly name: string;
  readonly description: string;
  /** The pack it was installed from, `name@version` (`breakwater pack install`); absent for definitions written by hand. */
  readonly pack?: string;
  /** Where it was defined: `dir/file.yaml` and the line of its `kind:`. */
  readonly origin?: { readonly file: string; readonly line: number };
}

/** An action's parameter: the catalogue's shape, as statements call it. */
export type ActionParam = ActionParamSpec;

/** A named, parameterised shell command. Parameters reach it as environment variables. */
export interface ActionDefinition extends Base {
  readonly kind: 'action';
  readonly command: string;
  readonly params: readonly ActionParam[];
  readonly timeoutSeconds: number;
  /** Run as this user; default: the agent's user. */
  readonly user?: string;
  /** Per stream, bytes. */
  readonly outputLimitBytes: number;
  readonly resources: readonly ResourceTypeName[];
  /** Resources it may run on, as a statement (`host | env = "prod"`); default: any of `resources`. */
  readonly allowed?: string;
  /** Secrets it receives as environment variables (`BW_SECRET_<NAME>`, see secretEnvName). */
  readonly secrets?: readonly string[];
  /** Who may run it (`allowed: { roles, principals }`); default: anyone whose role runs actions, and any bot or schedule. */
  readonly runBy?: ActionRunBy;
}

/** The roles an action's rule may name: viewers never run actions. */
export type ActionRole = 'operator' | 'admin';

/** Who may run an action: people by role (that role or above) or by token name, automation by principal. */
export interface ActionRunBy {
  readonly roles: readonly ActionRole[];
  /** Token names, `bot:<bot>` (on any host) or `bot:<bot>@<host>`, `schedule:<schedule>`. */
  readonly principals: readonly string[];
}

/** A custom metric, sampled on its host by a command or scraped from a Prometheus text endpoint. */
export interface MetricDefinition extends Base {
  readonly kind: 'metric';
  readonly resource: 'host';
  readonly unit: Dimension;
  readonly labels: readonly string[];
  /** How it is sampled: a command printing the value, or a Prometheus text endpoint and the metric to read there. */
  readonly sampler: { readonly command: string } | { readonly scrape: string; readonly metric: string };
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
}

/** A condition on per-second metrics, evaluated by each agent on its own resources. */
export interface AlarmDefinition extends Base {
  readonly kind: 'alarm';
  /** Which resources: a statement of a source and filters, e.g. `host | role = "web"`. */
  readonly query: string;
  /** The fire condition, a filter over the query's resources, e.g. `disk_usage{mount="/data"} > 90`. */
  readonly fire: string;
  /** How long the fire condition must hold before firing. */
  readonly fireForSeconds: number;
  /** The clear condition; default: the fire condition no longer holds. */
  readonly clear?: string;
  readonly clearForSeconds: number;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly intervalSeconds: number;
  /** A runbook to open from the alarm. */
  readonly runbook?: string;
}

/** Container events a bot may trigger on: seen again with a new init process, or a process of it killed for want of memory. */
export type ContainerTriggerEvent = 'container_restarted' | 'container_oom_killed';

export type BotTrigger =
  | { readonly alarm: string; readonly on: 'fired' | 'cleared' }
  | { readonly event: 'process_restarted'; readonly process: string }
  | { readonly event: 'host_joined' }
  /** `container`: only containers of that name (the kubelet's container name, else the runtime's); absent, any container. */
  | { readonly event: ContainerTriggerEvent; readonly container?: string }
  /** `on`: `resolved` for an outside alert's resolution (Alertmanager's `status: resolved`); absent, when it fires. */
  | { readonly external: string; readonly on?: 'resolved' };

/** A trigger -> action, with the limits that keep it safe. */
export interface BotDefinition extends Base {
  readonly kind: 'bot';
  readonly trigger: BotTrigger;
  readonly action: string;
  /** Action arguments; strings may use `${host}`, `${alarm.name}`, `${alarm.value}`, `${process.pid}`, ... */
  readonly args: Readonly<Record<string, string | number | boolean>>;
  /** Per resource: no second run within this time. */
  readonly cooldownSeconds: number;
  /** Fleet-wide: at most `max` runs per `windowSeconds`, counted by the control plane. */
  readonly circuitBreaker: { readonly max: number; readonly windowSeconds: number };
  /** When the control plane cannot be asked: `run` within the local limits, or `skip`. */
  readonly offline: 'run' | 'skip';
  /** When set, a run waits for approval, at most this long. */
  readonly approval?: { readonly expiresSeconds: number };
  /** When set, the alarm must clear within this long after the run, else an `escalated` event. */
  readonly verify?: { readonly withinSeconds: number };
  readonly enabled: boolean;
}

export interface ScheduleDefinition extends Base {
  readonly kind: 'schedule';
  /** A five-field cron expression, or null when `everySeconds` is set. */
  readonly cron: string | null;
  readonly everySeconds: number | null;
  /** The pipeline it runs. */
  readonly run: string;
  readonly enabled: boolean;
}

/** Content placed on hosts at a path, kept there. */
export interface FileDefinition extends Base {
  readonly kind: 'file';
  readonly path: string;
  readonly mode: number;
  readonly content: string;
  /** sha256 of the content, hex. */
  readonly sha256: string;
  /** Which hosts, as a statement: `host | role = "api"`. */
  readonly query: string;
}

/**
 * A named secret: where it applies and where its value comes from. The value itself is never part
 * of a definition (not in git, not in a stored version, not in an export): it is set with
 * `breakwater secret set` or read on the control plane from `from`.
 */
export interface SecretDefinition extends Base {
  readonly kind: 'secret';
  /** Which hosts receive the value, as a statement on tags and attributes: `host | role = "db"`; empty, none (the control plane's own, for integrations). */
  readonly hosts: string;
  /** Read on the control plane at apply and start; absent: set with `breakwater secret set`. */
  readonly from?: { readonly env: string } | { readonly file: string };
}

export type Definition = ActionDefinition | MetricDefinition | AlarmDefinition | BotDefinition | ScheduleDefinition | FileDefinition | SecretDefinition | IntegrationDefinition;

/** The systems an integration connects: Alertmanager in; Slack, PagerDuty and webhooks out (docs/integrations.md). */
export type IntegrationType = 'alertmanager' | 'slack' | 'pagerduty' | 'webhook';

/** Labels of an Alertmanager alert that may name its target: `instance` (port stripped), `host`, `node`, `pod` (with `namespace`). */
export type AlertTargetLabel = 'instance' | 'host' | 'node' | 'pod';

/** The roles a Slack user may be mapped to. */
export type IntegrationRole = 'viewer' | 'operator' | 'admin';

/**
 * A connection to an outside system. Its credentials are names of `secret` definitions, never
 * values: a value written in a definition would be in git, in every stored version and export.
 */
export type IntegrationDefinition = Base & { readonly kind: 'integration' } & (
    | {
        readonly type: 'alertmanager';
        /** A secret whose value Alertmanager sends as its bearer credentials; Breakwater operator tokens are taken too. */
        readonly credentials?: string;
        /** A secret keying an HMAC-SHA256 signature of each request (`X-Breakwater-Signature`). */
        readonly signingSecret?: string;
        /** The label whose value names the bots' `external` trigger. */
        readonly triggerLabel: string;
        /** Labels naming the alert's target host, tried in this order. */
        readonly targets: readonly AlertTargetLabel[];
      }
    | {
        readonly type: 'webhook';
        readonly url: string;
        /** Event types delivered, e.g. `fired`, `cleared`, `escalated`, `bot_ran`. */
        readonly events: readonly string[];
        readonly signingSecret: string;
      }
    | {
        readonly type: 'pagerduty';
        readonly routingKey: string;
        /** Breakwater's severity -> PagerDuty's (`critical`, `error`, `warning`, `info`). */
        readonly severity: Readonly<Record<'info' | 'warning' | 'critical', 'critical' | 'error' | 'warning' | 'info'>>;
      }
    | {
        readonly type: 'slack';
        /** One of an incoming webhook's URL (a secret) or a bot token (a secret) with `channel`. */
        readonly webhookUrl?: string;
        readonly botToken?: string;
        readonly channel?: string;
        readonly signingSecret?: string;
        /** Slack user id -> Breakwater principal and role. */
        readonly users: Readonly<Record<string, { readonly principal: string; readonly role: IntegrationRole }>>;
        /** What a Slack user not in `users` may do: read as a viewer, or nothing. */
        readonly unmapped: 'viewer' | 'refuse';
        /**
         * The origins a request's `response_url` may point to; others are refused. Absent: Slack's
         * hooks (SLACK_RESPONSE_ORIGINS), also for definitions stored before the field existed.
         */
        readonly responseOrigins?: readonly string[];
      }
  );

/** One problem in a definition file: which file, where, which field, and what was expected. */
export interface DefinitionDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted path of the field, e.g. `params.dir.type`; empty for the document itself. */
  readonly field: string;
  /** A stable `BWD_*` code from DEFINITION_DIAGNOSTIC_CODES (diagnostics.ts). */
  readonly code: string;
  /** Errors make the whole set unusable; warnings are worth reading but do not stop an apply. */
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** A replacement that would fix it, when one is obvious (a misspelt name). */
  readonly suggestion?: string;
}

/** A whole applied set, as stored and sent to agents. */
export interface DefinitionSet {
  readonly version: number;
  readonly definitions: readonly Definition[];
}
