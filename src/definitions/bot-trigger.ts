import { closest } from '../lang/index.js';
import type { ResourceTypeName } from '../lang/index.js';
import type { Fields } from './fields.js';
import { TRIGGER_EVENTS, TRIGGER_FIELDS } from './rules.js';
import type { SetContext } from './set-context.js';
import type { BotTrigger } from './types.js';

/** What a bot's trigger provides: the resource its action runs on and the template variables. */
export interface TriggerInfo {
  readonly trigger: BotTrigger;
  readonly resource: ResourceTypeName | undefined;
  readonly describe: string;
}

/**
 * Reads a bot's `trigger`: one of an alarm of the set, an agent event or an external alert.
 * Undefined when it has a problem (reported).
 *
 * @example
 * const info = readTrigger(ctx, fields); // { trigger: { alarm: 'disk-full', on: 'fired' }, resource: 'host', describe: 'alarm `disk-full` on host' }
 */
export function readTrigger(ctx: Pick<SetContext, 'alarms'>, f: Fields): TriggerInfo | undefined {
  const shapes = '`{ alarm: <name>, on: fired }`, `{ event: process_restarted, process: <name> }`, `{ event: container_restarted }` or `container_oom_killed` (optionally with `container: <name>`), `{ event: host_joined }` or `{ external: <name> }`';
  const t = f.map('trigger', `what starts the bot: ${shapes}`, true);
  if (!t) return undefined;
  t.allow(TRIGGER_FIELDS, '`trigger`');
  const given = (['alarm', 'event', 'external'] as const).filter((k) => t.has(k));
  if (given.length === 0) {
    t.doc.report(t.anchor, t.path, 'BWD_MISSING_FIELD', `\`trigger\` needs one of \`alarm\`, \`event\` or \`external\`: ${shapes}`);
    return undefined;
  }
  if (given.length > 1) {
    t.badKey(given[1] as string, 'BWD_CONFLICT', `a trigger is one of \`alarm\`, \`event\` or \`external\`, found both \`${given[0]}\` and \`${given[1]}\``);
    return undefined;
  }
  const only = (field: string, owner: string) => {
    if (t.has(field)) t.badKey(field, 'BWD_CONFLICT', `\`${field}\` belongs to ${owner} triggers`);
  };
  const notContainer = () => only('container', '`event: container_restarted` and `event: container_oom_killed`');
  if (given[0] === 'alarm') {
    only('process', '`event: process_restarted`');
    notContainer();
    const name = t.string('alarm', 'the name of an alarm of this set', true);
    const on = t.oneOf('on', ['fired', 'cleared'] as const, 'fired') ?? 'fired';
    if (name === undefined) return undefined;
    const alarm = ctx.alarms.get(name);
    if (!alarm) {
      const known = [...ctx.alarms.keys()];
      const suggestion = closest(name, known);
      t.bad('alarm', 'BWD_UNKNOWN_ALARM', `unknown alarm \`${name}\`: ` + (suggestion ? `did you mean \`${suggestion}\`?` : known.length ? `the set defines ${known.map((k) => `\`${k}\``).join(', ')}` : 'the set defines no alarms'), { suggestion });
    }
    return { trigger: { alarm: name, on }, resource: alarm?.resource, describe: `alarm \`${name}\`${alarm?.resource ? ` on ${alarm.resource}` : ''}` };
  }
  if (given[0] === 'external') {
    only('process', '`event: process_restarted`');
    notContainer();
    const name = t.string('external', 'the name of the external alert', true, { nonEmpty: true });
    // An outside alert fires and, from Alertmanager, resolves: `cleared` is the word of Breakwater's own alarms.
    const on = t.oneOf('on', ['fired', 'resolved'] as const, 'fired') ?? 'fired';
    if (name === undefined) return undefined;
    return { trigger: on === 'resolved' ? { external: name, on } : { external: name }, resource: undefined, describe: `external alert \`${name}\`${on === 'resolved' ? ' resolved' : ''}` };
  }
  only('on', '`alarm` and `external`');
  const event = t.oneOf('event', TRIGGER_EVENTS, undefined);
  if (event === 'host_joined') {
    only('process', '`event: process_restarted`');
    notContainer();
    return { trigger: { event }, resource: 'host', describe: 'event `host_joined`' };
  }
  if (event === 'container_restarted' || event === 'container_oom_killed') {
    only('process', '`event: process_restarted`');
    const container = t.has('container') ? t.string('container', 'the container name to watch, e.g. `web`', true, { nonEmpty: true }) : undefined;
    if (t.has('container') && container === undefined) return undefined;
    return { trigger: container === undefined ? { event } : { event, container }, resource: 'container', describe: `event \`${event}\`` + (container === undefined ? '' : ` of \`${container}\``) };
  }
  if (event === 'process_restarted') {
    notContainer();
    const process = t.string('process', 'the process name (comm) to watch, e.g. `api`', true, { nonEmpty: true });
    return process === undefined ? undefined : { trigger: { event, process }, resource: 'process', describe: `event \`process_restarted\` of \`${process}\`` };
  }
  return undefined;
}
