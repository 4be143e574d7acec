import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlarmDefinition } from '../../definitions/index.js';
import type { BacktestResultMessage } from '../../protocol/index.js';
import type { InventoryHost } from '../fleet/index.js';
import { BACKTEST_TIMEOUT_MS, BacktestReplies, Backtests } from './backtests.js';
import { inventoryHost } from '../../../test/remediation-fakes.js';

const ALARM = { kind: 'alarm', name: 'disk_full' } as AlarmDefinition;


/** A fleet whose agents answer a back-test at once, if `answers` has one for them. */
function fleet(hosts: readonly InventoryHost[], replies: BacktestReplies, answers: Record<string, Omit<BacktestResultMessage, 'type' | 'id'>>) {
  const asked: { host: string; message: Record<string, unknown> }[] = [];
  return {
    asked,
    inventory: () => hosts,
    sendTo: (name: string, message: Record<string, unknown>) => {
      asked.push({ host: name, message });
      const answer = answers[name];
      if (answer) queueMicrotask(() => replies.hear(name, { type: 'backtest_result', id: message.id as string, ...answer }));
      return true;
    },
  };
}

const fired = { transitions: [{ time: 1_700_000_000_000, resource: 'web-1', state: 'fired' as const, value: 97 }] };

describe('Backtests', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks every connected agent and gathers their answers, without waiting once all answered', async () => {
    const replies = new BacktestReplies();
    const agents = fleet([inventoryHost('web-1', true), inventoryHost('web-2', true), inventoryHost('db-1', false)], replies, { 'web-1': fired, 'web-2': { error: 'no stored metrics', transitions: [] } });

    const result = await new Backtests(agents, replies).run(ALARM, 3600);

    expect(agents.asked.map((a) => a.host)).toEqual(['web-1', 'web-2']);
    expect(agents.asked[0]?.message).toMatchObject({ type: 'backtest', alarm: ALARM, seconds: 3600 });
    expect(result).toEqual([
      { host: 'web-1', answered: true, error: null, transitions: fired.transitions },
      { host: 'web-2', answered: true, error: 'no stored metrics', transitions: [] },
    ]);
  });

  it('reports an agent that does not answer in time as "no answer in time"', async () => {
    const replies = new BacktestReplies();
    const agents = fleet([inventoryHost('web-1', true), inventoryHost('web-2', true)], replies, { 'web-1': fired });

    const running = new Backtests(agents, replies).run(ALARM, 3600);
    await vi.advanceTimersByTimeAsync(BACKTEST_TIMEOUT_MS);

    expect(await running).toEqual([
      { host: 'web-1', answered: true, error: null, transitions: fired.transitions },
      { host: 'web-2', answered: false, error: 'no answer in time', transitions: [] },
    ]);
  });

  it('drops an answer that comes after the back-test ended', async () => {
    const replies = new BacktestReplies();
    const agents = fleet([inventoryHost('web-1', true)], replies, {});
    const running = new Backtests(agents, replies).run(ALARM, 60, 1000);
    await vi.advanceTimersByTimeAsync(1000);
    const id = agents.asked[0]?.message.id as string;

    replies.hear('web-1', { type: 'backtest_result', id, ...fired });

    expect((await running)[0]).toMatchObject({ answered: false, error: 'no answer in time' });
  });

  it('with no agent connected, answers at once with no hosts', async () => {
    const replies = new BacktestReplies();
    expect(await new Backtests(fleet([inventoryHost('web-1', false)], replies, {}), replies).run(ALARM, 60)).toEqual([]);
  });
});
