import type { Location, Span } from './span.js';
import { LineMap } from './span.js';

export type Severity = 'error' | 'warning';

/**
 * The catalogue of diagnostic codes. Codes are stable: scripts, docs and the
 * web UI key on them, so a code is never renamed or reused once released.
 */
export const DIAGNOSTIC_CODES = {
  BW_UNEXPECTED_CHARACTER: 'a character that starts no token',
  BW_UNTERMINATED_STRING: 'a string with no closing quote',
  BW_UNTERMINATED_COMMAND: 'a command with no closing backtick',
  BW_BAD_NUMBER: 'a malformed number',
  BW_UNKNOWN_UNIT: 'a number followed by an unknown unit',
  BW_EMPTY_STATEMENT: 'a statement with no stages',
  BW_EMPTY_STAGE: 'nothing between two pipes, or a trailing pipe',
  BW_UNEXPECTED_TOKEN: 'a token where another was expected',
  BW_UNCLOSED: 'an opening bracket with no closing one',
  BW_RANGE_NOT_ON_METRIC: 'a range window that does not follow a metric',
  BW_DUPLICATE_ARGUMENT: 'the same named argument given twice',
  BW_POSITIONAL_AFTER_NAMED: 'a positional argument after a named one',
  BW_SOURCE_FIRST: 'a statement that does not start with a resource type or events',
  BW_SOURCE_LATER: 'events used after the first stage',
  BW_NO_TRAVERSAL: 'a traversal between resource types that are not related',
  BW_UNKNOWN_STAGE: 'a stage word that does not exist',
  BW_UNKNOWN_METRIC: 'a metric that the resource type does not have',
  BW_MAYBE_MISSPELT: 'a tag name that looks like a misspelt attribute or metric',
  BW_UNKNOWN_LABEL: 'a label the metric does not have',
  BW_UNKNOWN_FIELD: 'a field that events do not have',
  BW_UNKNOWN_FUNCTION: 'a function that does not exist',
  BW_UNKNOWN_ACTION: 'an action that is not defined',
  BW_UNKNOWN_COLUMN: 'a column that is not available after a reduction',
  BW_ARGUMENT_COUNT: 'a function called with the wrong number of arguments',
  BW_MISSING_ARGUMENT: 'a required argument that was not given',
  BW_UNKNOWN_ARGUMENT: 'a named argument that the function or action does not take',
  BW_NAMED_ARGUMENTS_ONLY: 'an action or rollout called with positional arguments',
  BW_TYPE_MISMATCH: 'a value of the wrong type',
  BW_UNIT_MISMATCH: 'a comparison or arithmetic between incompatible units',
  BW_RANGE_ON_INSTANT: 'a range function given an instant value',
  BW_RANGE_AS_INSTANT: 'a range used where an instant value is needed',
  BW_BAD_REGEX: 'a regular expression that does not compile',
  BW_ROLLING_TARGET: 'a rollout that is not followed by a command or action',
  BW_ROLLING_TWICE: 'two rollouts in one statement',
  BW_NOT_ON_RESOURCES: 'a command, action or metric where the rows are not resources (events, aggregated rows)',
  BW_ACTION_RESOURCE: 'an action run on a resource type it does not allow',
  BW_AFTER_GROUP_BY: 'a stage after group_by that is not an aggregation',
  BW_TOO_DEEP: 'an expression nested deeper than the parser allows',
  BW_CONSTANT_COLUMN: 'a column that is a constant, not about the resource',
  BW_EMPTY_COMMAND: 'a command with no text',
  BW_BAD_VALUE: 'a value out of its allowed range',
  BW_NO_MATCH: 'a filter that keeps no host: no host has the tag key or value, and a near one exists (a typo?)',
  BW_MATCHES_ALL: 'a negated filter that keeps every host: no host has the value, and a near one exists (a typo?)',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** One problem found in a statement: where it is, what was expected, what was found. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly location: Location;
  /** A replacement that would fix it, when one is obvious (a misspelt name). */
  readonly suggestion?: string;
  /** For a value or key the fleet lacks (BW_NO_MATCH, BW_MATCHES_ALL): what was written… */
  readonly found?: string;
  /** …and the near ones the fleet has, nearest first, with how many hosts have each. */
  readonly near?: readonly NearValue[];
}

/** A tag or attribute value (or tag key) that hosts have, and how many. */
export interface NearValue {
  readonly value: string;
  readonly hosts: number;
}

/** What a fleet check adds to its diagnostics. */
type FleetDetail = Pick<Diagnostic, 'found' | 'near'>;

/** Collects diagnostics for one source; stages never throw on bad input. */
export class DiagnosticBag {
  private readonly items: Diagnostic[] = [];
  private readonly lines: LineMap;

  constructor(source: string) {
    this.lines = new LineMap(source);
  }

  error(code: DiagnosticCode, at: Span, message: string, suggestion?: string): void {
    this.add('error', code, at, message, suggestion);
  }

  warning(code: DiagnosticCode, at: Span, message: string, suggestion?: string, detail?: FleetDetail): void {
    this.add('warning', code, at, message, suggestion, detail);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  /** Diagnostics in source order, so output reads top to bottom. */
  toArray(): readonly Diagnostic[] {
    return [...this.items].sort((a, b) => a.location.start - b.location.start || a.location.end - b.location.end);
  }

  /** Line and column (1-based) of an offset, for messages that point elsewhere. */
  position(offset: number): { line: number; column: number } {
    return this.lines.position(offset);
  }

  private add(severity: Severity, code: DiagnosticCode, at: Span, message: string, suggestion?: string, detail?: FleetDetail): void {
    const location = this.lines.locate(at);
    this.items.push({ code, severity, message, location, ...(suggestion === undefined ? {} : { suggestion }), ...detail });
  }
}
