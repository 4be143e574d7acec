/**
 * Operate: what an operator switches during an incident. The maintenance switch (fleet-wide: new
 * automated runs refused), silences of an alarm on a host selection for a while (listed active and
 * recently ended or expired, each ended early with one click), and each bot's kill switch. Changing
 * needs the operator role; a viewer sees the same state, without the buttons.
 */
import { useCallback, useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import type { Whoami } from './api.js';
import type { Silence, Switches } from '../protocol/index.js';
import { errorMessage, getJson } from './api.js';
import { createSilence, endSilence, setMaintenance, silences as fetchSilences, switches as fetchSwitches, switchBot } from './operate-api.js';
import { announceMaintenance } from './MaintenanceBadge.js';
import { navigateOnClick } from './navigate.js';
import { TableHead } from './TableHead.js';

/** The durations offered for a silence, as the API counts them (seconds). */
export const DURATIONS: readonly (readonly [string, number])[] = [
  ['15 minutes', 900],
  ['1 hour', 3600],
  ['4 hours', 4 * 3600],
  ['1 day', 86_400],
  ['1 week', 7 * 86_400],
];

const at = (ms: number) => new Date(ms).toLocaleString([], { hour12: false });

export function OperatePage(props: { me: Whoami }) {
  const canChange = props.me.role !== 'viewer';
  const [state, setState] = useState<Switches | undefined>();
  const [list, setList] = useState<Silence[]>([]);
  const [alarms, setAlarms] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>();

  const load = useCallback(async () => {
    try {
      const [s, l, defs] = await Promise.all([fetchSwitches(), fetchSilences(), getJson<{ definitions: { kind: string; name: string }[] }>('/api/v1/definitions')]);
      setState(s);
      setList(l);
      setAlarms(defs.definitions.filter((d) => d.kind === 'alarm').map((d) => d.name));
      announceMaintenance(s.maintenance);
      setError(undefined);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  /** Runs a change, then shows the state after it (or the API's refusal). */
  const change = async (what: () => Promise<unknown>) => {
    try {
      await what();
      await load();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <div className="page operate" data-testid="operate">
      <h1>Operate</h1>
      {error && (
        <p className="error-box" role="alert" data-testid="operate-error">
          {error}
        </p>
      )}
      {state && <MaintenanceSection state={state} canChange={canChange} change={change} />}
      <SilencesSection list={list} alarms={alarms} canChange={canChange} change={change} />
      {state && <BotsSection state={state} canChange={canChange} change={change} />}
    </div>
  );
}

type Change = (what: () => Promise<unknown>) => Promise<void>;

function MaintenanceSection(props: { state: Switches; canChange: boolean; change: Change }) {
  const m = props.state.maintenance;
  const [reason, setReason] = useState('');
  return (
    <section className="operate-section" data-testid="maintenance">
      <h2>Maintenance mode</h2>
      {m.on ? (
        <p className="maintenance-on" data-testid="maintenance-state">
          On since {at(m.setAt ?? 0)}, set by {m.setBy}: {m.reason}. Running work finishes; bots and schedules start no new run. Ad-hoc commands still run.
        </p>
      ) : (
        <p className="dim" data-testid="maintenance-state">
          Off: bots and schedules run as defined.
        </p>
      )}
      {props.canChange && (
        <form
          className="operate-form"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            void props.change(() => setMaintenance(!m.on, reason.trim())).then(() => setReason(''));
          }}
        >
          <input aria-label="Reason" placeholder={m.on ? 'why it ends (optional)' : 'why (required)'} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="maintenance-reason" />
          <button type="submit" className={m.on ? 'primary' : 'danger'} disabled={!m.on && !reason.trim()} data-testid="maintenance-toggle">
            {m.on ? 'Turn maintenance off' : 'Turn maintenance on'}
          </button>
        </form>
      )}
    </section>
  );
}

function SilencesSection(props: { list: readonly Silence[]; alarms: readonly string[]; canChange: boolean; change: Change }) {
  const [alarm, setAlarm] = useState('');
  const [hosts, setHosts] = useState('host');
  const [duration, setDuration] = useState(3600);
  const [reason, setReason] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void props.change(() => createSilence({ alarm: alarm || null, hosts: hosts.trim(), durationSeconds: duration, reason: reason.trim() })).then(() => setReason(''));
  };
  return (
    <section className="operate-section" data-testid="silences">
      <h2>Silences</h2>
      <p className="dim">A silenced alarm still evaluates and is recorded (marked silenced), but its bots do not run and nothing notifies. A silence ends on its own.</p>
      {props.canChange && (
        <form className="operate-form" onSubmit={submit} data-testid="silence-form">
          <label>
            Alarm
            <select value={alarm} onChange={(e) => setAlarm(e.target.value)} data-testid="silence-alarm">
              <option value="">every alarm</option>
              {props.alarms.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <label>
            Hosts
            <input className="mono" value={hosts} onChange={(e) => setHosts(e.target.value)} placeholder='host | role = "web"' data-testid="silence-hosts" />
          </label>
          <label>
            For
            <select value={duration} onChange={(e) => setDuration(Number(e.target.value))} data-testid="silence-duration">
              {DURATIONS.map(([label, seconds]) => (
                <option key={seconds} value={seconds}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Reason
            <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="why (required)" data-testid="silence-reason" />
          </label>
          <button type="submit" className="primary" disabled={!reason.trim() || !hosts.trim()} data-testid="silence-create">
            Silence
          </button>
        </form>
      )}
      <table className="table" data-testid="silence-table">
        <TableHead columns={['State', 'Alarm', 'Hosts', 'Ends', 'By', 'Reason', '']} />
        <tbody>
          {props.list.map((s) => (
            <tr key={s.id} data-testid="silence-row" data-state={s.state}>
              <td>
                <span className={`badge ${s.state === 'active' ? 'warn' : 'dim'}`}>{s.state}</span>
              </td>
              <td>{s.alarm ?? <em>every alarm</em>}</td>
              <td className="mono">{s.hosts}</td>
              <td>{s.endedAt !== null ? `ended ${at(s.endedAt)} by ${s.endedBy ?? '?'}` : at(s.endsAt)}</td>
              <td>{s.createdBy}</td>
              <td>{s.reason}</td>
              <td>
                {props.canChange && s.state === 'active' && (
                  <button className="link" onClick={() => void props.change(() => endSilence(s.id))} data-testid="silence-end">
                    End now
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!props.list.length && <p className="dim">No silence in force or ended in the last day.</p>}
    </section>
  );
}

function BotsSection(props: { state: Switches; canChange: boolean; change: Change }) {
  const [reason, setReason] = useState('');
  return (
    <section className="operate-section" data-testid="bots">
      <h2>Bot switches</h2>
      <p className="dim">
        Switch a bot off at once, without editing the definitions. It shows as drift until switched on again, or until an apply changes its definition. Each bot's cooldown and circuit breaker are on{' '}
        <a href="/automation" onClick={navigateOnClick}>
          Automation
        </a>
        .
      </p>
      {props.canChange && <input aria-label="Reason for a switch" placeholder="why (for the audit and the event)" value={reason} onChange={(e) => setReason(e.target.value)} data-testid="bot-reason" />}
      <table className="table" data-testid="bot-table">
        <TableHead columns={['Bot', 'Action', 'State', '']} />
        <tbody>
          {props.state.bots.map((b) => (
            <tr key={b.name} data-testid="bot-row" data-bot={b.name} data-state={b.off ? 'off' : 'on'}>
              <td className="mono">
                <a href={`/runs?bot=${encodeURIComponent(b.name)}`} onClick={navigateOnClick} title="what this bot ran (Runs)">
                  {b.name}
                </a>
              </td>
              <td className="mono">{b.action || '-'}</td>
              <td>
                {b.off ? (
                  <span className="badge bad">
                    switched off by {b.off.by} at {at(b.off.at)}
                    {b.off.reason ? `: ${b.off.reason}` : ''}
                  </span>
                ) : b.enabledInDefinitions ? (
                  <span className="badge ok">on</span>
                ) : (
                  <span className="badge dim">disabled in the definitions</span>
                )}
              </td>
              <td>
                {props.canChange && (
                  <button className={b.off ? 'primary' : 'danger'} onClick={() => void props.change(() => switchBot(b.name, Boolean(b.off), reason.trim()))} data-testid="bot-toggle">
                    {b.off ? 'Switch on' : 'Switch off'}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!props.state.bots.length && <p className="dim">No bot is defined.</p>}
    </section>
  );
}
