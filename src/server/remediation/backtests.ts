import { randomUUID } from 'node:crypto';
import type { AlarmDefinition } from '../../definitions/index.js';
import type { BacktestResultMessage } from '../../protocol/index.js';
import type { Fleet } from '../fleet/index.js';

/** How long a back-test waits for the agents' answers by default. */
export const BACKTEST_TIMEOUT_MS = 60_000;

/**
 * The agents' answers to back-tests, handed to the back-test that asked (by its id). The gateway's
 * hook feeds it before any back-test can be asked, so it needs nothing of the fleet.
 *
 * @example
 * const replies = new BacktestReplies();
 * const gathered = replies.gather(id, 2, 60_000); // then ask two agents
 * replies.hear('web-1', answer);
 */
export class BacktestReplies {
  private readonly waiting = new Map<string, (agent: string, msg: BacktestResultMessage) => void>();

  /** An agent's answer; one nobody waits for (late, or unknown id) is dropped. */
  hear(agent: string, msg: BacktestResultMessage): void {
    this.waiting.get(msg.id)?.(agent, msg);
  }

  /** Collects the answers to back-test `id` until `expected` agents answered or `timeoutMs` passed. */
  async gather(id: string, expected: number, timeoutMs: number): Promise<ReadonlyMap<string, BacktestResultMessage>> {
    const results = new Map<string, BacktestResultMessage>();
    if (!expected) return results;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiting.set(id, (agent, msg) => {
        results.set(agent, msg);
        if (results.size === expected) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    this.waiting.delete(id);
    return results;
  }
}

/**
 * Back-tests: every connected agent replays an alarm over its stored metrics and says when it would
 * have fired and cleared; an agent that does not answer in time is reported as such.
 *
 * @example
 * const hosts = await backtests.run(alarm, 3600);
 * // [{ host: 'web-1', answered: true, error: null, transitions: [...] }]
 */
export class Backtests {
  constructor(
    private readonly fleet: Pick<Fleet, 'inventory' | 'sendTo'>,
    private readonly replies: BacktestReplies,
  ) {}

  /** Asks every connected agent to replay the alarm over the last `seconds` of its metrics. */
  async run(alarm: AlarmDefinition, seconds: number, timeoutMs = BACKTEST_TIMEOUT_MS) {
    const id = randomUUID();
    const hosts = this.fleet.inventory().filter((h) => h.connected).map((h) => h.name);
    const gathered = this.replies.gather(id, hosts.length, timeoutMs);
    for (const h of hosts) this.fleet.sendTo(h, { type: 'backtest', id, alarm, seconds });
    const results = await gathered;
    return hosts.map((h) => {
      const r = results.get(h);
      return { host: h, answered: Boolean(r), error: r?.error ?? (r ? null : 'no answer in time'), transitions: r?.transitions ?? [] };
    });
  }
}
