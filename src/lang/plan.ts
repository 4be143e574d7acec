import type { ResourceTypeName, ShownAs } from './catalogue.js';
import type { Dimension } from './units.js';

/*
 * The plan: a checked pipeline split by where each part runs. It is plain
 * JSON (no spans, no classes) because its agent phases travel to agents.
 * Names in expressions are already resolved, so executors need no catalogue.
 */

export interface PlanLabel {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

export interface PlanMetric {
  readonly name: string;
  readonly labels: readonly PlanLabel[];
  /** How to fold several matching series into one value. */
  readonly collapse: 'max' | 'min' | 'sum';
}

export type PlanExpr =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'str'; readonly v: string }
  | { readonly k: 'bool'; readonly v: boolean }
  | { readonly k: 'list'; readonly items: readonly PlanExpr[] }
  | ({ readonly k: 'metric' } & PlanMetric)
  | { readonly k: 'range'; readonly metric: PlanMetric; readonly seconds: number }
  /** A resource attribute (`name`, `pid`). */
  | { readonly k: 'attr'; readonly name: string }
  /** A resource tag (`env`); missing tags read as "". */
  | { readonly k: 'tag'; readonly name: string }
  /** A column computed by an earlier step. */
  | { readonly k: 'col'; readonly name: string }
  /** An event field. */
  | { readonly k: 'field'; readonly name: string }
  | { readonly k: 'cmd'; readonly text: string }
  /** A function call; arguments positional, defaults filled in. */
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly PlanExpr[] }
  | { readonly k: 'not'; readonly x: PlanExpr }
  | { readonly k: 'neg'; readonly x: PlanExpr }
  | { readonly k: 'bin'; readonly op: string; readonly l: PlanExpr; readonly r: PlanExpr };

/** Steps an agent runs, in order, on its own resources. */
export type AgentStep =
  | { readonly op: 'traverse'; readonly to: ResourceTypeName }
  | { readonly op: 'filter'; readonly expr: PlanExpr }
  | { readonly op: 'column'; readonly name: string; readonly expr: PlanExpr }
  | { readonly op: 'command'; readonly text: string }
  | { readonly op: 'action'; readonly name: string; readonly args: Readonly<Record<string, PlanExpr>> };

/** Steps the control plane runs on the merged rows. */
export type ControlStep =
  | { readonly op: 'filter'; readonly expr: PlanExpr }
  | { readonly op: 'column'; readonly name: string; readonly expr: PlanExpr }
  | { readonly op: 'group_by'; readonly keys: readonly string[] }
  | { readonly op: 'count' }
  | { readonly op: 'aggregate'; readonly fn: 'sum' | 'avg' | 'min' | 'max'; readonly column: string; readonly name: string }
  | { readonly op: 'distinct'; readonly columns: readonly string[] }
  | { readonly op: 'top'; readonly n: number; readonly column: string }
  | { readonly op: 'sort'; readonly keys: readonly { readonly column: string; readonly desc: boolean }[] }
  | { readonly op: 'limit'; readonly n: number }
  | { readonly op: 'sample'; readonly n: number };

export type Phase =
  /** The control plane picks hosts from its inventory; only those agents are asked. */
  | { readonly where: 'inventory'; readonly resource: 'host'; readonly filter: PlanExpr | null }
  /** The control plane reads stored events. */
  | { readonly where: 'events'; readonly filter: PlanExpr | null }
  /** Each selected agent runs the steps, starting from its resources of `resource`. */
  | { readonly where: 'agent'; readonly resource: ResourceTypeName; readonly steps: readonly AgentStep[] }
  | { readonly where: 'control'; readonly steps: readonly ControlStep[] }
  /** The next agent phase runs in batches, with a health check between them. */
  | {
      readonly where: 'rollout';
      readonly batch: { readonly count: number } | { readonly percent: number };
      readonly pauseSeconds: number;
      readonly timeoutSeconds: number;
      readonly until: PlanExpr | null;
      /** Failures tolerated across batches (absent: none); one more aborts the rollout. */
      readonly maxErrors?: { readonly count: number } | { readonly percent: number };
      /** `exponential`: batches of 1, 2, 4, … up to the batch size (absent: `none`, every batch full). */
      readonly ramp?: 'none' | 'exponential';
    };

export interface PlanColumn {
  readonly name: string;
  readonly type: 'number' | 'string' | 'bool' | 'series' | 'list' | 'any';
  /** How to read a number: its dimension, `timestamp` for a point in time (seconds since the Unix epoch), or `identifier` (a pid). */
  readonly unit?: Dimension | ShownAs;
}

export type Role = 'viewer' | 'operator' | 'admin';

export interface Plan {
  readonly version: 1;
  readonly source: ResourceTypeName | 'events';
  readonly phases: readonly Phase[];
  /** Output columns besides the resource identity. */
  readonly columns: readonly PlanColumn[];
  /**
   * Whether the rows' order is part of the answer: a sort or top decided it and nothing after
   * (a sample, asking agents again) undid it. Clients keep such rows as they come; others they
   * show by resource name, as agents answer in no particular order.
   */
  readonly ordered: boolean;
  /** What running the statement would do, for permissions and blast-radius checks. */
  readonly effects: {
    readonly commands: readonly string[];
    readonly actions: readonly string[];
    readonly checks: readonly string[];
  };
  /** The least role that may run it: viewer reads, operator runs defined actions, admin runs shell. */
  readonly requires: Role;
  /** Metrics the agents read, and the longest window, so agents know what history it needs. */
  readonly metrics: readonly string[];
  readonly windowSeconds: number;
}
