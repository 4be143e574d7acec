import { closest } from '../lang/index.js';
import { readArgs } from './bot-args.js';
import { readTrigger } from './bot-trigger.js';
import { botRefusal } from './permissions.js';
import { DEFAULTS } from './rules.js';
import type { Raw, SetContext } from './set-context.js';
import { basics } from './set-context.js';
import type { ActionDefinition, BotDefinition } from './types.js';

/* The `bot` kind: an action run when an alarm fires, an agent event happens or an external alert arrives. */

/**
 * Reads a `bot` document: what triggers it, the action of the set it runs
 * with which arguments, and the limits on running it.
 *
 * @example
 * const def = readBot(ctx, raw); // { kind: 'bot', trigger: { alarm: 'disk-full', on: 'fired' }, action: 'clean-tmp', ... }
 */
export function readBot(ctx: SetContext, r: Raw): BotDefinition {
  const f = r.fields;
  const info = readTrigger(ctx, f);
  const actionName = f.string('action', 'the name of an action of this set', true);
  let action: ActionDefinition | undefined;
  if (actionName !== undefined) {
    action = ctx.actions.get(actionName);
    if (!action) {
      const known = [...ctx.actions.keys()];
      const suggestion = closest(actionName, known);
      f.bad(
        'action',
        'BWD_UNKNOWN_ACTION',
        `unknown action \`${actionName}\`: ` + (suggestion ? `did you mean \`${suggestion}\`?` : known.length ? `the set defines ${known.map((k) => `\`${k}\``).join(', ')}` : 'the set defines no actions'),
        { suggestion },
      );
    } else if (r.name !== undefined && botRefusal(action, r.name)) {
      f.bad('action', 'BWD_NOT_PERMITTED', botRefusal(action, r.name) as string);
    } else if (info?.resource && !action.resources.includes(info.resource)) {
      f.bad('action', 'BWD_ACTION_RESOURCE', `action \`${action.name}\` runs on ${action.resources.join(', ')}, but the bot's trigger (${info.describe}) gives a ${info.resource}: add \`${info.resource}\` to the action's \`resources\`, or trigger on a ${action.resources.join(' or ')}`);
    }
  }
  const args = readArgs(f, action, info);
  const cooldownSeconds = f.duration('cooldown', DEFAULTS.cooldownSeconds, 'zero') ?? DEFAULTS.cooldownSeconds;
  let circuitBreaker = { ...DEFAULTS.circuitBreaker };
  const cb = f.map('circuit_breaker', 'a mapping with `max` (runs) and `window` (a duration), e.g. `{ max: 5, window: 10m }`', false);
  if (cb) {
    cb.allow(['max', 'window'], '`circuit_breaker`');
    circuitBreaker = { max: cb.integer('max', DEFAULTS.circuitBreaker.max, 1), windowSeconds: cb.duration('window', DEFAULTS.circuitBreaker.windowSeconds, 'positive') ?? DEFAULTS.circuitBreaker.windowSeconds };
  }
  const offline = f.oneOf('offline', ['run', 'skip'] as const, DEFAULTS.offline) ?? DEFAULTS.offline;
  let approval: BotDefinition['approval'];
  const ap = f.map('approval', 'a mapping with `expires` (a duration), e.g. `{ expires: 30m }`', false);
  if (ap) {
    ap.allow(['expires'], '`approval`');
    approval = { expiresSeconds: ap.duration('expires', DEFAULTS.approvalExpiresSeconds, 'positive') ?? DEFAULTS.approvalExpiresSeconds };
  }
  let verify: BotDefinition['verify'];
  const vf = f.map('verify', 'a mapping with `within` (a duration), e.g. `{ within: 2m }`', false);
  if (vf) {
    vf.allow(['within'], '`verify`');
    const within = vf.duration('within', undefined, 'positive');
    if (within !== undefined) verify = { withinSeconds: within };
    if (info && !('alarm' in info.trigger && info.trigger.on === 'fired')) {
      f.badKey('verify', 'BWD_CONFLICT', `\`verify\` waits for the alarm to clear, so it needs a trigger \`{ alarm: ..., on: fired }\`; this bot's trigger is ${info.describe}`);
    }
  }
  return {
    kind: 'bot',
    ...basics(r),
    trigger: info?.trigger ?? { external: '' },
    action: actionName ?? '',
    args,
    cooldownSeconds,
    circuitBreaker,
    offline,
    ...(approval ? { approval } : {}),
    ...(verify ? { verify } : {}),
    enabled: f.bool('enabled', true),
  };
}
