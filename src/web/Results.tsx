/** A query's answer: command outputs grouped like the CLI, other rows as a table with summaries, failures grouped. */
import { useState } from 'react';
import type { PlanColumn } from '../lang/index.js';
import type { ResultRow } from '../protocol/index.js';
import type { FailureGroup, OutputGroup } from './format.js';
import { BY_NAME, cell, groupFailures, groupOutputs, isMeasure, isoTime, label, localTime, noun } from './format.js';
import { Sparkline } from './Sparkline.js';
import type { Column } from './VirtualTable.js';
import { VirtualTable } from './VirtualTable.js';

const MAX_NAMES = 8;

function names(rows: readonly ResultRow[]): string {
  const all = rows.map(label);
  return all.length > MAX_NAMES ? `${all.slice(0, MAX_NAMES).join(', ')}, +${all.length - MAX_NAMES} more` : all.join(', ');
}

function HostList(props: { rows: readonly ResultRow[] }) {
  return (
    <ul className="host-list" data-testid="group-hosts">
      {props.rows.map((r) => (
        <li key={r.resource?.id ?? label(r)}>{label(r)}</li>
      ))}
    </ul>
  );
}

function OutputGroupView(props: { group: OutputGroup }) {
  const [open, setOpen] = useState(false);
  const g = props.group;
  const type = g.rows[0]?.resource?.type;
  return (
    <section className="group" data-testid="output-group">
      <button className="group-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="caret">{open ? '▾' : '▸'}</span>
        <strong className="group-count">
          {g.rows.length} {noun(type, g.rows.length)}
        </strong>
        <span className="dim">({names(g.rows)})</span>
        <span className={g.exitCode === 0 ? 'badge ok' : 'badge bad'}>exit {String(g.exitCode)}</span>
      </button>
      {open && <HostList rows={g.rows} />}
      {g.stdout && <pre className="output">{g.stdout.replace(/\n$/, '')}</pre>}
      {g.stderr && <pre className="output stderr">{g.stderr.replace(/\n$/, '')}</pre>}
      {!g.stdout && !g.stderr && <pre className="output dim">(no output)</pre>}
    </section>
  );
}

function FailureGroupView(props: { group: FailureGroup }) {
  const [open, setOpen] = useState(false);
  const g = props.group;
  return (
    <section className="group failure" data-testid="failure-group">
      <button className="group-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="caret">{open ? '▾' : '▸'}</span>
        <strong className="bad-text">
          ✗ {g.rows.length} {noun(g.rows[0]?.resource?.type, g.rows.length)} {g.status}
        </strong>
        <span className="dim">({names(g.rows)})</span>
        <span>{g.error}</span>
      </button>
      {open && <HostList rows={g.rows} />}
    </section>
  );
}

/** A point in time in the browser's zone; hovering shows it in UTC, as the CLI prints it. */
function TimeCell(props: { epochSeconds: number }) {
  const iso = isoTime(props.epochSeconds);
  return (
    <time dateTime={iso} title={iso}>
      {localTime(props.epochSeconds)}
    </time>
  );
}

function Summaries(props: { rows: readonly ResultRow[]; columns: readonly PlanColumn[] }) {
  if (props.rows.length < 2) return null;
  const items = props.columns
    .filter(isMeasure)
    .map((c) => {
      const xs = props.rows.map((r) => r.values[c.name]).filter((v): v is number => typeof v === 'number');
      if (!xs.length) return null;
      const avg = xs.reduce((a, b) => a + b, 0) / xs.length;
      return (
        <span key={c.name} className="summary-item">
          <strong>{c.name}</strong> min {cell(Math.min(...xs), c)} · avg {cell(avg, c)} · max {cell(Math.max(...xs), c)}
        </span>
      );
    })
    .filter(Boolean);
  return items.length ? <div className="summaries" data-testid="summaries">{items}</div> : null;
}

function RowTable(props: { rows: readonly ResultRow[]; columns: readonly PlanColumn[] }) {
  const withResource = props.rows.some((r) => r.resource);
  const cols: PlanColumn[] = props.columns.length ? [...props.columns] : [...new Set(props.rows.flatMap((r) => Object.keys(r.values)))].map((name) => ({ name, type: 'any' as const }));
  const columns: Column<ResultRow>[] = [
    ...(withResource ? [{ key: '__resource', header: props.rows[0]?.resource?.type ?? 'resource', width: 'minmax(10rem, 1.5fr)', render: (r: ResultRow) => label(r) }] : []),
    ...cols.map((c) => ({
      key: c.name,
      header: c.name,
      width: c.type === 'series' ? 'minmax(8rem, 1fr)' : 'minmax(6rem, 1fr)',
      numeric: c.type === 'number',
      render: (r: ResultRow) => {
        const v = r.values[c.name];
        if (c.type === 'series') return <Sparkline values={v} />;
        return c.unit === 'timestamp' && typeof v === 'number' ? <TimeCell epochSeconds={v} /> : cell(v, c);
      },
    })),
  ];
  return <VirtualTable rows={props.rows} columns={columns} rowKey={(r) => r.resource?.id ?? JSON.stringify(r.values)} testId="result-table" maxVisible={20} />;
}

export function Results(props: { rows: readonly ResultRow[]; columns: readonly PlanColumn[]; ordered: boolean }) {
  const ok = props.rows.filter((r) => r.status === 'ok');
  if (!props.ordered) ok.sort((a, b) => BY_NAME.compare(label(a), label(b)));
  const failed = props.rows.filter((r) => r.status !== 'ok');
  const commands = ok.some((r) => 'stdout' in r.values);
  return (
    <div className="results" data-testid="results">
      {commands && groupOutputs(ok).map((g) => <OutputGroupView key={g.key} group={g} />)}
      {!commands && ok.length > 0 && (
        <>
          <RowTable rows={ok} columns={props.columns} />
          <Summaries rows={ok} columns={props.columns} />
        </>
      )}
      {failed.length > 0 && groupFailures(failed).map((g) => <FailureGroupView key={g.key} group={g} />)}
      {ok.length === 0 && failed.length === 0 && <p className="dim">No rows.</p>}
    </div>
  );
}
