import type { Span } from './span.js';

/*
 * The syntax tree. Nodes are plain, readonly, JSON-serialisable objects tagged
 * with `kind`, so a plan built from them can travel to agents unchanged.
 */

export type ComparisonOp = '=' | '!=' | '=~' | '!~' | '>' | '>=' | '<' | '<=' | 'in' | 'not in';
export type ArithmeticOp = '+' | '-' | '*' | '/';
export type LogicalOp = 'and' | 'or';
export type BinaryOp = ComparisonOp | ArithmeticOp | LogicalOp;

export interface NumberLiteral {
  readonly kind: 'Number';
  readonly span: Span;
  /** In the unit's base: seconds for durations, bytes for sizes. */
  readonly value: number;
  /** The suffix as written, if any (`5m` -> `m`). */
  readonly unit?: string;
}

export interface StringLiteral {
  readonly kind: 'String';
  readonly span: Span;
  readonly value: string;
}

export interface BoolLiteral {
  readonly kind: 'Bool';
  readonly span: Span;
  readonly value: boolean;
}

export interface ListLiteral {
  readonly kind: 'List';
  readonly span: Span;
  readonly items: readonly Expr[];
}

/** A bare name: a metric, a resource attribute or a tag; the checker decides which. */
export interface Identifier {
  readonly kind: 'Ident';
  readonly span: Span;
  readonly name: string;
}

export interface LabelMatcher {
  readonly span: Span;
  readonly valueSpan: Span;
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** A metric with label matchers: `disk_usage{mount="/"}`. */
export interface Selector {
  readonly kind: 'Selector';
  readonly span: Span;
  readonly name: string;
  readonly labels: readonly LabelMatcher[];
}

/** A window over a metric's series: `cpu_usage[5m]`. */
export interface RangeExpr {
  readonly kind: 'Range';
  readonly span: Span;
  readonly target: Identifier | Selector;
  /** Window length in seconds. */
  readonly seconds: number;
}

/** A backtick command used as a value, inside `ok(...)` or `number(...)`. */
export interface CommandLiteral {
  readonly kind: 'Command';
  readonly span: Span;
  readonly text: string;
}

export interface Argument {
  readonly span: Span;
  /** Set for named arguments: `batch = 2`. */
  readonly name?: string;
  readonly value: Expr;
}

export interface Call {
  readonly kind: 'Call';
  readonly span: Span;
  readonly callee: string;
  readonly calleeSpan: Span;
  readonly args: readonly Argument[];
}

export interface Unary {
  readonly kind: 'Unary';
  readonly span: Span;
  readonly op: 'not' | '-';
  readonly operand: Expr;
}

export interface Binary {
  readonly kind: 'Binary';
  readonly span: Span;
  readonly op: BinaryOp;
  readonly opSpan: Span;
  readonly left: Expr;
  readonly right: Expr;
}

/** Stands where the parser could not build a node; a diagnostic was reported. */
export interface ErrorExpr {
  readonly kind: 'Error';
  readonly span: Span;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | BoolLiteral
  | ListLiteral
  | Identifier
  | Selector
  | RangeExpr
  | CommandLiteral
  | Call
  | Unary
  | Binary
  | ErrorExpr;

export type ExprKind = Expr['kind'];

/** `host`, `process`: selects resources first, traverses to related ones later. */
export interface ResourceStage {
  readonly kind: 'ResourceStage';
  readonly span: Span;
  readonly resource: string;
}

/** `events`: the fleet's timeline as rows. */
export interface EventsStage {
  readonly kind: 'EventsStage';
  readonly span: Span;
}

export interface FilterStage {
  readonly kind: 'FilterStage';
  readonly span: Span;
  readonly condition: Expr;
}

export interface ColumnStage {
  readonly kind: 'ColumnStage';
  readonly span: Span;
  readonly value: Expr;
}

export interface CommandStage {
  readonly kind: 'CommandStage';
  readonly span: Span;
  readonly command: string;
}

export interface ActionStage {
  readonly kind: 'ActionStage';
  readonly span: Span;
  readonly action: string;
  readonly actionSpan: Span;
  readonly args: readonly Argument[];
}

export interface ReductionStage {
  readonly kind: 'ReductionStage';
  readonly span: Span;
  readonly reduction: string;
  readonly args: readonly Argument[];
}

export interface RolloutStage {
  readonly kind: 'RolloutStage';
  readonly span: Span;
  readonly args: readonly Argument[];
}

/** Stands where a stage could not be parsed; a diagnostic was reported. */
export interface ErrorStage {
  readonly kind: 'ErrorStage';
  readonly span: Span;
}

export type Stage =
  | ResourceStage
  | EventsStage
  | FilterStage
  | ColumnStage
  | CommandStage
  | ActionStage
  | ReductionStage
  | RolloutStage
  | ErrorStage;

export type StageKind = Stage['kind'];

export interface Pipeline {
  readonly kind: 'Pipeline';
  readonly span: Span;
  readonly stages: readonly Stage[];
}
