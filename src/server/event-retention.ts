import type { Logger } from 'pino';
import type { AgentHooks } from './fleet/index.js';
import type { Store } from './store/index.js';

/** Trim a host's events once this many more were stored for it: a delete per batch would cost more than it saves. */
const TRIM_EVERY = 1000;

/**
 * The gateway's hooks with a cap on the events stored per host: every {@link TRIM_EVERY} events an
 * agent reports, its host's oldest events beyond `maxPerHost` are deleted. With the per-agent event
 * quota this bounds what one agent can make the store hold, whatever it sends for however long.
 */
export function withEventRetention(hooks: AgentHooks, store: Store, logger: Logger, maxPerHost: number): AgentHooks {
  const sinceTrim = new Map<string, number>();
  return {
    ...hooks,
    onEvents: async (agent, events) => {
      await hooks.onEvents(agent, events);
      const count = (sinceTrim.get(agent) ?? 0) + events.length;
      if (count < TRIM_EVERY) {
        sinceTrim.set(agent, count);
        return;
      }
      sinceTrim.set(agent, 0);
      // The events are stored: a failed trim is only logged, and tried again TRIM_EVERY events later.
      const deleted = await store.trimHostEvents(agent, maxPerHost).catch((err: unknown) => {
        logger.warn({ agent, err: (err as Error).message }, 'could not trim the host\'s old events');
        return 0;
      });
      if (deleted) logger.info({ agent, deleted, kept: maxPerHost }, 'deleted the host\'s oldest events beyond its retention');
    },
  };
}
