import type { FileDefinition } from '../../definitions/index.js';
import type { FleetEvent } from '../../protocol/index.js';
import { orderedId } from '../../protocol/index.js';
import type { AgentLogger } from '../log.js';
import type { FileOutcome } from './files.js';

export interface FileReportsDeps {
  readonly host: string;
  readonly logger: AgentLogger;
  emit(event: FleetEvent): void;
  now(): number;
  /** The host's resource id, for the event's `resource`. */
  hostResource(): string;
}

/**
 * Tells the operator about file definitions: every outcome in the log, and a failure (a symlink
 * refused, a path under a file) as a `file_failed` event in the fleet's timeline. Files are checked
 * every few seconds, so an event is sent when a failure starts or its reason changes, not on
 * every check.
 */
export class FileReports {
  /** File name → the error last reported, for the files that are failing. */
  private failing = new Map<string, string>();

  constructor(private readonly deps: FileReportsDeps) {}

  /** One check of all the files this host has: `outcomes` in definition order. */
  report(outcomes: readonly { readonly def: FileDefinition; readonly outcome: FileOutcome }[]): void {
    const failing = new Map<string, string>();
    for (const { def, outcome } of outcomes) {
      if (!outcome.error) {
        if (outcome.changed) this.deps.logger.info({ file: def.name, path: outcome.path }, 'file put in place');
        continue;
      }
      failing.set(def.name, outcome.error);
      this.deps.logger.error({ file: def.name, path: outcome.path, refused: outcome.refused ?? false }, `could not put file in place: ${outcome.error}`);
      if (this.failing.get(def.name) !== outcome.error) this.emit(def, outcome, outcome.error);
    }
    this.failing = failing;
  }

  private emit(def: FileDefinition, outcome: FileOutcome, error: string): void {
    this.deps.emit({
      id: orderedId(),
      time: this.deps.now(),
      type: 'file_failed',
      host: this.deps.host,
      resource: this.deps.hostResource(),
      alarm: null,
      bot: null,
      action: null,
      severity: outcome.refused ? 'critical' : 'warning',
      runId: null,
      principal: null,
      message: `file ${def.name} was not put in place on ${this.deps.host}: ${error}`,
      value: null,
      details: { file: def.name, path: outcome.path, refused: outcome.refused ?? false },
    });
  }
}
