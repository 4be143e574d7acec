import type { Argument, Expr, LabelMatcher } from './ast.js';
import { UNITS } from './units.js';
import type { ExprVisitor } from './visit.js';
import { visitExpr } from './visit.js';

const PRECEDENCE: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  '=': 4,
  '!=': 4,
  '=~': 4,
  '!~': 4,
  '>': 4,
  '>=': 4,
  '<': 4,
  '<=': 4,
  in: 4,
  'not in': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
};

const quote = (s: string) => JSON.stringify(s);
const labels = (ls: readonly LabelMatcher[]) => `{${ls.map((l) => `${l.name}${l.op}${quote(l.value)}`).join(', ')}}`;
const args = (as: readonly Argument[]) => as.map((a) => (a.name === undefined ? formatExpr(a.value) : `${a.name} = ${formatExpr(a.value)}`)).join(', ');

function numberText(value: number, unit: string | undefined): string {
  const info = unit === undefined ? undefined : UNITS[unit];
  if (!info || unit === undefined) return String(value);
  return `${+(value / info.factor).toPrecision(12)}${unit}`;
}

const printer: ExprVisitor<string> = {
  Number: (n) => numberText(n.value, n.unit),
  String: (n) => quote(n.value),
  Bool: (n) => String(n.value),
  List: (n) => `[${n.items.map(formatExpr).join(', ')}]`,
  Ident: (n) => n.name,
  Selector: (n) => `${n.name}${labels(n.labels)}`,
  Range: (n) => `${formatExpr(n.target)}[${formatSeconds(n.seconds)}]`,
  Command: (n) => `\`${n.text.replace(/`/g, '\\`')}\``,
  Call: (n) => `${n.callee}(${args(n.args)})`,
  Unary: (n) => (n.op === 'not' ? `not ${wrap(n.operand, 3)}` : `-${wrap(n.operand, 7)}`),
  Binary: (n) => {
    const p = PRECEDENCE[n.op] ?? 0;
    return `${wrap(n.left, p)} ${n.op} ${wrap(n.right, p + 1)}`;
  },
  Error: () => '<error>',
};

function wrap(e: Expr, min: number): string {
  const text = formatExpr(e);
  if (e.kind === 'Binary' && (PRECEDENCE[e.op] ?? 0) < min) return `(${text})`;
  if (e.kind === 'Unary' && e.op === 'not' && min > 3) return `(${text})`;
  return text;
}

/**
 * Canonical text of an expression: the column name people see
 * (`avg(cpu_usage[5m])`), independent of the spacing they typed.
 */
export function formatExpr(e: Expr): string {
  return visitExpr(printer, e);
}

/** `300` -> `5m`: the largest unit that divides the duration exactly. */
export function formatSeconds(seconds: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const factor = UNITS[unit]?.factor ?? 1;
    if (seconds >= factor && Number.isInteger(seconds / factor)) return `${seconds / factor}${unit}`;
  }
  return `${Math.round(seconds * 1000)}ms`;
}
