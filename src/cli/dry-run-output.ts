import type { RunExplanation } from '../protocol/index.js';
import type { Style } from './style.js';

/** The width of a section's label, so that every section's text starts in one column. */
const LABEL = 14;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const window = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600}h` : seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`);

/**
 * A dry run's explanation for people, after its list of targets: the batches in order, the
 * breakers, the approval and the blast-radius verdict, each a section with its label in one column.
 *
 * @example
 * io.stdout.write(explanationText(summary.explanation, style));
 * // batches       3, up to 2 each (ramp exponential), max_errors 1
 * //                 1  1  web-1
 * //                 2  2  web-2, web-3
 * // …
 * // blast radius  over the limit: 5 targets > 3; runs only with --yes
 */
export function explanationText(e: RunExplanation, style: Style): string {
  const out: string[] = [];
  const section = (label: string, first: string, more: readonly string[] = []) => {
    out.push(`${style.bold(label.padEnd(LABEL))}${first}`);
    for (const line of more) out.push(`${' '.repeat(LABEL)}${line}`);
  };
  if (e.rollout) {
    const r = e.rollout;
    const width = String(r.batchCount).length;
    const lines = r.batches.map((b, i) => `${String(i + 1).padStart(width)}  ${String(b.count).padStart(String(r.size).length)}  ${b.names.join(', ')}${b.count > b.names.length ? ', …' : ''}`);
    const more = r.batchCount - r.batches.length;
    if (more > 0) lines.push(style.dim(`… ${more} more batch${more === 1 ? '' : 'es'}`));
    section('batches', `${r.batchCount}, up to ${r.size} each${r.ramp === 'exponential' ? ' (ramp exponential: 1, 2, 4, …)' : ''}, max_errors ${r.maxErrors}: one more failure aborts the rollout`, lines);
  } else section('batches', 'none: every target at once');
  if (e.breakers.length) {
    const [first, ...rest] = e.breakers.map(
      (b) => `bot ${b.bot} (${b.action}): ${b.used}/${b.max} used in ${window(b.windowSeconds)}, ${b.left} left${b.tripped ? style.red(' (tripped)') : ''}; this run takes ${b.consumes}`,
    );
    section('breakers', first ?? '', [...rest, style.dim('a breaker counts its bot\'s runs: a person\'s run takes none of its budget')]);
  } else section('breakers', 'none: no bot runs these actions');
  const approvers = e.approval.bots.map((b) => `bot ${b.bot}'s runs of ${b.action} wait for approval by ${[...b.roles.map((r) => `the ${r} role or above`), ...b.principals].join(', ')}`);
  section('approval', `${e.approval.required ? style.red('required') : 'not required'}: ${e.approval.reason}`, approvers);
  const b = e.blastRadius;
  const verdict =
    b.verdict === 'reads only'
      ? 'reads only: no limit applies'
      : b.verdict === 'over'
        ? style.red(`over the limit: ${plural(b.targets, 'target')} > ${b.limit}; runs only with --yes`)
        : style.green(`within the limit: ${plural(b.targets, 'target')} ≤ ${b.limit}`);
  section('blast radius', verdict);
  return `${out.join('\n')}\n`;
}
