/**
 * A dry run's explanation (the summary line's `explanation`): the batches a rollout would run in
 * order, the breakers of the bots that run the same actions, the approval, and the blast-radius
 * verdict. Shown by the Console and by a runbook's pipeline cell after a dry run; nothing has run.
 */
import type { RunExplanation } from '../protocol/index.js';

const windowText = (s: number) => (s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

export function DryRunExplanation(props: { explanation: RunExplanation }) {
  const { targets, rollout, breakers, approval, blastRadius } = props.explanation;
  const more = rollout ? rollout.batchCount - rollout.batches.length : 0;
  return (
    <dl className="dry-run-explanation" data-testid="dry-run-explanation">
      <dt>Targets</dt>
      <dd data-testid="dry-run-targets">
        {targets.count} (nothing was run){targets.unreachable ? ` · ${targets.unreachable} not answering` : ''}
      </dd>
      <dt>Batches</dt>
      <dd data-testid="dry-run-batches">
        {rollout ? (
          <>
            {rollout.batchCount}, up to {rollout.size} each{rollout.ramp === 'exponential' ? ' (ramp exponential: 1, 2, 4, …)' : ''} · max_errors {rollout.maxErrors}
            <ol>
              {rollout.batches.map((b, i) => (
                <li key={i}>
                  {b.names.join(', ')}
                  {b.count > b.names.length ? `, +${b.count - b.names.length} more` : ''}
                </li>
              ))}
            </ol>
            {more > 0 && <span className="dim">… {more} more batches</span>}
          </>
        ) : (
          'none: every target at once'
        )}
      </dd>
      <dt>Breakers</dt>
      <dd data-testid="dry-run-breakers">
        {breakers.length === 0
          ? 'none: no bot runs these actions'
          : breakers.map((b) => (
              <div key={b.bot}>
                bot {b.bot} ({b.action}): {b.used}/{b.max} used in {windowText(b.windowSeconds)}, {b.left} left{b.tripped ? ' (tripped)' : ''}; this run takes {b.consumes}
              </div>
            ))}
      </dd>
      <dt>Approval</dt>
      <dd data-testid="dry-run-approval">
        {approval.required ? 'required' : 'not required'}: {approval.reason}
        {approval.bots.map((b) => (
          <div key={b.bot} className="dim">
            bot {b.bot}&apos;s runs of {b.action} wait for approval by {[...b.roles.map((r) => `the ${r} role or above`), ...b.principals].join(', ')}
          </div>
        ))}
      </dd>
      <dt>Blast radius</dt>
      <dd data-testid="dry-run-blast-radius" className={blastRadius.verdict === 'over' ? 'bad-text' : undefined}>
        {blastRadius.verdict === 'reads only'
          ? 'reads only: no limit applies'
          : blastRadius.verdict === 'over'
            ? `over the limit: ${blastRadius.targets} targets > ${blastRadius.limit}; runs only once confirmed`
            : `within the limit: ${blastRadius.targets} targets ≤ ${blastRadius.limit}`}
      </dd>
    </dl>
  );
}
