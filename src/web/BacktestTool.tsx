/**
 * Back-test (operator): replay an alarm over the last hours of every connected agent's stored
 * metrics (POST /api/v1/backtest), either a defined alarm as it stands or an expression written
 * here, and show when and where it would have fired.
 */
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import type { AlarmDefinition, Definition } from '../definitions/index.js';
import { toYaml } from '../definitions/index.js';
import type { BacktestAnswer } from './operate-api.js';
import { errorMessage, getJson } from './api.js';
import { backtest } from './operate-api.js';
import { BACKTEST_HOURS, backtestProblems, expressionAlarm } from './admin-model.js';
import { BacktestResult } from './BacktestResult.js';

/** The definition file of the alarm named `name`, as `breakwater export` writes it. */
function alarmFile(all: readonly Definition[], name: string): { path: string; text: string } | undefined {
  return toYaml(all).find((f) => f.path === `alarms/${name}.yaml`);
}

export function BacktestTool() {
  const [all, setAll] = useState<Definition[]>([]);
  const [source, setSource] = useState('');
  const [query, setQuery] = useState('host');
  const [fire, setFire] = useState('');
  const [hours, setHours] = useState(1);
  const [answer, setAnswer] = useState<BacktestAnswer | undefined>();
  const [error, setError] = useState<string[] | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    getJson<{ definitions: Definition[] }>('/api/v1/definitions')
      .then((d) => setAll(d.definitions))
      .catch((err: unknown) => setError([errorMessage(err)]));
  }, []);

  const alarms = all.filter((d): d is AlarmDefinition => d.kind === 'alarm');
  const file = source ? alarmFile(all, source) : { path: 'backtest.yaml', text: expressionAlarm(query.trim(), fire.trim()) };

  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setAnswer(undefined);
    try {
      setAnswer(await backtest([file], hours * 3600));
      setError(undefined);
    } catch (err) {
      setError(backtestProblems(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" data-testid="admin-backtest">
      <h2>Back-test an alarm</h2>
      <p className="dim">Each connected agent replays the alarm over its stored metrics; nothing fires, runs or notifies.</p>
      <form className="backtest-form" onSubmit={(e) => void run(e)}>
        <div className="toolbar">
          <select aria-label="alarm" value={source} onChange={(e) => setSource(e.target.value)} data-testid="backtest-source">
            <option value="">an expression…</option>
            {alarms.map((a) => (
              <option key={a.name} value={a.name}>
                alarm {a.name}
              </option>
            ))}
          </select>
          <label className="inline">
            over the last{' '}
            <select aria-label="hours" value={hours} onChange={(e) => setHours(Number(e.target.value))} data-testid="backtest-hours">
              {BACKTEST_HOURS.map((h) => (
                <option key={h} value={h}>
                  {h} h
                </option>
              ))}
            </select>
          </label>
          <button className="primary" type="submit" disabled={busy || !file || (!source && !fire.trim())} data-testid="backtest-run">
            {busy ? 'Replaying…' : 'Back-test'}
          </button>
        </div>
        {source ? (
          <pre className="output" data-testid="backtest-yaml">
            {file?.text ?? ''}
          </pre>
        ) : (
          <div className="toolbar">
            <input aria-label="hosts" className="code" placeholder="hosts: host | role = &quot;web&quot;" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="backtest-query" />
            <input aria-label="fires when" className="code grow" placeholder='fires when: disk_usage{mount="/data"} > 90' value={fire} onChange={(e) => setFire(e.target.value)} data-testid="backtest-fire" />
          </div>
        )}
      </form>
      {error && (
        <div className="error-box" role="alert" data-testid="backtest-error">
          {error.map((line, i) => (
            <p key={i}>{line}</p>
          ))}
        </div>
      )}
      {answer && <BacktestResult answer={answer} />}
    </section>
  );
}
