/**
 * The pipeline editor: a textarea over a highlighted copy of its text. Tokens come from src/lang's
 * lexer and diagnostics from analyze() against the fleet's catalogue, both in the browser, on
 * every keystroke; diagnostics are underlined where they point and listed below. Completion
 * (complete.ts of src/lang) offers what fits where the cursor is, from the catalogue and the fleet's tags:
 * stages after `|`, a metric's labels in `{}`, an action's parameters, a tag's values in quotes.
 * It opens as you type (Ctrl-Space opens it anywhere); Tab or Enter accepts, Esc closes; in a
 * one-line filter (`submitOnEnter`) Enter otherwise applies the filter. In a runbook's cells
 * (`params` given), `$name` is a parameter and is shown as one. With `plain` (a definition's YAML),
 * the text is not a pipeline: only the diagnostics are marked, nothing completes.
 */
import { useMemo, useRef, useState } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';
import type { ParamRef } from '../definitions/index.js';
import { paramRefs } from '../definitions/index.js';
import type { Candidate, Catalogue, Diagnostic, ResourceTypeName, Token } from '../lang/index.js';
import { DiagnosticBag, complete, knownNames, lex } from '../lang/index.js';
import { useFleetValues } from './fleet-values.js';

/** The language's diagnostics, or a page's own about the text (a runbook's unknown `$name`), with a code of its own. */
export type EditorDiagnostic = Omit<Diagnostic, 'code'> & { readonly code: string };

const TOKEN_CLASS: Partial<Record<Token['kind'], string>> = {
  ident: 'tok-ident',
  number: 'tok-number',
  string: 'tok-string',
  command: 'tok-command',
  and: 'tok-keyword',
  or: 'tok-keyword',
  not: 'tok-keyword',
  in: 'tok-keyword',
  true: 'tok-keyword',
  false: 'tok-keyword',
  '|': 'tok-pipe',
  invalid: 'tok-invalid',
};

/** The source cut at every token, parameter and diagnostic boundary, each piece with its classes. */
function highlight(source: string, tokens: readonly Token[], diagnostics: readonly EditorDiagnostic[], known: ReadonlySet<string>, params: readonly (ParamRef & { declared: boolean })[]): ReactNode[] {
  const marks = diagnostics.map((d) => ({ d, start: d.location.start, end: Math.max(d.location.end, d.location.start + 1) }));
  const bounds = new Set<number>([0, source.length]);
  for (const t of tokens) bounds.add(t.span.start).add(t.span.end);
  for (const p of params) bounds.add(p.start).add(p.end);
  for (const m of marks) bounds.add(m.start).add(Math.min(m.end, source.length + 1));
  const cuts = [...bounds].filter((b) => b <= source.length + 1).sort((a, b) => a - b);
  const out: ReactNode[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const start = cuts[i] as number;
    const end = cuts[i + 1] as number;
    const text = start >= source.length ? ' ' : source.slice(start, end);
    const tok = tokens.find((t) => t.kind !== 'eof' && t.span.start <= start && t.span.end >= end);
    let cls = tok ? (TOKEN_CLASS[tok.kind] ?? 'tok-punct') : '';
    if (tok?.kind === 'ident' && known.has(tok.text)) cls += ' tok-known';
    // The lexer reads `$host` as an invalid `$` and a name; in a runbook it is one parameter.
    const param = params.find((p) => p.start <= start && p.end >= end);
    if (param) cls = param.declared ? 'tok-param' : 'tok-param-unknown';
    const hit = marks.filter((m) => m.start <= start && m.end >= end);
    if (hit.length) {
      const worst = hit.some((m) => m.d.severity === 'error') ? 'error' : 'warning';
      cls += ` diag diag-${worst}`;
    }
    out.push(
      <span key={start} className={cls || undefined} title={hit.length ? hit.map((m) => m.d.message).join('\n') : undefined}>
        {text}
      </span>,
    );
  }
  return out;
}

/** The completion list's state; `explicit` when Ctrl-Space opened it, so it shows before anything is typed. */
const CLOSED = { open: false, index: 0, explicit: false };

export function Editor(props: {
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly onRun: () => void;
  readonly diagnostics: readonly EditorDiagnostic[];
  readonly catalogue: Catalogue | undefined;
  /** The runbook's declared parameters, when editing a runbook cell: `$name` is then a parameter. */
  readonly params?: readonly string[];
  /** The rows the text continues from when it names none (the Fleet filter is a pipeline on hosts). */
  readonly source?: ResourceTypeName;
  readonly placeholder?: string;
  readonly rows?: number;
  readonly ariaLabel?: string;
  /** Text that is not a pipeline (YAML): no pipeline highlighting or completion, diagnostics still marked. */
  readonly plain?: boolean;
  /** A one-line filter: Enter applies it (onRun) unless a completion is being chosen. */
  readonly submitOnEnter?: boolean;
  /** The page's filter, which `/` focuses (src/web/shortcuts.ts). */
  readonly pageFilter?: boolean;
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const overlay = useRef<HTMLPreElement>(null);
  const [cursor, setCursor] = useState(0);
  const [menu, setMenu] = useState(CLOSED);
  const fleet = useFleetValues(props.plain ? '' : props.value);
  const known = useMemo(() => (props.catalogue ? knownNames(props.catalogue) : new Set<string>()), [props.catalogue]);
  const tokens = useMemo(() => (props.plain ? [] : lex(props.value, new DiagnosticBag(props.value))), [props.value, props.plain]);
  const refs = useMemo(() => {
    const declared = new Set(props.params);
    return props.params ? paramRefs(props.value).map((r) => ({ ...r, declared: declared.has(r.name) })) : [];
  }, [props.value, props.params]);
  const completion = useMemo(() => (menu.open && props.catalogue && !props.plain ? complete(props.value, cursor, props.catalogue, fleet, { source: props.source }) : undefined), [menu.open, props.value, cursor, props.catalogue, fleet, props.source, props.plain]);
  const options = completion && (completion.typed || completion.eager || menu.explicit) ? completion.candidates.slice(0, 12) : [];

  const accept = (c: Candidate) => {
    if (!completion) return;
    const next = props.value.slice(0, completion.from) + c.insert + props.value.slice(completion.to);
    props.onChange(next);
    const pos = completion.from + c.insert.length;
    setMenu(CLOSED);
    requestAnimationFrame(() => {
      area.current?.setSelectionRange(pos, pos);
      setCursor(pos);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || (props.submitOnEnter && !options.length && !e.shiftKey))) {
      e.preventDefault();
      setMenu(CLOSED);
      props.onRun();
      return;
    }
    if (options.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const d = e.key === 'ArrowDown' ? 1 : -1;
        setMenu({ ...menu, index: (menu.index + d + options.length) % options.length });
        return;
      }
      if (e.key === 'Tab' || e.key === 'Enter') {
        e.preventDefault();
        const c = options[Math.min(menu.index, options.length - 1)];
        if (c) accept(c);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setMenu(CLOSED);
        return;
      }
    }
    if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      setMenu({ open: true, index: 0, explicit: true });
    }
  };

  return (
    <div className="editor">
      <div className="editor-box">
        <pre className="editor-overlay" ref={overlay} aria-hidden="true">
          {highlight(props.value, tokens, props.diagnostics, known, refs)}
          {'\n'}
        </pre>
        <textarea
          ref={area}
          className="editor-input"
          value={props.value}
          rows={props.rows ?? 3}
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          aria-label={props.ariaLabel ?? 'pipeline'}
          data-page-filter={props.pageFilter ? '' : undefined}
          placeholder={props.placeholder}
          onChange={(e) => {
            props.onChange(e.target.value);
            setCursor(e.target.selectionStart);
            setMenu({ open: true, index: 0, explicit: false });
          }}
          onSelect={(e) => setCursor(e.currentTarget.selectionStart)}
          onBlur={() => setTimeout(() => setMenu(CLOSED), 150)}
          onKeyDown={onKeyDown}
          onScroll={(e) => {
            if (overlay.current) {
              overlay.current.scrollTop = e.currentTarget.scrollTop;
              overlay.current.scrollLeft = e.currentTarget.scrollLeft;
            }
          }}
        />
        {options.length > 0 && (
          <ul className="completions" role="listbox">
            {options.map((c, i) => (
              <li
                key={c.label}
                role="option"
                aria-selected={i === menu.index}
                className={i === menu.index ? 'active' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(c);
                }}
              >
                <span className="c-name">{c.label}</span> <span className="c-kind">{c.kind}</span>
                <span className="c-detail">{c.detail}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      {props.diagnostics.length > 0 && (
        <ul className="diagnostics" data-testid="diagnostics">
          {props.diagnostics.map((d, i) => (
            <li key={i} className={`diagnostic diagnostic-${d.severity}`}>
              <span className="d-where">
                {d.location.line}:{d.location.column}
              </span>{' '}
              <span className="d-code">{d.code}</span> {d.message}
              {d.suggestion && !d.message.includes(d.suggestion) ? <span className="d-suggestion"> (did you mean `{d.suggestion}`?)</span> : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
