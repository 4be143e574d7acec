import type { Definition, DefinitionDiff, ScheduleDefinition } from '../../definitions/index.js';
import { diffDefinitions, parseDefinitions, renderPlan } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import type { Clock, Fleet } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import { audit } from '../audit/index.js';
import type { Store } from '../store/index.js';
import { isStoreError } from '../store/index.js';
import type { CurrentDefinitions } from './current-definitions.js';
import type { EventIntake } from './event-intake.js';

/** A definition file as the API receives it. */
export interface DefinitionFile {
  readonly path: string;
  readonly text: string;
}

/** What `DefinitionChanges` needs: each part it changes or tells, and the fleet it pushes to. */
export interface DefinitionChangesParts {
  readonly store: Store;
  readonly current: CurrentDefinitions;
  /** Replaced with each version's schedules. */
  readonly schedules: { set(schedules: readonly ScheduleDefinition[]): void };
  readonly fleet: Pick<Fleet, 'pushDefinitions' | 'versions' | 'inventory'>;
  readonly intake: Pick<EventIntake, 'record'>;
  readonly clock?: Clock;
  /** Tells the other control-plane replicas that this one applied `version` (scaled mode: DefinitionsFeed.announce). */
  readonly announce?: ((version: number) => void) | undefined;
  /** After an apply: bots' switches the new version settles (ControlChanges.reconcile). */
  readonly reconcile?: ((diff: DefinitionDiff, who: Principal) => Promise<void>) | undefined;
}

/**
 * Changing the definitions: the stored version loaded at start, a plan of what files would change,
 * an apply of them as a new version (all or nothing), pushing it to the agents, and which agents
 * run another version (drift).
 *
 * @example
 * const planned = changes.plan(files);
 * if (planned.ok) await changes.apply(files, planned.baseVersion, principal);
 */
export class DefinitionChanges {
  private readonly clock: Clock;
  /** The installs, one after another (see install). */
  private installing: Promise<void> = Promise.resolve();

  constructor(private readonly parts: DefinitionChangesParts) {
    this.clock = parts.clock ?? systemClock;
  }

  /** Puts the stored current version (if any) in force. */
  async load(): Promise<void> {
    const stored = await this.parts.store.currentDefinitions();
    if (stored) await this.install(stored.version, stored.definitions as Definition[]);
  }

  /**
   * Puts the stored current version in force if it is newer than the one in force here: another
   * replica applied it, and pushed it to the agents (so this one does not).
   */
  async reload(): Promise<void> {
    // Versions count up by one, so a newer one exists only if the next does: the feed's catch-up
    // calls this every 30 s, and usually reads nothing (not the whole current set).
    if (!(await this.parts.store.getDefinitionVersion(this.parts.current.definitions().version + 1))) return;
    const stored = await this.parts.store.currentDefinitions();
    if (stored && stored.version > this.parts.current.definitions().version) await this.install(stored.version, stored.definitions as Definition[]);
  }

  /** Checks files and compares them with the current version: what `apply` would do. */
  plan(files: readonly DefinitionFile[]) {
    const parsed = parseDefinitions(files, BUILTIN_CATALOGUE);
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    const base = this.parts.current.definitions();
    if (errors.length) return { ok: false as const, baseVersion: base.version, diagnostics: parsed.diagnostics };
    const diff = diffDefinitions(base.definitions, parsed.definitions);
    return { ok: true as const, baseVersion: base.version, diagnostics: parsed.diagnostics, diff, text: renderPlan(diff), definitions: parsed.definitions };
  }

  /**
   * Applies files as a new version: all or nothing. `baseVersion` is the
   * version the person planned against; if another apply came first, 409.
   */
  async apply(files: readonly DefinitionFile[], baseVersion: number, who: Principal) {
    const { store, intake } = this.parts;
    const planned = this.plan(files);
    if (!planned.ok) {
      await audit(store, who.name, 'definitions.apply', `${files.length} files`, 'failed', { errors: planned.diagnostics.length });
      throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `the definitions have ${planned.diagnostics.length} problem(s); nothing was applied`, { diagnostics: planned.diagnostics });
    }
    const diff = planned.diff;
    if (!diff.create.length && !diff.update.length && !diff.delete.length) return { version: planned.baseVersion, changed: false, text: planned.text };
    let version: number;
    try {
      version = await store.saveDefinitionVersion(
        { createdAt: this.clock.now(), createdBy: who.name, definitions: planned.definitions, summary: { create: diff.create.length, update: diff.update.length, delete: diff.delete.length } },
        baseVersion === 0 ? null : baseVersion,
      );
    } catch (err) {
      if (isStoreError(err, 'STORE_CONFLICT')) throw new BreakwaterError('BW_ERR_CONFLICT', `someone applied a newer version while you planned against version ${baseVersion}: plan again`, {}, { cause: err });
      throw err;
    }
    await this.install(version, planned.definitions);
    this.push();
    this.parts.announce?.(version);
    await audit(store, who.name, 'definitions.apply', `version ${version}`, 'ok', { create: diff.create.length, update: diff.update.length, delete: diff.delete.length });
    await this.parts.reconcile?.(diff, who);
    await intake.record({ type: 'definitions_applied', principal: who.name, message: `definitions version ${version} applied by ${who.name}: ${diff.create.length} created, ${diff.update.length} changed, ${diff.delete.length} deleted`, details: { version } });
    return { version, changed: true, text: planned.text };
  }

  /** Sends every connected agent its definitions where they changed (after an apply or a secret's new value). */
  push(): void {
    this.parts.fleet.pushDefinitions();
  }

  /**
   * A secret's value was set here: every connected agent in its scope is sent it, and the other
   * replicas are told, as after an apply (they refresh their secrets from the store).
   */
  secretChanged(): void {
    this.push();
    this.parts.announce?.(this.parts.current.definitions().version);
  }

  /** Agents and the definitions version each runs: `drift` is true where it is not the current one. */
  drift() {
    const { fleet, current } = this.parts;
    const version = current.definitions().version;
    const versions = fleet.versions();
    return fleet.inventory().map((h) => {
      const running = versions.get(h.name) ?? null;
      return { name: h.name, connected: h.connected, version: running, current: version, drift: h.connected ? running !== version : null };
    });
  }

  /**
   * Installs one version at a time, and never an older over a newer: with several replicas a
   * reload (another replica's apply) and this replica's own apply can finish in either order, and
   * two installs interleaved at CurrentDefinitions' await would mix two versions' parts.
   */
  private install(version: number, definitions: readonly Definition[]): Promise<void> {
    const done = this.installing.then(async () => {
      if (version <= this.parts.current.definitions().version) return;
      // Before anything is awaited, as when one object did both: the schedules change with the version.
      this.parts.schedules.set(definitions.filter((d): d is ScheduleDefinition => d.kind === 'schedule'));
      await this.parts.current.install(version, definitions);
    });
    this.installing = done.catch(() => undefined);
    return done;
  }
}
