import { z } from 'zod';
import type { Definition } from '../../definitions/index.js';
import type { BotSwitch, Maintenance, Silence, Switches } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import type { Clock } from '../fleet/index.js';
import type { Remediation } from '../remediation/index.js';
import type { SilenceRecord } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { IdParam, Statement } from './schemas.js';

/** Silences, maintenance and switches read the remediation's controls and definitions, and the time now. */
export interface OperateContext {
  readonly remediation: Pick<Remediation, 'controls' | 'definitions'>;
  readonly clock: Clock;
}

/** The longest silence: 90 days (a longer one is a change to the definitions, not a silence). */
export const MAX_SILENCE_SECONDS = 90 * 86_400;

const Reason = z.string().trim().min(1, 'say why (it is shown to everyone who sees the silence or switch)').max(1024);
const OptionalReason = z.string().trim().max(1024).default('');
const AlarmName = z.string().regex(/^[a-z][a-z0-9_-]{0,127}$/, 'expected an alarm name: lowercase letters, digits, `_` and `-`, starting with a letter');
const BotParam = z.object({ name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'expected a bot name: lowercase letters, digits, `_` and `-`, starting with a letter') });

const CreateSilence = z.object({
  /** null or omitted: every alarm. */
  alarm: AlarmName.nullable().default(null),
  hosts: Statement,
  durationSeconds: z.number().int().min(60, 'expected at least 60 seconds').max(MAX_SILENCE_SECONDS, `expected at most ${MAX_SILENCE_SECONDS} seconds (90 days)`),
  reason: Reason,
}).strict();

const Maintenance = z.object({ on: z.boolean(), reason: OptionalReason }).strict();
const SwitchBody = z.object({ reason: OptionalReason }).strict().default({ reason: '' });

/** A silence with its state now: active, ended (early) or expired. */
function silenceView(s: SilenceRecord, now: number): Silence {
  return { ...s, state: s.endedAt !== null ? 'ended' : s.endsAt > now ? 'active' : 'expired' };
}

/**
 * Operating the fleet's automation: silences of alarms on a host query, the maintenance switch, and
 * bots' kill switches. Reading needs viewer; changing needs operator (the role that runs actions),
 * and every change is audited and recorded as an event.
 *
 * @example
 * const routes = operateRoutes({ remediation, clock: systemClock });
 */
export function operateRoutes(ctx: OperateContext): Route[] {
  const controls = () => ctx.remediation.controls;
  return [
    route({
      method: 'GET',
      url: '/api/v1/silences',
      summary: 'Silences in force and those ended or expired in the last day, newest end first, each with its state (active, ended, expired).',
      role: 'viewer',
      handler: async () => {
        const now = ctx.clock.now();
        return (await controls().listSilences()).map((s) => silenceView(s, now));
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/silences',
      summary: 'Silence one alarm (or every alarm: `alarm` null) on the hosts a host selection picks (`host | role = "web"`) for `durationSeconds`: the alarm still evaluates and is recorded (marked silenced), its bots do not run and nothing notifies.',
      role: 'operator',
      audit: 'silence.create',
      body: CreateSilence,
      handler: async ({ body, principal }) => silenceView(await controls().createSilence(body, principal as Principal), ctx.clock.now()),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/silences/:id',
      summary: 'End a silence before its time.',
      role: 'operator',
      audit: 'silence.end',
      params: IdParam,
      handler: async ({ params, principal }) => silenceView(await controls().endSilence(params.id, principal as Principal), ctx.clock.now()),
    }),
    route({
      method: 'GET',
      url: '/api/v1/maintenance',
      summary: 'The maintenance switch: `on`, and who set it, when and why.',
      role: 'viewer',
      handler: async () => maintenanceView(controls().state().maintenance),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/maintenance',
      summary: 'Turn maintenance mode on or off. While on, running work finishes but new automated runs (bots, schedules) are refused and recorded; ad-hoc commands still run.',
      role: 'operator',
      audit: 'maintenance',
      body: Maintenance,
      handler: async ({ body, principal }) => maintenanceView((await controls().setMaintenance(body.on, body.reason, principal as Principal)).maintenance),
    }),
    route({
      method: 'GET',
      url: '/api/v1/switches',
      summary: 'Each bot of the current definitions (and any switched off since deleted) with its switch: `off` says who switched it off, when and why; and the maintenance switch.',
      role: 'viewer',
      handler: async () => switchesView(ctx.remediation.definitions().definitions, controls().state()),
    }),
    route({
      method: 'POST',
      url: '/api/v1/bots/:name/disable',
      summary: 'Switch a bot off at once, without editing the definitions (an incident\'s kill switch); it shows as drift until switched on or its definition is applied anew.',
      role: 'operator',
      audit: 'bot.disable',
      params: BotParam,
      body: SwitchBody,
      handler: async ({ params, body, principal }) => switchesView(ctx.remediation.definitions().definitions, await controls().switchBot(params.name, false, body.reason, principal as Principal)),
    }),
    route({
      method: 'POST',
      url: '/api/v1/bots/:name/enable',
      summary: 'Switch a bot back on.',
      role: 'operator',
      audit: 'bot.enable',
      params: BotParam,
      body: SwitchBody,
      handler: async ({ params, body, principal }) => switchesView(ctx.remediation.definitions().definitions, await controls().switchBot(params.name, true, body.reason, principal as Principal)),
    }),
  ];
}

type State = ReturnType<Remediation['controls']['state']>;

function maintenanceView(m: State['maintenance']): Maintenance {
  return m ? { on: true, reason: m.reason, setBy: m.setBy, setAt: m.setAt } : { on: false, reason: null, setBy: null, setAt: null };
}

function switchesView(definitions: readonly Definition[], state: State): Switches {
  const off = new Map(state.disabledBots.map((s) => [s.name, { by: s.setBy, at: s.setAt, reason: s.reason }]));
  const bots: BotSwitch[] = definitions.flatMap((d): BotSwitch[] => (d.kind === 'bot' ? [{ name: d.name, action: d.action, defined: true, enabledInDefinitions: d.enabled !== false, off: off.get(d.name) ?? null }] : []));
  for (const [name, o] of off) if (!bots.some((b) => b.name === name)) bots.push({ name, action: '', defined: false, enabledInDefinitions: false, off: o });
  return { maintenance: maintenanceView(state.maintenance), bots };
}
