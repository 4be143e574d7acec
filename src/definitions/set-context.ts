import type { Scalar } from 'yaml';
import type { Catalogue, ResourceTypeName } from '../lang/index.js';
import type { Doc, Fields } from './fields.js';
import { PACK_REF } from './rules.js';
import type { ActionDefinition, AlarmDefinition, DefinitionKind } from './types.js';

/*
 * What the checkers of each kind share: the document being checked (`Raw`) and
 * what the set has defined so far (`SetContext`), so that each kind can live in
 * its own file (action-kind.ts, bot-kind.ts, ...) while set-checker.ts decides
 * the order.
 */

/** One document that names a known kind. */
export interface Raw {
  readonly doc: Doc;
  readonly fields: Fields;
  readonly kind: DefinitionKind;
  /** Undefined when missing or invalid (reported); the rest is still checked. */
  readonly name: string | undefined;
  readonly nameAt: number;
  /** The line of `kind:`. */
  readonly line: number;
  duplicate: boolean;
}

/** A statement written as a YAML string: its text and node, for placing diagnostics. */
export interface Written {
  readonly value: string;
  readonly node: Scalar.Parsed;
}

/**
 * What the set has defined so far. Actions and metrics are read first, so
 * `catalogue` includes them by the time alarms, files, schedules and bots are
 * checked; alarms are read before bots, so that triggers can name them.
 */
export interface SetContext {
  readonly catalogue: Catalogue;
  readonly actions: ReadonlyMap<string, ActionDefinition>;
  readonly alarms: Map<string, { def: AlarmDefinition; resource: ResourceTypeName | undefined }>;
  readonly filePaths: Map<string, Raw>;
}

/** The fields every definition has: name, description, the pack it came from (if any) and where it was written. */
export function basics(r: Raw) {
  const description = r.fields.string('description', 'a description (text)', false) ?? '';
  const pack = r.fields.string('pack', 'the pack it was installed from, `name@version` (written by `breakwater pack install`)', false);
  if (pack !== undefined && !PACK_REF.test(pack)) r.fields.bad('pack', 'BWD_BAD_VALUE', `expected the pack it was installed from as \`name@version\` (e.g. \`disk-full-logs@1.0.0\`), found ${JSON.stringify(pack.slice(0, 80))}`);
  return { name: r.name ?? '', description, ...(pack !== undefined && PACK_REF.test(pack) ? { pack } : {}), origin: { file: r.doc.file, line: r.line } };
}
