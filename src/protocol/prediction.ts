import { z } from 'zod/mini';

/*
 * A predictive alarm's forecast, as its alarm_fired event carries it in `details.predicted`: when
 * the least-squares line of the fire condition's predict_linear(...) crosses the threshold. The
 * agent writes it (src/agent/engine/prediction.ts); the control plane refuses an event whose
 * `predicted` is malformed rather than store a forecast nobody can read. Optional: events of
 * other alarms, and of older agents, have none.
 */

/** The largest forecast kept, in seconds (ten years): further is "never" for an operator. */
export const MAX_PREDICTED_SECONDS = 10 * 366 * 86_400;

export const AlarmPrediction = z.object({
  /** The fire comparison's threshold, in the metric's unit. */
  threshold: z.number().check(z.refine(Number.isFinite, 'expected a finite number')),
  /** Seconds from the event's time until the fitted line reaches the threshold (0: already there). */
  seconds: z.number().check(z.nonnegative(), z.maximum(MAX_PREDICTED_SECONDS)),
  /** When, in milliseconds since the Unix epoch. */
  at: z.number().check(z.refine(Number.isFinite, 'expected a finite number')),
});
export type AlarmPrediction = z.infer<typeof AlarmPrediction>;

/**
 * Why an event's `details.predicted` is unreadable, or undefined when it is absent or well formed.
 *
 * @example
 * predictionProblem({ predicted: { threshold: 100, seconds: -5, at: 0 } }) // 'details.predicted.seconds: ...'
 */
export function predictionProblem(details: Readonly<Record<string, unknown>>): string | undefined {
  if (details.predicted === undefined) return undefined;
  const parsed = AlarmPrediction.safeParse(details.predicted);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return `details.predicted${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'malformed'}`;
}

/**
 * A duration as people say it, to two units at most: `~45 s`, `~12 min`, `~3 h 40 min`, `~2 d 5 h`.
 *
 * @example
 * approximately(13_200) // '~3 h 40 min'
 */
export function approximately(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `~${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `~${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `~${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  const h = Math.round(s / 3600);
  return `~${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/**
 * The forecast in words, for the event's message: `disk_usage{mount=/data} reaches 100 in ~3 h 40 min`.
 * `threshold` is the threshold as the fire condition writes it (`100`, `2GB`).
 *
 * @example
 * describePrediction('disk_usage{mount=/data}', '100', 13_200) // 'disk_usage{mount=/data} reaches 100 in ~3 h 40 min'
 */
export function describePrediction(subject: string, threshold: string, seconds: number): string {
  return seconds === 0 ? `${subject} has reached ${threshold}` : `${subject} reaches ${threshold} in ${approximately(seconds)}`;
}
