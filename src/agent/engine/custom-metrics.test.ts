import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import type { MetricDefinition } from '../../definitions/index.js';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../exec/types.js';
import { MemoryTsdb } from '../metrics/tsdb.js';
import { CustomMetrics, parseCommandOutput, parsePrometheusText } from './custom-metrics.js';

/*
 * Custom metrics: the output parsers on their own, then CustomMetrics.tick with a fake
 * CommandRunner and the real MemoryTsdb, and a real scrape of a real HTTP server on 127.0.0.1.
 * Times come from an injected clock (the `now` tick() is given).
 */

const T0 = 1_700_000_000_000;

function metrics(yaml: string): MetricDefinition[] {
  const { definitions, diagnostics } = parseDefinitions([{ path: 'test/metrics.yaml', text: yaml }], BUILTIN_CATALOGUE);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.field}: ${d.message}`).join('; '));
  return definitions.filter((d): d is MetricDefinition => d.kind === 'metric');
}

/** A labelled metric, read every 10 s. */
const POOL_SIZE_YAML = `
kind: metric
name: pool_size
unit: count
labels: [pool]
command: app-ctl pools
interval: 10s
timeout: 5s
`;

const [POOLS] = metrics(POOL_SIZE_YAML) as [MetricDefinition];

describe('parseCommandOutput', () => {
  it('reads a single number', () => {
    expect(parseCommandOutput(POOLS, '42\n')).toEqual([{ name: 'pool_size', value: 42 }]);
    expect(parseCommandOutput(POOLS, '  3.5  ')).toEqual([{ name: 'pool_size', value: 3.5 }]);
  });

  it('reads one labelled line per series', () => {
    expect(parseCommandOutput(POOLS, 'pool=api 7\npool=batch 2\n\n')).toEqual([
      { name: 'pool_size', labels: { pool: 'api' }, value: 7 },
      { name: 'pool_size', labels: { pool: 'batch' }, value: 2 },
    ]);
  });

  it('refuses a label the metric does not declare, naming it and the declared ones', () => {
    expect(() => parseCommandOutput(POOLS, 'pool=api 7\nregion=eu 3\n')).toThrow('label region is not declared for metric pool_size (declared: pool)');
  });

  it('refuses output that is not a number, or nothing at all', () => {
    expect(() => parseCommandOutput(POOLS, 'connection refused\n')).toThrow('expected a number at the end of "connection refused"');
    expect(() => parseCommandOutput(POOLS, 'pool=api seven')).toThrow(/expected a number/);
    expect(() => parseCommandOutput(POOLS, 'api 7')).toThrow('expected label=value before the number in "api 7"');
    expect(() => parseCommandOutput(POOLS, '\n  \n')).toThrow('command printed nothing; expected a number');
  });
});

describe('parsePrometheusText', () => {
  const TEXT = [
    '# HELP app_queue_depth Jobs waiting.',
    '# TYPE app_queue_depth gauge',
    'app_queue_depth{queue="mail",instance="a:9100"} 12',
    'app_queue_depth{queue="sms"} 3 1700000000000',
    'app_queue_depth_created{queue="mail"} 1.7e9',
    'app_queue_depth{queue="overflow"} +Inf',
    'app_queue_depth{queue="broken"} NaN',
    'other_metric 99',
    '',
  ].join('\n');

  it('picks the metric\'s samples under the definition\'s name, keeping only declared labels', () => {
    expect(parsePrometheusText(TEXT, 'app_queue_depth', 'queue_depth', ['queue'])).toEqual([
      { name: 'queue_depth', labels: { queue: 'mail' }, value: 12 },
      { name: 'queue_depth', labels: { queue: 'sms' }, value: 3 },
    ]);
    expect(parsePrometheusText(TEXT, 'app_queue_depth', 'queue_depth', [])).toEqual([
      { name: 'queue_depth', labels: {}, value: 12 },
      { name: 'queue_depth', labels: {}, value: 3 },
    ]);
  });

  it('unescapes label values: \\\\, \\" and \\n', () => {
    const text = 'files_open{path="C:\\\\DIR\\\\FILE.TXT",note="a \\"quoted\\"\\nline",x="{}"} 1\n';
    expect(parsePrometheusText(text, 'files_open', 'files_open', ['path', 'note', 'x'])).toEqual([{ name: 'files_open', labels: { path: 'C:\\DIR\\FILE.TXT', note: 'a "quoted"\nline', x: '{}' }, value: 1 }]);
  });

  it('skips infinite and NaN values', () => {
    expect(() => parsePrometheusText('m +Inf\nm -Inf\nm NaN\n', 'm', 'm', [])).toThrow('no samples of m in the scraped text');
  });

  it('reports a metric the text does not have', () => {
    expect(() => parsePrometheusText(TEXT, 'app_queue_size', 'queue_depth', ['queue'])).toThrow('no samples of app_queue_size in the scraped text');
  });
});

type Reply = Partial<CommandResult> | Promise<Partial<CommandResult>>;

class FakeRunner implements CommandRunner {
  readonly specs: CommandSpec[] = [];
  readonly active = 0;
  constructor(private readonly reply: (spec: CommandSpec) => Reply) {}
  async run(spec: CommandSpec): Promise<CommandResult> {
    this.specs.push(spec);
    const r = await this.reply(spec);
    return { exitCode: 0, signal: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 1, timedOut: false, cancelled: false, ...r };
  }
}

describe('CustomMetrics.tick', () => {
  const defs = metrics(`
kind: metric
name: busy_workers
unit: count
command: cat /run/app.busy
interval: 1s
timeout: 1s
---${POOL_SIZE_YAML}`);

  function setup(reply: (spec: CommandSpec) => Reply) {
    const runner = new FakeRunner(reply);
    const clock = { now: T0 };
    const tsdb = new MemoryTsdb({ clock: () => clock.now });
    const problems: [string, string][] = [];
    const cm = new CustomMetrics(runner, tsdb, (m, msg) => problems.push([m, msg]), () => ({ BW_HOST: 'web-1' }));
    const tick = async (s: number) => {
      clock.now = T0 + s * 1000;
      await Promise.all(cm.tick(defs, clock.now));
    };
    const sampled = () => runner.specs.map((s) => s.command);
    return { runner, tsdb, problems, cm, tick, sampled, clock };
  }

  const reply = (spec: CommandSpec) => ({ stdout: spec.command.startsWith('cat') ? '4\n' : 'pool=api 7\npool=batch 2\n' });

  it('samples only the metrics that are due, each on its interval', async () => {
    const t = setup(reply);
    await t.tick(0);
    expect(t.sampled()).toEqual(['cat /run/app.busy', 'app-ctl pools']);
    await t.tick(0.5);
    expect(t.sampled()).toHaveLength(2);
    for (let s = 1; s <= 9; s++) await t.tick(s);
    expect(t.sampled().filter((c) => c === 'app-ctl pools')).toHaveLength(1);
    expect(t.sampled().filter((c) => c === 'cat /run/app.busy')).toHaveLength(10);
    await t.tick(10);
    expect(t.sampled().filter((c) => c === 'app-ctl pools')).toHaveLength(2);
  });

  it('runs the command with the host\'s environment and the metric\'s timeout', async () => {
    const t = setup(reply);
    await t.tick(0);
    expect(t.runner.specs[1]).toMatchObject({ command: 'app-ctl pools', env: { BW_HOST: 'web-1' }, timeoutMs: 5000 });
  });

  it('appends the samples to the store at the tick\'s time, where queries find them', async () => {
    const t = setup(reply);
    await t.tick(0);
    expect(t.tsdb.latest('host', 'busy_workers', [])).toEqual([{ labels: {}, value: 4 }]);
    const pools = t.tsdb.range('host', 'pool_size', [], 60, t.clock.now);
    expect(pools.map((s) => [s.labels.pool, s.points])).toEqual([
      ['api', [{ time: T0, value: 7 }]],
      ['batch', [{ time: T0, value: 2 }]],
    ]);
  });

  it('does not start a metric again while its last sample is still running', async () => {
    let finish: (r: Partial<CommandResult>) => void = () => undefined;
    const hanging = new Promise<Partial<CommandResult>>((resolve) => (finish = resolve));
    const t = setup((spec) => (spec.command.startsWith('cat') ? hanging : reply(spec)));
    const first = t.cm.tick(defs, T0);
    await Promise.resolve();
    t.cm.tick(defs, T0 + 2000);
    t.cm.tick(defs, T0 + 3000);
    expect(t.sampled().filter((c) => c === 'cat /run/app.busy')).toHaveLength(1);
    finish({ stdout: '1\n' });
    await Promise.all(first);
    await Promise.all(t.cm.tick(defs, T0 + 4000));
    expect(t.sampled().filter((c) => c === 'cat /run/app.busy')).toHaveLength(2);
  });

  it('reports a failing command as a problem of that metric, and stores nothing for it', async () => {
    const t = setup((spec) => (spec.command.startsWith('cat') ? { exitCode: 1, stderr: 'cat: /run/app.busy: No such file or directory\n' } : reply(spec)));
    await t.tick(0);
    expect(t.problems).toEqual([['busy_workers', 'command exited 1: cat: /run/app.busy: No such file or directory']]);
    expect(t.tsdb.latest('host', 'busy_workers', [])).toEqual([]);
    expect(t.tsdb.latest('host', 'pool_size', [])).toHaveLength(2);
  });

  it('reports a command that timed out, could not run, or printed garbage', async () => {
    const answers: Partial<CommandResult>[] = [{ exitCode: null, timedOut: true }, { exitCode: null, error: 'spawn /bin/sh ENOENT' }, { stdout: 'ready\n' }];
    const t = setup((spec) => (spec.command.startsWith('cat') ? (answers.shift() ?? {}) : reply(spec)));
    await t.tick(0);
    await t.tick(1);
    await t.tick(2);
    expect(t.problems.map(([m, msg]) => `${m}: ${msg}`)).toEqual([
      'busy_workers: command timed out after 1s',
      'busy_workers: command could not run: spawn /bin/sh ENOENT',
      'busy_workers: expected a number at the end of "ready"',
    ]);
  });
});

describe('CustomMetrics: scraping a Prometheus endpoint', () => {
  let server: Server | undefined;

  afterEach(async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  });

  async function serve(handler: (path: string) => { status: number; body: string }): Promise<string> {
    const s = createServer((req, res) => {
      const { status, body } = handler(req.url ?? '/');
      res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(body);
    });
    server = s;
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  }

  const scrapeDef = (base: string, path = '/metrics') =>
    metrics(`
kind: metric
name: queue_depth
unit: count
labels: [queue]
scrape:
  url: ${base}${path}
  metric: app_queue_depth
interval: 15s
timeout: 5s
`)[0] as MetricDefinition;

  function setup() {
    const runner = new FakeRunner(() => ({}));
    const tsdb = new MemoryTsdb({ clock: () => T0 });
    const problems: [string, string][] = [];
    const cm = new CustomMetrics(runner, tsdb, (m, msg) => problems.push([m, msg]));
    return { runner, tsdb, problems, cm };
  }

  it('scrapes the endpoint and stores the metric\'s series under the definition\'s name', async () => {
    const base = await serve(() => ({ status: 200, body: '# TYPE app_queue_depth gauge\napp_queue_depth{queue="mail",pod="x"} 12\napp_queue_depth{queue="sms"} 3\nprocess_cpu_seconds_total 4.2\n' }));
    const t = setup();
    await Promise.all(t.cm.tick([scrapeDef(base)], T0));
    expect(t.problems).toEqual([]);
    expect(t.runner.specs).toEqual([]);
    expect(t.tsdb.latest('host', 'queue_depth', [{ name: 'queue', op: '=', value: 'mail' }])).toEqual([{ labels: { queue: 'mail' }, value: 12 }]);
    expect(t.tsdb.latest('host', 'queue_depth', [])).toHaveLength(2);
  });

  it('reports an HTTP error status as a problem', async () => {
    const base = await serve(() => ({ status: 503, body: 'not ready' }));
    const t = setup();
    await Promise.all(t.cm.tick([scrapeDef(base)], T0));
    expect(t.problems).toEqual([['queue_depth', `scrape of ${base}/metrics answered HTTP 503`]]);
  });

  it('reports an endpoint that does not serve the metric', async () => {
    const base = await serve(() => ({ status: 200, body: 'something_else 1\n' }));
    const t = setup();
    await Promise.all(t.cm.tick([scrapeDef(base)], T0));
    expect(t.problems).toEqual([['queue_depth', 'no samples of app_queue_depth in the scraped text']]);
  });
});
