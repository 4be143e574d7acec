/**
 * Alarms & events: the current state of each alarm per host (from the latest alarm_fired /
 * alarm_cleared event), the fleet's timeline filtered by type, host and alarm, and the bot runs
 * waiting for approval. Live: new events arrive over GET /api/v1/events/stream (server-sent
 * events) and update all three without a reload. An alarm whose definition has a `runbook` gets an
 * "Open runbook" link on its state rows and on its fired and escalated events.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AlarmDefinition, Definition } from '../definitions/index.js';
import type { EventType } from '../protocol/index.js';
import { eventMentions } from '../protocol/index.js';
import type { Approval, FleetEvent, Whoami } from './api.js';
import { ApiError, decideApproval, eventStream, events as fetchEvents, getJson, pendingApprovals } from './api.js';
import { BY_NAME, ago } from './format.js';
import { navigateOnClick } from './navigate.js';
import { runPath, runsPath } from './runs-url.js';
import { PAGED_SORT_NOTE, TableHead, useHeaderSort } from './TableHead.js';
import type { SortValue } from './table-sort.js';
import { sortedBy } from './table-sort.js';
import type { AlarmSite } from './runbook-link.js';
import { alarmContext, runbookTarget } from './runbook-link.js';

const TYPES: readonly EventType[] = ['alarm_fired', 'alarm_cleared', 'bot_ran', 'bot_skipped', 'escalated', 'approval_requested', 'approved', 'denied', 'agent_joined', 'agent_reconnected', 'agent_left', 'definitions_applied', 'run_started', 'run_finished', 'file_failed', 'permit_refused', 'silence_created', 'silence_ended', 'maintenance_started', 'maintenance_ended', 'bot_disabled', 'bot_enabled', 'schedule_skipped'];
const KEEP = 500;

interface Filter {
  readonly type: string;
  readonly host: string;
  readonly alarm: string;
  /** A part of the host, alarm, bot or message, any case (the API's `text`). */
  readonly text: string;
}

export interface AlarmState {
  readonly alarm: string;
  readonly host: string;
  readonly resource: string;
  readonly firing: boolean;
  readonly since: number;
  readonly severity: string | null;
  readonly value: number | null;
}

const alarmKey = (e: FleetEvent) => `${e.alarm ?? ''}\u0000${e.resource ?? e.host ?? ''}`;

/** Folds alarm events (any order) into the latest state per alarm and resource. */
export function foldAlarms(states: ReadonlyMap<string, AlarmState>, evs: readonly FleetEvent[]): Map<string, AlarmState> {
  const next = new Map(states);
  const sorted = evs.filter((e) => (e.type === 'alarm_fired' || e.type === 'alarm_cleared') && e.alarm).sort((a, b) => a.time - b.time);
  for (const e of sorted) {
    const key = alarmKey(e);
    const prev = next.get(key);
    if (prev && prev.since > e.time) continue;
    next.set(key, { alarm: e.alarm ?? '', host: e.host ?? '', resource: e.resource ?? e.host ?? '', firing: e.type === 'alarm_fired', since: e.time, severity: e.severity ?? prev?.severity ?? null, value: e.value });
  }
  return next;
}

function matches(e: FleetEvent, f: Filter): boolean {
  return (!f.type || e.type === f.type) && (!f.host || e.host === f.host) && (!f.alarm || e.alarm === f.alarm) && (!f.text || eventMentions(e, f.text));
}

/** An error as this page shows it: the API's message without its code. */
const errorText = (err: unknown) => (err instanceof ApiError ? err.message : String(err));

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour12: false });

/** The current alarm definitions that name a runbook, by alarm name. */
async function alarmsWithRunbooks(): Promise<Map<string, AlarmDefinition>> {
  const { definitions } = await getJson<{ definitions: Definition[] }>('/api/v1/definitions');
  return new Map(definitions.filter((d): d is AlarmDefinition => d.kind === 'alarm' && Boolean(d.runbook)).map((d) => [d.name, d]));
}

/** A timeline row's link to runs: a bot's run itself, or the bot runs on an alarm's host since it fired. */
function RunsLink(props: { event: FleetEvent }) {
  const e = props.event;
  if (e.runId && (e.type === 'bot_ran' || e.type === 'approved'))
    return (
      <a href={runPath(e.runId)} onClick={navigateOnClick} data-testid="event-run-link" title="what the bot ran: exit code and output">
        Open run
      </a>
    );
  if (e.type === 'alarm_fired' && e.host) return <BotRunsLink host={e.host} since={e.time} />;
  return null;
}

/** The bot runs on `host` (since `since`, when given): what the bots an alarm triggered did there. */
function BotRunsLink(props: { host: string; since?: number }) {
  return (
    <a href={runsPath({ kind: 'bot', host: props.host, since: props.since === undefined ? '' : String(props.since) })} onClick={navigateOnClick} data-testid="alarm-runs-link" title={props.since === undefined ? 'the bot runs on this host' : 'the bot runs on this host since the alarm fired'}>
      Bot runs
    </a>
  );
}

/** "Open runbook" for an alarm that has one: a URL in a new tab, a runbook of the control plane here, its parameters filled from `site`. */
function RunbookLink(props: { def: AlarmDefinition | undefined; site: AlarmSite }) {
  const { def, site } = props;
  if (!def?.runbook) return null;
  const target = runbookTarget(def.runbook, alarmContext(site, def));
  return target.external ? (
    <a href={target.href} target="_blank" rel="noopener noreferrer" data-testid="open-runbook" title={def.runbook}>
      Open runbook ↗
    </a>
  ) : (
    <a href={target.href} onClick={navigateOnClick} data-testid="open-runbook" title={`the runbook ${def.runbook}`}>
      Open runbook
    </a>
  );
}

export function EventsPage(props: { me: Whoami }) {
  const timelineSort = useHeaderSort();
  const [filter, setFilter] = useState<Filter>({ type: '', host: '', alarm: '', text: '' });
  const [applied, setApplied] = useState<Filter>(filter);
  const [timeline, setTimeline] = useState<FleetEvent[]>([]);
  const [alarms, setAlarms] = useState<Map<string, AlarmState>>(new Map());
  const [approvals, setApprovals] = useState<Approval[]>([]);
  const [runbooks, setRunbooks] = useState<Map<string, AlarmDefinition>>(new Map());
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const appliedRef = useRef(applied);
  appliedRef.current = applied;
  const canDecide = props.me.role !== 'viewer';

  const loadApprovals = useCallback(async () => {
    try {
      setApprovals(await pendingApprovals());
    } catch (err) {
      setError(errorText(err));
    }
  }, []);

  const loadRunbooks = useCallback(async () => {
    try {
      setRunbooks(await alarmsWithRunbooks());
    } catch (err) {
      setError(errorText(err));
    }
  }, []);

  const loadAlarms = useCallback(async () => {
    try {
      const [fired, cleared] = await Promise.all([fetchEvents({ type: 'alarm_fired', limit: 1000 }), fetchEvents({ type: 'alarm_cleared', limit: 1000 })]);
      setAlarms((s) => foldAlarms(s, [...fired, ...cleared]));
    } catch (err) {
      setError(errorText(err));
    }
  }, []);

  // The timeline for the applied filter (filtered by the API), then kept live.
  useEffect(() => {
    let stopped = false;
    fetchEvents({ ...applied, limit: KEEP })
      .then((list) => {
        if (stopped) return;
        // Keep live events that arrived while this was loading.
        setTimeline((current) => merge(list, current.filter((e) => matches(e, applied))));
        setError(undefined);
      })
      .catch((err: unknown) => !stopped && setError(errorText(err)));
    return () => {
      stopped = true;
    };
  }, [applied]);

  useEffect(() => {
    let opened = false;
    const stop = eventStream(
      (e) => {
        if (matches(e, appliedRef.current)) setTimeline((t) => merge([e], t));
        if (e.type === 'alarm_fired' || e.type === 'alarm_cleared') setAlarms((s) => foldAlarms(s, [e]));
        if (e.type === 'approval_requested' || e.type === 'approved' || e.type === 'denied') void loadApprovals();
        if (e.type === 'definitions_applied') void loadRunbooks();
      },
      (up) => {
        setLive(up);
        // After a reconnect, catch up on what the gap may have missed.
        if (up && opened) {
          void loadAlarms();
          void loadApprovals();
          void loadRunbooks();
          fetchEvents({ ...appliedRef.current, limit: KEEP })
            .then((list) => setTimeline((t) => merge(list, t)))
            .catch(() => undefined);
        }
        if (up) opened = true;
      },
    );
    void loadAlarms();
    void loadApprovals();
    void loadRunbooks();
    return stop;
  }, [loadAlarms, loadApprovals, loadRunbooks]);

  // Text filters apply after a short pause in typing; the type at once.
  useEffect(() => {
    const t = setTimeout(() => setApplied(filter), filter.type !== applied.type ? 0 : 300);
    return () => clearTimeout(t);
  }, [filter, applied.type]);

  const decide = async (a: Approval, approve: boolean) => {
    setBusy(a.id);
    try {
      await decideApproval(a.id, approve);
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(undefined);
      void loadApprovals();
    }
  };

  const states = [...alarms.values()].sort((a, b) => Number(b.firing) - Number(a.firing) || BY_NAME.compare(a.host, b.host) || a.alarm.localeCompare(b.alarm));
  const firing = states.filter((s) => s.firing).length;

  return (
    <div className="events-page">
      <header className="page-head">
        <h1>Alarms &amp; events</h1>
        <span className={live ? 'status-connected' : 'status-disconnected'} data-testid="live" data-live={live ? 'yes' : 'no'}>
          {live ? '● live' : '○ reconnecting…'}
        </span>
      </header>
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}

      <section className="panel">
        <h2>
          Alarm state <span className="dim small">{firing} firing · {states.length - firing} ok</span>
        </h2>
        {states.length === 0 ? (
          <p className="dim">No alarm has fired yet.</p>
        ) : (
          <table className="table" data-testid="alarm-state">
            <TableHead columns={['Host', 'Alarm', 'Resource', 'State', 'Severity', { label: 'Value', num: true }, 'Since', '']} />
            <tbody>
              {states.map((s) => (
                <tr key={`${s.alarm}/${s.resource}`} data-testid="alarm-row" data-alarm={s.alarm} data-host={s.host} data-state={s.firing ? 'firing' : 'ok'}>
                  <td>{s.host}</td>
                  <td>
                    <code>{s.alarm}</code>
                  </td>
                  <td className="dim">{s.resource}</td>
                  <td>{s.firing ? <span className="badge bad">firing</span> : <span className="badge ok">ok</span>}</td>
                  <td>{s.severity ?? ''}</td>
                  <td className="num">{s.value === null ? '' : Math.round(s.value * 10) / 10}</td>
                  <td title={new Date(s.since).toISOString()}>{ago(s.since)}</td>
                  <td className="actions">
                    <RunbookLink def={runbooks.get(s.alarm)} site={s} />
                    <BotRunsLink host={s.host} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="panel">
        <h2>
          Pending approvals <span className="dim small">{approvals.length}</span>
        </h2>
        {approvals.length === 0 ? (
          <p className="dim">Nothing waits for approval.</p>
        ) : (
          <table className="table" data-testid="approvals">
            <TableHead columns={['Bot', 'Action', 'Host', 'Statement', 'Expires', ...(canDecide ? [''] : [])]} />
            <tbody>
              {approvals.map((a) => (
                <tr key={a.id} data-testid="approval" data-id={a.id} data-bot={a.bot}>
                  <td>{a.bot}</td>
                  <td>
                    <code>{a.action}</code>
                  </td>
                  <td>{a.host}</td>
                  <td>
                    <code className="wrap">{a.statement}</code>
                  </td>
                  <td title={new Date(a.expiresAt).toISOString()}>{time(a.expiresAt)}</td>
                  {canDecide && (
                    <td className="actions">
                      <button className="primary" disabled={busy === a.id} onClick={() => void decide(a, true)} data-testid="approve">
                        Approve
                      </button>
                      <button className="danger" disabled={busy === a.id} onClick={() => void decide(a, false)} data-testid="deny">
                        Deny
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {!canDecide && approvals.length > 0 && <p className="hint">Approving or denying needs the operator role.</p>}
      </section>

      <section className="panel">
        <h2>Timeline</h2>
        <div className="toolbar">
          <select aria-label="event type" value={filter.type} onChange={(e) => setFilter({ ...filter, type: e.target.value })} data-testid="filter-type">
            <option value="">all types</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          <input aria-label="host" placeholder="host" value={filter.host} onChange={(e) => setFilter({ ...filter, host: e.target.value.trim() })} data-testid="filter-host" />
          <input aria-label="alarm" placeholder="alarm" value={filter.alarm} onChange={(e) => setFilter({ ...filter, alarm: e.target.value.trim() })} data-testid="filter-alarm" />
          <input type="search" aria-label="text" placeholder="contains… (host, alarm, bot, message)" maxLength={200} value={filter.text} onChange={(e) => setFilter({ ...filter, text: e.target.value })} data-testid="filter-text" />
          <span className="hint">{timeline.length} events, newest first</span>
        </div>
        <table className="table" data-testid="timeline">
          <TableHead
            columns={[{ label: 'Time', sort: 'time' }, { label: 'Type', sort: 'type' }, { label: 'Host', sort: 'host' }, { label: 'Alarm / bot', sort: 'subject' }, { label: 'Message', sort: 'message' }]}
            sorting={timelineSort}
            note={PAGED_SORT_NOTE}
          />
          <tbody>
            {sortedBy(timeline, timelineSort.sort, TIMELINE_SORT).map((e) => (
              <tr key={e.id} data-testid="event" data-type={e.type} data-host={e.host ?? ''} data-alarm={e.alarm ?? ''} data-bot={e.bot ?? ''}>
                <td title={new Date(e.time).toISOString()}>{time(e.time)}</td>
                <td>
                  <span className={`badge ${badgeOf(e.type)}`}>{e.type}</span>
                </td>
                <td>{e.host ?? ''}</td>
                <td>
                  <code>{e.alarm ?? e.bot ?? ''}</code>
                </td>
                <td className="message">
                  {e.message} {e.alarm && (e.type === 'alarm_fired' || e.type === 'escalated') && <RunbookLink def={runbooks.get(e.alarm)} site={{ ...e, alarm: e.alarm }} />} <RunsLink event={e} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function badgeOf(type: string): string {
  if (type === 'alarm_fired' || type === 'escalated' || type === 'denied' || type === 'agent_left') return 'bad';
  if (type === 'alarm_cleared' || type === 'approved' || type === 'bot_ran' || type === 'agent_joined' || type === 'agent_reconnected') return 'ok';
  return 'neutral';
}

/** Each sortable column of the timeline and its value. */
const TIMELINE_SORT: Readonly<Record<string, (e: FleetEvent) => SortValue>> = {
  time: (e) => e.time,
  type: (e) => e.type,
  host: (e) => e.host ?? undefined,
  subject: (e) => e.alarm ?? e.bot ?? undefined,
  message: (e) => e.message,
};

/** Newest first, each event once, at most KEEP. */
function merge(a: readonly FleetEvent[], b: readonly FleetEvent[]): FleetEvent[] {
  const seen = new Set<string>();
  const out: FleetEvent[] = [];
  for (const e of [...a, ...b].sort((x, y) => y.time - x.time)) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(e);
    if (out.length >= KEEP) break;
  }
  return out;
}
