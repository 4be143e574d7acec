/**
 * Automation: each bot with its trigger, action, target, cooldown and circuit-breaker window (runs
 * used and left, as the breaker counts them), its last run linked to the Runs page; each schedule
 * with its timing, next and last run, and "Run now" for operators. Refreshed every few seconds.
 */
import { useCallback, useEffect, useState } from 'react';
import { seconds } from '../protocol/index.js';
import type { Whoami } from './api.js';
import type { BotState, ScheduleState } from '../protocol/index.js';
import { errorMessage } from './api.js';
import { bots as fetchBots, runSchedule, schedules as fetchSchedules } from './operate-api.js';
import { localTime } from './format.js';
import { navigateOnClick } from './navigate.js';
import { TableHead, useHeaderSort } from './TableHead.js';
import type { SortValue } from './table-sort.js';
import { sortedBy } from './table-sort.js';

const REFRESH_MS = 3000;

/** A time in ms as the clock on the wall, with how far it is from now: `14:03:22 (in 42s)`. */
function When(props: { ms: number; now: number }) {
  const delta = (props.ms - props.now) / 1000;
  const iso = new Date(props.ms).toISOString();
  return (
    <time dateTime={iso} title={iso}>
      {localTime(props.ms / 1000)} <span className="dim">({delta >= 0 ? `in ${seconds(Math.max(delta, 0))}` : `${seconds(-delta)} ago`})</span>
    </time>
  );
}

function Breaker(props: { b: BotState['breaker'] }) {
  const { used, max, left, windowSeconds, tripped } = props.b;
  return (
    <span data-testid="breaker">
      <strong>
        {used}/{max}
      </strong>{' '}
      used · <strong>{left}</strong> left <span className="dim">in {seconds(windowSeconds)}</span>
      {tripped && <span className="badge bad"> tripped</span>}
      <meter className="breaker-meter" min={0} max={max} value={used} aria-label={`${used} of ${max} runs used`} />
    </span>
  );
}

function BotRow(props: { bot: BotState; now: number }) {
  const b = props.bot;
  const args = Object.entries(b.args)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ');
  return (
    <tr data-testid="bot-row" data-name={b.name}>
      <td>
        <strong>{b.name}</strong>
        {!b.enabled && <span className="badge bad"> disabled</span>}
        {b.approval && <span className="badge neutral"> approval</span>}
        {b.description && <div className="dim small">{b.description}</div>}
      </td>
      <td>{b.triggerText}</td>
      <td>
        <code className="wrap">
          {b.action}({args})
        </code>
      </td>
      <td>{b.target ? <code className="wrap">{b.target}</code> : <span className="dim">—</span>}</td>
      <td data-testid="cooldown">
        {b.cooldownSeconds ? seconds(b.cooldownSeconds) : <span className="dim">none</span>}
        {b.cooldowns.map((c) => (
          <div key={c.resource} className="small">
            {c.resource} until <When ms={c.until} now={props.now} />
          </div>
        ))}
      </td>
      <td>
        <Breaker b={b.breaker} />
      </td>
      <td data-testid="bot-last-run">
        {b.lastRun ? (
          <>
            <When ms={b.lastRun.time} now={props.now} /> on {b.lastRun.resource ?? b.lastRun.host ?? '?'}{' '}
            <span className={b.lastRun.ok ? 'badge ok' : 'badge bad'}>{b.lastRun.ok ? 'ok' : 'failed'} · exit {String(b.lastRun.exitCode ?? '-')}</span>
          </>
        ) : (
          <span className="dim">never</span>
        )}
        <div className="small">
          <a href={`/runs?bot=${encodeURIComponent(b.name)}`} onClick={navigateOnClick} data-testid="bot-runs-link">
            Runs of {b.name}
          </a>
          {' · '}
          <a href="/operate" onClick={navigateOnClick} data-testid="bot-switch-link" title="switch the bot off or on at once (Operate)">
            Switch
          </a>
        </div>
      </td>
    </tr>
  );
}

function ScheduleRow(props: { schedule: ScheduleState; now: number; me: Whoami; onRan: () => void }) {
  const s = props.schedule;
  const [running, setRunning] = useState(false);
  const [said, setSaid] = useState<{ text: string; bad: boolean } | undefined>();
  const blocked = props.me.role === 'viewer' ? `Running a schedule needs the operator role; your token \`${props.me.name}\` has viewer.` : !s.enabled ? 'This schedule is disabled in its definition.' : undefined;
  const run = async () => {
    setRunning(true);
    setSaid(undefined);
    try {
      const r = await runSchedule(s.name);
      setSaid({ text: `Ran as run ${r.runId ?? '-'}: ${r.targets} target(s), ${r.failed} failed, ${r.durationMs} ms.`, bad: r.failed > 0 });
    } catch (err) {
      setSaid({ text: errorMessage(err), bad: true });
    } finally {
      setRunning(false);
      props.onRan();
    }
  };
  const last = s.lastRun;
  return (
    <tr data-testid="schedule-row" data-name={s.name}>
      <td>
        <strong>{s.name}</strong>
        {!s.enabled && <span className="badge bad"> disabled</span>}
        {s.description && <div className="dim small">{s.description}</div>}
        <code className="wrap small">{s.run}</code>
      </td>
      <td>{s.cron ? <code>cron {s.cron}</code> : `every ${seconds(s.everySeconds ?? 0)}`}</td>
      <td data-testid="next-run">{s.nextRun ? <When ms={s.nextRun} now={props.now} /> : <span className="dim">{s.enabled ? '—' : 'disabled'}</span>}</td>
      <td data-testid="schedule-last-run">
        {s.running && <span className="badge neutral">running </span>}
        {last ? (
          <>
            <When ms={last.time} now={props.now} />{' '}
            <span className={last.outcome === 'ok' ? 'badge ok' : 'badge bad'}>
              {last.outcome}
              {last.targets !== null ? ` · ${last.failures ?? 0}/${last.targets} failed` : ''}
            </span>
            {last.error && <div className="small bad-text">{last.error}</div>}
            {last.runId && <div className="dim small">run {last.runId}</div>}
          </>
        ) : (
          <span className="dim">never</span>
        )}
      </td>
      <td className="actions">
        <button data-testid="run-now" disabled={Boolean(blocked) || running} title={blocked ?? 'Run it once now, as its tick would'} onClick={() => void run()}>
          {running ? 'Running…' : 'Run now'}
        </button>
        {said && (
          <span className={said.bad ? 'small bad-text' : 'small'} role="status" data-testid="run-now-result">
            {said.text}
          </span>
        )}
      </td>
    </tr>
  );
}

/** Each sortable column of the bots' table and its value. */
const BOT_SORT: Readonly<Record<string, (b: BotState) => SortValue>> = {
  bot: (b) => b.name,
  trigger: (b) => b.triggerText,
  action: (b) => b.action,
  target: (b) => b.target ?? undefined,
  cooldown: (b) => b.cooldownSeconds,
  breaker: (b) => b.breaker.used,
  last: (b) => b.lastRun?.time,
};

/** Each sortable column of the schedules' table and its value. */
const SCHEDULE_SORT: Readonly<Record<string, (s: ScheduleState) => SortValue>> = {
  schedule: (s) => s.name,
  timing: (s) => s.cron ?? s.everySeconds ?? undefined,
  next: (s) => s.nextRun ?? undefined,
  last: (s) => s.lastRun?.time,
};

export function AutomationPage(props: { me: Whoami }) {
  const botSort = useHeaderSort();
  const scheduleSort = useHeaderSort();
  const [bots, setBots] = useState<BotState[] | undefined>();
  const [schedules, setSchedules] = useState<ScheduleState[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [now, setNow] = useState(Date.now());

  const load = useCallback(async () => {
    try {
      const [b, s] = await Promise.all([fetchBots(), fetchSchedules()]);
      setBots(b);
      setSchedules(s);
      setError(undefined);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setNow(Date.now());
    }
  }, []);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <div className="page automation">
      <div className="page-head">
        <h1>Automation</h1>
        <a href="/actions" onClick={navigateOnClick}>
          Run an action from a form →
        </a>
      </div>
      {error && (
        <div className="error-box" role="alert">
          {error}
        </div>
      )}
      <section className="panel">
        <h2>Bots</h2>
        {bots && bots.length === 0 && <p className="dim">No bot is defined.</p>}
        {bots && bots.length > 0 && (
          <table className="table" data-testid="bots">
            <TableHead
              columns={[{ label: 'Bot', sort: 'bot' }, { label: 'Trigger', sort: 'trigger' }, { label: 'Action', sort: 'action' }, { label: 'Target', sort: 'target' }, { label: 'Cooldown', sort: 'cooldown' }, { label: 'Circuit breaker', sort: 'breaker' }, { label: 'Last run', sort: 'last' }]}
              sorting={botSort}
            />
            <tbody>
              {sortedBy(bots, botSort.sort, BOT_SORT).map((b) => (
                <BotRow key={b.name} bot={b} now={now} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel">
        <h2>Schedules</h2>
        {schedules && schedules.length === 0 && <p className="dim">No schedule is defined.</p>}
        {schedules && schedules.length > 0 && (
          <table className="table" data-testid="schedules">
            <TableHead columns={[{ label: 'Schedule', sort: 'schedule' }, { label: 'Timing', sort: 'timing' }, { label: 'Next run', sort: 'next' }, { label: 'Last run', sort: 'last' }, '']} sorting={scheduleSort} />
            <tbody>
              {sortedBy(schedules, scheduleSort.sort, SCHEDULE_SORT).map((s) => (
                <ScheduleRow key={s.name} schedule={s} now={now} me={props.me} onRan={() => void load()} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
