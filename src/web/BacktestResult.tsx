/**
 * A back-test's answer (POST /api/v1/backtest): when and where the alarm would have fired over the
 * window, per host and as a timeline. Shared by the Admin page's back-test tool and the
 * definitions editor's back-test button.
 */
import { approximately, round } from '../protocol/index.js';
import type { BacktestAnswer } from './operate-api.js';
import { summarizeBacktest } from './admin-model.js';
import { localTime, noun } from './format.js';
import { TableHead } from './TableHead.js';

/** How many transitions are listed; the per-host counts above cover all of them. */
const SHOWN = 200;

export function BacktestResult(props: { readonly answer: BacktestAnswer }) {
  const { answer } = props;
  const s = summarizeBacktest(answer);
  const hours = Math.round((answer.seconds / 3600) * 10) / 10;
  const hosts = `${s.hosts.length} ${noun('host', s.hosts.length)}`;
  return (
    <section className="backtest-result" data-testid="backtest-result" data-firings={s.firings}>
      <p className={s.firings ? 'warn-box' : 'dim'} data-testid="backtest-summary">
        Over the last {hours} h, <code>{answer.alarm}</code>{' '}
        {s.firings ? `would have fired ${s.firings} ${s.firings === 1 ? 'time' : 'times'} on ${s.hostsFired} of ${hosts}.` : `would not have fired on any of ${hosts}.`}
      </p>
      {s.hosts.length === 0 && <p className="dim">No agent is connected, so nothing was replayed.</p>}
      {s.hosts.length > 0 && (
        <table className="table" data-testid="backtest-hosts">
          <TableHead columns={['Host', { label: 'Fired', num: true }, { label: 'Firing at the end', num: true }, 'Problem']} />
          <tbody>
            {s.hosts.map((h) => (
              <tr key={h.host} data-testid="backtest-host" data-host={h.host} data-firings={h.firings}>
                <td>{h.host}</td>
                <td className="num">{h.firings}</td>
                <td className="num">{h.firingAtEnd}</td>
                <td className={h.error ? 'bad-text' : 'dim'}>{h.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {s.transitions.length > 0 && (
        <>
          <h3>Timeline, newest first</h3>
          <table className="table" data-testid="backtest-transitions">
            <TableHead columns={['Time', 'Host', 'Resource', 'State', { label: 'Value', num: true }]} />
            <tbody>
              {s.transitions.slice(0, SHOWN).map((t) => (
                <tr key={`${t.host}\u0000${t.resource}\u0000${t.time}\u0000${t.state}`} data-testid="backtest-transition" data-state={t.state}>
                  <td title={new Date(t.time).toISOString()}>{localTime(t.time / 1000)}</td>
                  <td>{t.host}</td>
                  <td className="dim">{t.resource}</td>
                  <td>{t.state === 'fired' ? <span className="badge bad">fired</span> : <span className="badge ok">cleared</span>}</td>
                  <td className="num">
                    {t.value === null ? '' : Math.round(t.value * 10) / 10}
                    {t.predicted && <span className="dim" data-testid="backtest-forecast">{` reaches ${round(t.predicted.threshold)} in ${approximately(t.predicted.seconds)}`}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {s.transitions.length > SHOWN && <p className="hint">and {s.transitions.length - SHOWN} earlier transitions (counted above)</p>}
        </>
      )}
    </section>
  );
}
