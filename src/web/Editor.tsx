/**
 * The pipeline editor: a textarea over a highlighted copy of its text. Tokens come from src/lang's
 * lexer and diagnostics from analyze() against the fleet's catalogue, both in the browser, on
 * every keystroke; diagnostics are underlined where they point and listed below. Completion offers
 * the catalogue's names for the word at the cursor (Tab or Enter accepts, Esc closes). In a
 * runbook's cells (`params` given), `$name` is a parameter and is shown as one.
 */
import { useMemo, useRef, useState } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';
import type { ParamRef } from '../definitions/index.js';
import { paramRefs } from '../definitions/index.js';
import type { Catalogue, Diagnostic, Token } from '../lang/index.js';
import { DiagnosticBag, lex } from '../lang/index.js';

/** The language's diagnostics, or a page's own about the text (a runbook's unknown `$name`), with a code of its own. */
export type EditorDiagnostic = Omit<Diagnostic, 'code'> & { readonly code: string };

export interface Completion {
  readonly name: string;
  readonly kind: string;
  readonly detail: string;
}

/** Every name the catalogue knows, once each, with what it is. */
export function completions(cat: Catalogue): Completion[] {
  const out = new Map<string, Completion>();
  const add = (name: string, kind: string, detail: string) => {
    if (!out.has(name)) out.set(name, { name, kind, detail });
  };
  for (const r of Object.values(cat.resources)) add(r.name, 'resource', r.description);
  for (const r of Object.values(cat.resources)) {
    for (const m of r.metrics) add(m.name, 'metric', `${r.name}: ${m.description}`);
    for (const a of r.attributes) add(a.name, 'attribute', `${r.name}: ${a.description}`);
  }
  for (const f of Object.values(cat.functions)) add(f.name, 'function', f.description);
  for (const f of Object.values(cat.reductions)) add(f.name, 'reduction', f.description);
  for (const a of Object.values(cat.actions)) add(a.name, 'action', a.description);
  for (const f of cat.eventFields) add(f.name, 'event field', f.description);
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

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

/** The identifier being typed at `pos`: its start and text. */
function wordAt(source: string, pos: number): { start: number; word: string } {
  let start = pos;
  while (start > 0 && /[A-Za-z0-9_]/.test(source[start - 1] ?? '')) start--;
  return { start, word: source.slice(start, pos) };
}

export function Editor(props: {
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly onRun: () => void;
  readonly diagnostics: readonly EditorDiagnostic[];
  readonly catalogue: Catalogue | undefined;
  /** The runbook's declared parameters, when editing a runbook cell: `$name` is then a parameter. */
  readonly params?: readonly string[];
  readonly placeholder?: string;
  readonly rows?: number;
  readonly ariaLabel?: string;
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const overlay = useRef<HTMLPreElement>(null);
  const [cursor, setCursor] = useState(0);
  const [menu, setMenu] = useState<{ open: boolean; index: number }>({ open: false, index: 0 });
  const names = useMemo(() => (props.catalogue ? completions(props.catalogue) : []), [props.catalogue]);
  const known = useMemo(() => new Set(names.map((n) => n.name)), [names]);
  const tokens = useMemo(() => lex(props.value, new DiagnosticBag(props.value)), [props.value]);
  const refs = useMemo(() => {
    const declared = new Set(props.params);
    return props.params ? paramRefs(props.value).map((r) => ({ ...r, declared: declared.has(r.name) })) : [];
  }, [props.value, props.params]);
  const { start, word } = wordAt(props.value, cursor);
  const inString = tokens.some((t) => (t.kind === 'string' || t.kind === 'command') && t.span.start < cursor && t.span.end > cursor);
  const options = menu.open && word.length > 0 && !inString ? names.filter((n) => n.name.startsWith(word) && n.name !== word).slice(0, 12) : [];

  const accept = (c: Completion) => {
    const next = props.value.slice(0, start) + c.name + props.value.slice(cursor);
    props.onChange(next);
    const pos = start + c.name.length;
    setMenu({ open: false, index: 0 });
    requestAnimationFrame(() => {
      area.current?.setSelectionRange(pos, pos);
      setCursor(pos);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      setMenu({ open: false, index: 0 });
      props.onRun();
      return;
    }
    if (options.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const d = e.key === 'ArrowDown' ? 1 : -1;
        setMenu({ open: true, index: (menu.index + d + options.length) % options.length });
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
        setMenu({ open: false, index: 0 });
        return;
      }
    }
    if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      setMenu({ open: true, index: 0 });
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
          placeholder={props.placeholder}
          onChange={(e) => {
            props.onChange(e.target.value);
            setCursor(e.target.selectionStart);
            setMenu({ open: true, index: 0 });
          }}
          onSelect={(e) => setCursor(e.currentTarget.selectionStart)}
          onBlur={() => setTimeout(() => setMenu({ open: false, index: 0 }), 150)}
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
                key={c.name}
                role="option"
                aria-selected={i === menu.index}
                className={i === menu.index ? 'active' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(c);
                }}
              >
                <span className="c-name">{c.name}</span> <span className="c-kind">{c.kind}</span>
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
