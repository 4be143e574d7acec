import type { BotDefinition } from '../../definitions/index.js';
import type { Catalogue } from '../../lang/index.js';
import { analyze } from '../../lang/index.js';
import type { ControlsMessage } from '../../protocol/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { Clock, InventoryHost } from '../fleet/index.js';
import type { Scope } from '../secrets/index.js';
import { selects } from '../secrets/index.js';
import type { SilenceRecord, SwitchRecord } from '../store/index.js';

/** One agent's controls message, encoded, and a key that is equal when the message is. */
export interface AgentControls {
  readonly key: string;
  readonly frame: string;
}

/**
 * A silence's hosts: a host selection the control plane answers from the tags and attributes it
 * knows (`host | role = "web"`, `host | name = "web-1"`, `host`), so that the agents it is sent to and the
 * permit path judge it alike. Throws BW_ERR_INVALID_REQUEST saying why otherwise.
 */
export function hostSelection(statement: string, catalogue: Catalogue): Scope {
  const analysis = analyze(statement, catalogue);
  const error = analysis.diagnostics.find((d) => d.severity === 'error');
  if (!analysis.plan) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `hosts: ${error?.message ?? 'not a statement'}`, { where: 'hosts' });
  const [first, ...rest] = analysis.plan.phases;
  if (first?.where !== 'inventory' || rest.length) {
    throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `hosts: expected a host selection on tags or attributes, such as host | role = "web"; \`${statement}\` needs the agents to answer`, { where: 'hosts' });
  }
  return first.filter ? { filter: first.filter } : 'all';
}

/**
 * What operators switched, in force on this control plane: silences, the maintenance switch and bots
 * switched off. It knows nothing of the fleet (the agents' hooks read it before the gateway exists);
 * ControlChanges changes it and pushes it. Each agent is sent the silences whose hosts select it.
 *
 * @example
 * const controls = new Controls(clock, () => current.catalogue());
 * controls.install(await store.listSilences(now), await store.listSwitches());
 * controls.refusal(host, bot); // 'maintenance: ...' while the switch is on
 */
export class Controls {
  private silences: readonly { readonly record: SilenceRecord; readonly scope: Scope }[] = [];
  private switches: readonly SwitchRecord[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly catalogue: () => Catalogue,
  ) {}

  /** Puts stored silences (those not ended) and switches in force. */
  install(silences: readonly SilenceRecord[], switches: readonly SwitchRecord[]): void {
    this.silences = silences.filter((s) => s.endedAt === null).map((record) => ({ record, scope: scopeOrNone(record.hosts, this.catalogue()) }));
    this.switches = switches;
  }

  /** The maintenance switch, when on. */
  maintenance(): SwitchRecord | undefined {
    return this.switches.find((s) => s.kind === 'maintenance');
  }

  /** Why schedules may not run now (the maintenance switch), or undefined. */
  refusalOfSchedules(): string | undefined {
    const maintenance = this.maintenance();
    return maintenance && `maintenance mode is on (set by ${maintenance.setBy}: ${maintenance.reason}); no new automated runs`;
  }

  /** The bots switched off. */
  disabledBots(): SwitchRecord[] {
    return this.switches.filter((s) => s.kind === 'bot');
  }

  /** The silences in force now. */
  active(): SilenceRecord[] {
    const now = this.clock.now();
    return this.silences.filter((s) => s.record.endsAt > now).map((s) => s.record);
  }

  /** The silence in force now of `alarm` on `host`, if any. */
  silencing(host: InventoryHost, alarm: string): SilenceRecord | undefined {
    const now = this.clock.now();
    return this.silences.find((s) => s.record.endsAt > now && (s.record.alarm === null || s.record.alarm === alarm) && selects(s.scope, host))?.record;
  }

  /** Why a bot may not run on a host now (the permit path), or undefined when nothing switched stops it. */
  refusal(host: InventoryHost | undefined, bot: BotDefinition): string | undefined {
    const maintenance = this.refusalOfSchedules();
    if (maintenance) return maintenance;
    const off = this.switches.find((s) => s.kind === 'bot' && s.name === bot.name);
    if (off) return `bot ${bot.name} is switched off (by ${off.setBy}: ${off.reason})`;
    const alarm = 'alarm' in bot.trigger ? bot.trigger.alarm : undefined;
    const silence = host && alarm !== undefined ? this.silencing(host, alarm) : undefined;
    if (silence) return `alarm ${alarm} is silenced on ${host?.name} until ${new Date(silence.endsAt).toISOString()} (silence ${silence.id} by ${silence.createdBy}: ${silence.reason})`;
    return undefined;
  }

  /** One host's controls message: the silences in force whose hosts select it, maintenance and bots switched off. */
  forHost(host: InventoryHost): AgentControls {
    const now = this.clock.now();
    const message: ControlsMessage = {
      type: 'controls',
      silences: this.silences
        .filter((s) => s.record.endsAt > now && selects(s.scope, host))
        .map(({ record: r }) => ({ id: r.id, alarm: r.alarm, endsAt: r.endsAt, reason: r.reason, createdBy: r.createdBy })),
      maintenance: switchState(this.maintenance()),
      disabledBots: Object.fromEntries(this.disabledBots().map((s) => [s.name, switchState(s) as NonNullable<ReturnType<typeof switchState>>])),
    };
    // The frame is its own key: a push sends it where it differs from what the agent was last sent.
    const frame = JSON.stringify(message);
    return { key: frame, frame };
  }
}

function switchState(s: SwitchRecord | undefined): ControlsMessage['maintenance'] {
  return s ? { by: s.setBy, at: s.setAt, reason: s.reason } : null;
}

/** A stored silence's hosts no longer valid (the catalogue changed): it selects no host, closed rather than open. */
function scopeOrNone(statement: string, catalogue: Catalogue): Scope {
  try {
    return hostSelection(statement, catalogue);
  } catch {
    return 'none';
  }
}
