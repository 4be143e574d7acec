import type { ProgressLine, ResultRow, RolloutOutcome } from '../protocol/index.js';
import { label, rowFailed } from '../protocol/index.js';
import type { Io } from './io.js';
import type { Style } from './style.js';

type Stream = Io['stderr'] & { columns?: number };

/** How often the status line's elapsed time moves on. */
const REDRAW_MS = 200;
/** Erases the terminal's current line and returns to its start. */
const ERASE_LINE = '\r\u001b[2K';

/**
 * What `breakwater run` says while it runs: per host done, ok, failed and pending (once the
 * control plane said how many hosts it asked), the elapsed time, and a rollout's batch. On a
 * terminal (`status` given) it is one line at the bottom, redrawn in place and erased at the end;
 * lines printed meanwhile go above it. Without a terminal nothing is drawn (no escape codes in pipes).
 *
 * @example
 * const progress = new RunProgress(io.stderr.isTTY ? io.stderr : undefined, style);
 * progress.targets(50);
 * progress.row(row);
 * progress.print(io.stdout, `${hostLine(row, style)}\n`);
 * progress.end();
 */
export class RunProgress {
  readonly #hosts = new Map<string, boolean>();
  #total: number | undefined;
  #batch: { readonly batch: number; readonly batches: number; readonly errors?: number | undefined; readonly maxErrors?: number | undefined } | undefined;
  #drawn = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #started: number;

  constructor(
    private readonly status: Stream | undefined,
    private readonly style: Style,
    private readonly now: () => number = Date.now,
  ) {
    this.#started = now();
    if (status) {
      this.#timer = setInterval(() => this.#draw(), REDRAW_MS);
      this.#timer.unref();
    }
  }

  /** How many hosts the rows come from (the answer's `targets` line). */
  targets(hosts: number): void {
    this.#total = hosts;
    this.#draw();
  }

  /** A row arrived: its host is done, failed if any of its rows failed. */
  row(row: ResultRow): void {
    const host = row.resource?.host ?? label(row);
    this.#hosts.set(host, this.#hosts.get(host) !== false && !rowFailed(row));
    this.#draw();
  }

  /** A rollout's step: the status line shows its batch. */
  batch(progress: ProgressLine): void {
    this.#batch = { batch: progress.batch, batches: progress.batches, errors: progress.errors, maxErrors: progress.maxErrors };
    this.#draw();
  }

  /** Writes text (whole lines) above the status line. */
  print(stream: Io['stdout'], text: string): void {
    this.#erase();
    stream.write(text);
    this.#draw();
  }

  /** `12/50 done · 11 ok · 1 failed · 38 pending · 4.2 s`, with `batch 2/5 · ` first in a rollout (and `errors 1/2 · ` with an error budget). */
  line(): string {
    const done = this.#hosts.size;
    const failed = [...this.#hosts.values()].filter((ok) => !ok).length;
    const parts = [
      ...(this.#batch ? [`batch ${this.#batch.batch}/${this.#batch.batches}`] : []),
      ...(this.#batch?.maxErrors ? [`errors ${this.#batch.errors ?? 0}/${this.#batch.maxErrors}`] : []),
      this.#total === undefined ? `${done} done` : `${done}/${this.#total} done`,
      this.style.green(`${done - failed} ok`),
      failed ? this.style.red(`${failed} failed`) : `${failed} failed`,
      ...(this.#total === undefined ? [] : [`${Math.max(0, this.#total - done)} pending`]),
      `${((this.now() - this.#started) / 1000).toFixed(1)} s`,
    ];
    return parts.join(' · ');
  }

  /** Erases the status line for good. */
  end(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#erase();
  }

  #draw(): void {
    // No timer: no terminal, or the run ended.
    if (!this.status || !this.#timer) return;
    // Never wider than the terminal: a wrapped line could not be erased in place.
    const width = this.status.columns || 80;
    const text = this.line();
    this.status.write(`${ERASE_LINE}${visibleLength(text) < width ? text : text.replace(/\u001b\[[0-9;]*m/g, '').slice(0, width - 1)}`);
    this.#drawn = true;
  }

  #erase(): void {
    if (!this.status || !this.#drawn) return;
    this.status.write(ERASE_LINE);
    this.#drawn = false;
  }
}

const visibleLength = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;

/**
 * One host's result the moment it arrives: `✓ web-1  exit 0  <first line of output>`, or
 * `✗ db-9  timeout  <why>`; cut to `width` on a terminal. The full outputs, grouped, come at the end.
 *
 * @example
 * hostLine({ resource, status: 'ok', values: { exit_code: 0, stdout: ' 10:01 up 3 days\n' } }, style); // "✓ web-1  exit 0  10:01 up 3 days"
 */
export function hostLine(row: ResultRow, style: Style, width?: number): string {
  const failed = rowFailed(row);
  const mark = failed ? style.red('✗') : style.green('✓');
  const outcome = row.status !== 'ok' ? style.red(row.status) : typeof row.values.exit_code === 'number' ? (failed ? style.red(`exit ${row.values.exit_code}`) : `exit ${row.values.exit_code}`) : 'ok';
  const detail = row.status !== 'ok' ? (row.error ?? '') : firstLine(String(row.values.stdout ?? '')) || firstLine(String(row.values.stderr ?? ''));
  const text = `${mark} ${label(row).padEnd(12)}  ${outcome}${detail ? `  ${style.dim(detail)}` : ''}`;
  return width !== undefined && visibleLength(text) > width ? `${text.replace(/\u001b\[[0-9;]*m/g, '').slice(0, Math.max(0, width - 1))}…` : text;
}

const firstLine = (text: string) => text.trim().split('\n')[0]?.trim() ?? '';

/**
 * How a rollout ended, for people: its batches and error budget, why it aborted, and what ran,
 * failed and never started, aligned.
 *
 * @example
 * rolloutSummary({ batches: 3, started: 2, maxErrors: 2, ok: ['h1'], failed: ['h2', 'h3', 'h4'], notStarted: ['h5'], aborted: '3 failures > max_errors 2: …' }, style);
 * // rollout aborted after batch 2/3: 3 failures > max_errors 2: …
 * //   ok           1  h1
 * //   failed       3  h2, h3, h4
 * //   not started  1  h5
 */
export function rolloutSummary(o: RolloutOutcome, style: Style): string {
  const budget = o.maxErrors ? `, errors ${o.failed.length}/${o.maxErrors}` : '';
  // Over the budget in the last batch: nothing was left to stop, but the rollout did not stay within it.
  const over = !o.aborted && o.failed.length > o.maxErrors ? style.red(`rollout ${o.maxErrors ? 'over its error budget' : 'failed'}: ${o.started}/${o.batches} batches${budget}`) : undefined;
  const head = o.aborted ? style.red(`rollout aborted after batch ${o.started}/${o.batches}${budget}: ${o.aborted}`) : (over ?? `rollout: ${o.started}/${o.batches} batches${budget}`);
  const groups: [string, readonly string[], (s: string) => string][] = [
    ['ok', o.ok, style.green],
    ['failed', o.failed, style.red],
    ['not started', o.notStarted, style.dim],
  ];
  const count = Math.max(...groups.map(([, names]) => String(names.length).length));
  const lines = groups.filter(([, names]) => names.length).map(([label, names, tone]) => `  ${tone(label.padEnd(11))}  ${String(names.length).padStart(count)}  ${names.join(', ')}`);
  return `${[head, ...lines].join('\n')}\n`;
}
