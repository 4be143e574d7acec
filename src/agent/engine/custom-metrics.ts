import type { MetricDefinition } from '../../definitions/index.js';
import type { CommandRunner } from '../exec/types.js';
import type { Sample, TimeSeriesStore } from '../metrics/types.js';
import { request } from '../http-request.js';

const MAX_OUTPUT = 256 * 1024;

/**
 * Samples a fleet's custom metrics on the host: from a command's output, or
 * scraped from a Prometheus text endpoint. Values land in the same store as
 * built-in metrics, so alarms and queries use them alike.
 */
export class CustomMetrics {
  private readonly next = new Map<string, number>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly tsdb: TimeSeriesStore,
    private readonly onProblem: (metric: string, message: string) => void,
    /** The host's command environment (BW_HOST, tags, site settings). */
    private readonly env: () => Readonly<Record<string, string>> = () => ({}),
  ) {}

  /** Samples the metrics that are due; a slow one does not block the others or itself pile up. */
  tick(defs: readonly MetricDefinition[], now: number): Promise<void>[] {
    const runs: Promise<void>[] = [];
    for (const def of defs) {
      if ((this.next.get(def.name) ?? 0) > now || this.busy.has(def.name)) continue;
      this.next.set(def.name, now + def.intervalSeconds * 1000);
      this.busy.add(def.name);
      runs.push(
        this.sample(def)
          .then((samples) => this.tsdb.append('host', now, samples))
          .catch((err: unknown) => this.onProblem(def.name, (err as Error).message))
          .finally(() => this.busy.delete(def.name)),
      );
    }
    return runs;
  }

  async sample(def: MetricDefinition): Promise<Sample[]> {
    if ('command' in def.sampler) {
      const r = await this.runner.run({ command: def.sampler.command, env: this.env(), timeoutMs: def.timeoutSeconds * 1000, maxOutputBytes: MAX_OUTPUT });
      if (r.error) throw new Error(`command could not run: ${r.error}`);
      if (r.timedOut) throw new Error(`command timed out after ${def.timeoutSeconds}s`);
      if (r.exitCode !== 0) throw new Error(`command exited ${r.exitCode}: ${r.stderr.trim().slice(0, 200)}`);
      return parseCommandOutput(def, r.stdout);
    }
    const res = await request(def.sampler.scrape, { timeoutMs: def.timeoutSeconds * 1000 });
    if (res.status < 200 || res.status > 299) throw new Error(`scrape of ${def.sampler.scrape} answered HTTP ${res.status}`);
    return parsePrometheusText(res.body, def.sampler.metric, def.name, def.labels);
  }
}

/**
 * A command prints one number, or one line per series: `label=value[,label=value] number`.
 *
 * @example
 * parseCommandOutput(def, 'pool=api 7\npool=batch 2\n')
 */
export function parseCommandOutput(def: MetricDefinition, stdout: string): Sample[] {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (!lines.length) throw new Error('command printed nothing; expected a number');
  return lines.map((line) => {
    const parts = line.split(/\s+/);
    const value = Number(parts.at(-1));
    if (!Number.isFinite(value)) throw new Error(`expected a number at the end of ${JSON.stringify(line.slice(0, 80))}`);
    if (parts.length === 1) return { name: def.name, value };
    const labels: Record<string, string> = {};
    for (const pair of parts.slice(0, -1).join(' ').split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`expected label=value before the number in ${JSON.stringify(line.slice(0, 80))}`);
      const key = pair.slice(0, eq).trim();
      if (!def.labels.includes(key)) throw new Error(`label ${key} is not declared for metric ${def.name} (declared: ${def.labels.join(', ') || 'none'})`);
      labels[key] = pair.slice(eq + 1).trim();
    }
    return { name: def.name, labels, value };
  });
}

/** Picks one metric's samples out of the Prometheus text exposition format, keeping declared labels. */
export function parsePrometheusText(text: string, metric: string, name: string, declared: readonly string[]): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      const key = pair[1] as string;
      if (declared.includes(key)) labels[key] = (pair[2] as string).replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name, labels, value });
  }
  if (!out.length) throw new Error(`no samples of ${metric} in the scraped text`);
  return out;
}
