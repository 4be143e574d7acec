import type { DefinitionDiff } from '../../definitions/index.js';
import { BreakwaterError, orderedId } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import { audit } from '../audit/index.js';
import type { Clock, Fleet } from '../fleet/index.js';
import type { SilenceRecord, Store, SwitchRecord } from '../store/index.js';
import type { Controls } from './controls.js';
import { hostSelection } from './controls.js';
import type { CurrentDefinitions } from './current-definitions.js';
import type { EventIntake } from './event-intake.js';

/** How long ended and expired silences stay listed. */
export const RECENT_SILENCES_MS = 24 * 3_600_000;

/** What `ControlChanges` needs: the store, the controls in force, who to tell and the fleet it pushes to. */
export interface ControlChangesParts {
  readonly store: Store;
  readonly controls: Controls;
  readonly current: Pick<CurrentDefinitions, 'definitions' | 'bot' | 'catalogue'>;
  readonly intake: Pick<EventIntake, 'record'>;
  readonly fleet: Pick<Fleet, 'pushDefinitions'>;
  readonly clock: Clock;
  /** Tells the other control-plane replicas to reload (scaled mode: DefinitionsFeed.announce). */
  readonly announce?: (() => void) | undefined;
}

/** A new silence as the API receives it. */
export interface NewSilence {
  /** null: every alarm. */
  readonly alarm: string | null;
  readonly hosts: string;
  readonly durationSeconds: number;
  readonly reason: string;
}

/**
 * Changing what operators switch: silences (create, end early), the fleet's maintenance switch and
 * bots' kill switches. Each change is stored, audited, recorded as an event, put in force here,
 * pushed to the agents (the controls message, with their definitions) and announced to the other
 * replicas, which reload it from the store.
 *
 * @example
 * await changes.setMaintenance(true, 'database upgrade', principal);
 */
export class ControlChanges {
  /** Reloads, one at a time: a reload and a change here can finish in either order. */
  private loading: Promise<void> = Promise.resolve();

  constructor(private readonly parts: ControlChangesParts) {}

  /** Puts the stored silences and switches in force here (at start, and when another replica changed them). No push. */
  reload(): Promise<void> {
    const { store, controls, clock } = this.parts;
    const done = this.loading.then(async () => {
      const [silences, switches] = await Promise.all([store.listSilences(clock.now()), store.listSwitches()]);
      controls.install(silences, switches);
    });
    this.loading = done.catch(() => undefined);
    return done;
  }

  /** Silences in force and those ended or expired in the last day, newest end first. */
  async listSilences(): Promise<SilenceRecord[]> {
    const now = this.parts.clock.now();
    return this.parts.store.listSilences(now - RECENT_SILENCES_MS);
  }

  /** The maintenance switch and the bots switched off. */
  state() {
    const { controls } = this.parts;
    return { maintenance: controls.maintenance() ?? null, disabledBots: controls.disabledBots() };
  }

  async createSilence(input: NewSilence, who: Principal): Promise<SilenceRecord> {
    const { store, current, clock } = this.parts;
    hostSelection(input.hosts, current.catalogue());
    const alarms = current.definitions().definitions.filter((d) => d.kind === 'alarm').map((d) => d.name);
    if (input.alarm !== null && !alarms.includes(input.alarm)) {
      throw new BreakwaterError('BW_ERR_NOT_FOUND', `no alarm ${input.alarm} in the current definitions (version ${current.definitions().version}); the alarms are: ${alarms.join(', ') || 'none'}`, { where: 'alarm' });
    }
    const now = clock.now();
    const silence: SilenceRecord = { id: orderedId(), alarm: input.alarm, hosts: input.hosts, reason: input.reason, createdBy: who.name, createdAt: now, endsAt: now + input.durationSeconds * 1000, endedAt: null, endedBy: null };
    const what = `${input.alarm === null ? 'every alarm' : `alarm ${input.alarm}`} on ${input.hosts}`;
    await audit(store, who.name, 'silence.create', silence.id, 'ok', { alarm: input.alarm, hosts: input.hosts, endsAt: silence.endsAt, reason: input.reason }, null, clock);
    await store.createSilence(silence);
    await this.changed({ type: 'silence_created', alarm: input.alarm, principal: who.name, message: `${who.name} silenced ${what} until ${new Date(silence.endsAt).toISOString()}: ${input.reason}`, details: { silence: silence.id, hosts: input.hosts, endsAt: silence.endsAt, reason: input.reason } });
    return silence;
  }

  async endSilence(id: string, who: Principal): Promise<SilenceRecord> {
    const { store, clock } = this.parts;
    await audit(store, who.name, 'silence.end', id, 'ok', {}, null, clock);
    const ended = await store.endSilence(id, who.name, clock.now());
    if (!ended) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no silence ${id} in force (it ended, expired, or never was)`);
    await this.changed({ type: 'silence_ended', alarm: ended.alarm, principal: who.name, message: `${who.name} ended silence ${id} (${ended.alarm ?? 'every alarm'} on ${ended.hosts}) early`, details: { silence: id } });
    return ended;
  }

  async setMaintenance(on: boolean, reason: string, who: Principal) {
    const { store, clock } = this.parts;
    await audit(store, who.name, on ? 'maintenance.on' : 'maintenance.off', 'fleet', 'ok', { reason }, null, clock);
    if (on) {
      const fresh = await store.setSwitch({ kind: 'maintenance', name: '', reason, setBy: who.name, setAt: clock.now() });
      await this.changed(fresh ? { type: 'maintenance_started', principal: who.name, message: `${who.name} turned maintenance mode on: ${reason}; new automated runs are refused`, details: { reason } } : undefined);
    } else {
      const was = await store.clearSwitch('maintenance', '');
      await this.changed(was ? { type: 'maintenance_ended', principal: who.name, message: `${who.name} turned maintenance mode off${reason ? `: ${reason}` : ''}; automated runs resume`, details: { reason, since: was.setAt } } : undefined);
    }
    return this.state();
  }

  /** Switches a bot off (`enabled` false) or on again. Switching off a bot the definitions lack is refused. */
  async switchBot(name: string, enabled: boolean, reason: string, who: Principal) {
    const { store, current, clock } = this.parts;
    if (!enabled && !current.bot(name)) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no bot ${name} in the current definitions (version ${current.definitions().version})`);
    await audit(store, who.name, enabled ? 'bot.enable' : 'bot.disable', name, 'ok', { reason }, null, clock);
    if (enabled) {
      const was = await store.clearSwitch('bot', name);
      await this.changed(was ? botEvent('bot_enabled', name, who.name, `${who.name} switched bot ${name} back on${reason ? `: ${reason}` : ''}`, reason) : undefined);
    } else {
      const fresh = await store.setSwitch({ kind: 'bot', name, reason, setBy: who.name, setAt: clock.now() });
      await this.changed(fresh ? botEvent('bot_disabled', name, who.name, `${who.name} switched bot ${name} off: ${reason}`, reason) : undefined);
    }
    return this.state();
  }

  /**
   * After an apply: a bot the apply created, changed or deleted has its switch cleared (the new
   * definition is what the person means now); an unchanged bot keeps it (docs/design-decisions.md).
   */
  async reconcile(diff: DefinitionDiff, who: Principal): Promise<void> {
    const touched = new Set([...diff.create, ...diff.update.map((u) => u.after), ...diff.delete].filter((d) => d.kind === 'bot').map((d) => d.name));
    const cleared: SwitchRecord[] = [];
    for (const name of touched) {
      const was = await this.parts.store.clearSwitch('bot', name);
      if (was) cleared.push(was);
    }
    if (!cleared.length) return;
    for (const was of cleared) {
      await audit(this.parts.store, who.name, 'bot.enable', was.name, 'ok', { reason: 'definitions applied' }, null, this.parts.clock);
      await this.parts.intake.record(botEvent('bot_enabled', was.name, who.name, `bot ${was.name} is switched on again: ${who.name} applied a new definition of it`, 'definitions applied'));
    }
    await this.changed(undefined);
  }

  /** Reload, push, announce; then the event (stored after the agents were told). */
  private async changed(event: Parameters<EventIntake['record']>[0] | undefined): Promise<void> {
    await this.reload();
    this.parts.fleet.pushDefinitions();
    this.parts.announce?.();
    if (event) await this.parts.intake.record(event);
  }
}

function botEvent(type: 'bot_enabled' | 'bot_disabled', bot: string, principal: string, message: string, reason: string) {
  return { type, bot, principal, message, details: { reason } };
}
