import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE, analyze } from '../lang/index.js';
import type { DefinitionDiagnostic } from './index.js';
import { DEFINITION_DIAGNOSTIC_CODES, formatDefinitionDiagnostic, parseDefinitions, sha256Hex } from './index.js';

/** A YAML text from an indented template literal: the common indentation and the first newline are removed. */
function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '').replace(/^\n/, '');
  const lines = text.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => (/^ */.exec(l)?.[0].length ?? 0)));
  return lines.map((l) => l.slice(indent)).join('\n').replace(/[ ]+$/, '');
}

/** A valid set the mistakes below are added to, so that references resolve. */
const BASE = yaml`
  kind: action
  name: clean_logs
  command: find "$dir" -name '*.log' -mmin +"$minutes" -delete
  params:
    dir: string
    minutes: { type: number, default: 60 }
    window: { type: duration, default: 5m }
  ---
  kind: action
  name: restart_service
  command: systemctl restart "$name"
  params:
    name: string
  resources: [host, process]
  ---
  kind: alarm
  name: disk_full
  query: host | role = "web"
  fire: disk_usage{mount="/data"} > 90
  ---
  kind: alarm
  name: api_cpu
  query: process | name = "api"
  fire: cpu_usage > 90
`;

const parse = (...files: [string, string][]) => parseDefinitions(files.map(([path, text]) => ({ path, text })), BUILTIN_CATALOGUE);

interface Expected {
  readonly line: number;
  readonly column?: number;
  readonly field: string;
  readonly code: keyof typeof DEFINITION_DIAGNOSTIC_CODES;
  /** The whole message, or a matcher such as expect.stringContaining(...). */
  readonly message: unknown;
  readonly suggestion?: string;
}

/** Parses BASE plus `bad.yaml`: there must be exactly one diagnostic, an error in bad.yaml, as expected; and no definitions. */
function expectOne(text: string, expected: Expected): void {
  const r = parse(['base.yaml', BASE], ['bad.yaml', text]);
  expect(r.diagnostics.map(formatDefinitionDiagnostic)).toHaveLength(1);
  expect(r.diagnostics[0]).toMatchObject({ file: 'bad.yaml', severity: 'error', ...expected });
  expect(r.definitions).toEqual([]);
}

describe('parseDefinitions: valid definitions of every kind', () => {
  it('parses the base set with no diagnostics', () => {
    const r = parse(['base.yaml', BASE]);
    expect(r.diagnostics).toEqual([]);
    expect(r.definitions.map((d) => `${d.kind}/${d.name}@${d.origin?.line}`)).toEqual(['action/clean_logs@1', 'action/restart_service@9', 'alarm/disk_full@16', 'alarm/api_cpu@21']);
  });

  it('reads an action with every field, normalised', () => {
    const r = parse([
      'a.yaml',
      yaml`
        kind: action
        name: clean_logs
        description: Delete old logs.
        command: |
          find "$dir" -name '*.log' -mmin +"$minutes" -delete
        params:
          dir:
            type: string
            description: Where the logs are.
          minutes: { type: number, default: 60 }
          pause: { type: duration, default: 1m }
          dry_run: { type: bool, default: false }
          note: { type: string, required: false }
        timeout: 30s
        user: root
        output_limit: 512KB
        resources: [host, container]
        allowed: host | env = "prod"
      `,
    ]);
    expect(r.diagnostics).toEqual([]);
    expect(r.definitions[0]).toEqual({
      kind: 'action',
      name: 'clean_logs',
      description: 'Delete old logs.',
      origin: { file: 'a.yaml', line: 1 },
      command: `find "$dir" -name '*.log' -mmin +"$minutes" -delete\n`,
      params: [
        { name: 'dir', type: 'string', required: true, description: 'Where the logs are.' },
        { name: 'minutes', type: 'number', required: false, default: 60 },
        { name: 'pause', type: 'duration', required: false, default: 60 },
        { name: 'dry_run', type: 'bool', required: false, default: false },
        { name: 'note', type: 'string', required: false },
      ],
      timeoutSeconds: 30,
      user: 'root',
      outputLimitBytes: 512_000,
      resources: ['host', 'container'],
      allowed: 'host | env = "prod"',
    });
    expect(r.catalogue.actions.clean_logs?.params.map((p) => p.name)).toEqual(['dir', 'minutes', 'pause', 'dry_run', 'note']);
  });

  it('fills in defaults', () => {
    const r = parse([
      'd.yaml',
      yaml`
        kind: action
        name: hello
        command: echo hello
        ---
        kind: metric
        name: open_conns
        command: ss -tn state established | wc -l
        ---
        kind: alarm
        name: many-conns
        query: host
        fire: open_conns > 1000
        ---
        kind: bot
        name: say-hello
        trigger: { alarm: many-conns }
        action: hello
        ---
        kind: schedule
        name: hourly
        every: 1h
        run: host | hello()
        ---
        kind: file
        name: motd
        path: /etc/motd
        content: hello
        query: host
      `,
    ]);
    expect(r.diagnostics).toEqual([]);
    const [action, metric, alarm, bot, schedule, file] = r.definitions;
    expect(action).toMatchObject({ description: '', params: [], timeoutSeconds: 60, outputLimitBytes: 1048576, resources: ['host'] });
    expect(action).not.toHaveProperty('user');
    expect(metric).toMatchObject({ resource: 'host', unit: 'none', labels: [], sampler: { command: 'ss -tn state established | wc -l' }, intervalSeconds: 10, timeoutSeconds: 5 });
    expect(alarm).toMatchObject({ fireForSeconds: 0, clearForSeconds: 0, severity: 'warning', intervalSeconds: 1 });
    expect(alarm).not.toHaveProperty('clear');
    expect(bot).toMatchObject({ trigger: { alarm: 'many-conns', on: 'fired' }, args: {}, cooldownSeconds: 300, circuitBreaker: { max: 10, windowSeconds: 3600 }, offline: 'run', enabled: true });
    expect(bot).not.toHaveProperty('verify');
    expect(schedule).toMatchObject({ cron: null, everySeconds: 3600, run: 'host | hello()', enabled: true });
    expect(file).toMatchObject({ mode: 0o644, content: 'hello', sha256: sha256Hex('hello') });
  });

  it('reads a scraped metric with labels, and uses it in an alarm', () => {
    const r = parse([
      'm.yaml',
      yaml`
        kind: metric
        name: queue_depth
        unit: count
        labels: [queue]
        scrape:
          url: http://localhost:9100/metrics
          metric: app_queue_depth
        interval: 15s
        timeout: 3s
        ---
        kind: alarm
        name: queue-backlog
        query: host | role = "worker"
        fire: avg(queue_depth{queue="mail"}[5m]) > 1000
        fire_for: 1m
        clear: queue_depth{queue="mail"} < 100
        clear_for: 5m
        severity: info
        interval: 5s
        runbook: queue-backlog
      `,
    ]);
    expect(r.diagnostics).toEqual([]);
    expect(r.definitions[0]).toMatchObject({ kind: 'metric', unit: 'count', labels: ['queue'], sampler: { scrape: 'http://localhost:9100/metrics', metric: 'app_queue_depth' }, intervalSeconds: 15, timeoutSeconds: 3 });
    expect(r.definitions[1]).toMatchObject({ kind: 'alarm', fireForSeconds: 60, clear: 'queue_depth{queue="mail"} < 100', clearForSeconds: 300, severity: 'info', intervalSeconds: 5, runbook: 'queue-backlog' });
    expect(r.catalogue.resources.host.metrics.find((m) => m.name === 'queue_depth')).toMatchObject({ dim: 'count', labels: ['queue'], custom: true });
  });

  it('reads bots with every trigger, templates, approval and verify', () => {
    const r = parse(
      ['base.yaml', BASE],
      [
        'bots.yaml',
        yaml`
          kind: bot
          name: clean-on-disk-full
          trigger: { alarm: disk_full, on: fired }
          action: clean_logs
          args:
            dir: /data/\${host}/logs
            minutes: 10
            window: 2m
          cooldown: 1m
          circuit_breaker: { max: 5, window: 10m }
          offline: skip
          approval: { expires: 30m }
          verify: { within: 2m }
          enabled: false
          ---
          kind: bot
          name: restart-api
          trigger: { event: process_restarted, process: api }
          action: restart_service
          args: { name: "api-\${process.pid}" }
          ---
          kind: bot
          name: on-join
          trigger: { event: host_joined }
          action: clean_logs
          args: { dir: "$\${HOME}/logs and \${event.host}" }
          ---
          kind: bot
          name: from-alertmanager
          trigger: { external: DiskFull }
          action: clean_logs
          args: { dir: /data/logs, minutes: "\${event.value}" }
          ---
          kind: bot
          name: restart-on-cleared
          trigger: { alarm: api_cpu, on: cleared }
          action: restart_service
          args: { name: "\${process.name} \${alarm.name} \${alarm.value} \${alarm.severity} \${resource}" }
        `,
      ],
    );
    expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
    const bots = r.definitions.filter((d) => d.kind === 'bot');
    expect(bots[0]).toMatchObject({
      trigger: { alarm: 'disk_full', on: 'fired' },
      args: { dir: '/data/${host}/logs', minutes: 10, window: 120 },
      cooldownSeconds: 60,
      circuitBreaker: { max: 5, windowSeconds: 600 },
      offline: 'skip',
      approval: { expiresSeconds: 1800 },
      verify: { withinSeconds: 120 },
      enabled: false,
    });
    expect(bots.map((b) => b.kind === 'bot' && b.trigger)).toEqual([
      { alarm: 'disk_full', on: 'fired' },
      { event: 'process_restarted', process: 'api' },
      { event: 'host_joined' },
      { external: 'DiskFull' },
      { alarm: 'api_cpu', on: 'cleared' },
    ]);
  });

  it('reads container triggers: restarted or OOM-killed, of any container or of one name; the action must run on containers; they give ${container.*} and ${pod.*}', () => {
    const action = yaml`
      kind: action
      name: dump
      command: echo "$BW_CONTAINER_NAME $who"
      resources: [container]
      params:
        who: { type: string, default: "" }
    `;
    const bot = (name: string, trigger: string) => `---\nkind: bot\nname: ${name}\ntrigger: ${trigger}\naction: dump\n`;
    const r = parse(['c.yaml', action + bot('any', '{ event: container_restarted }') + bot('web-oom', '{ event: container_oom_killed, container: web }')]);
    expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
    expect(r.definitions.flatMap((d) => (d.kind === 'bot' ? [d.trigger] : []))).toEqual([{ event: 'container_restarted' }, { event: 'container_oom_killed', container: 'web' }]);
    const wrong = parse(['c.yaml', action + bot('x', '{ event: process_restarted, process: api, container: web }') + bot('y', '{ event: container_restarted, container: "" }')]);
    // The process trigger gives a process, which the container action does not run on.
    expect(wrong.diagnostics.map((d) => d.code)).toEqual(['BWD_CONFLICT', 'BWD_ACTION_RESOURCE', 'BWD_BAD_VALUE']);
    const onHost = parse(['base.yaml', BASE], ['c.yaml', `kind: bot\nname: z\ntrigger: { event: container_oom_killed }\naction: clean_logs\nargs: { dir: /d }\n`]);
    expect(onHost.diagnostics.map((d) => d.code)).toEqual(['BWD_ACTION_RESOURCE']);
    const all = '${container.id} ${container.name} ${container.image} ${pod.name} ${pod.namespace} ${host} ${resource}';
    const templated = parse(['c.yaml', action + bot('t', `{ event: container_restarted }\nargs: { who: "${all}" }`)]);
    expect(templated.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
    expect(templated.definitions.find((d) => d.kind === 'bot')).toMatchObject({ args: { who: all } });
  });

  it('reads schedules and files, with unquoted and quoted modes', () => {
    const r = parse(
      ['base.yaml', BASE],
      [
        's.yaml',
        yaml`
          kind: schedule
          name: nightly
          cron: "0 3 * * 1-5"
          run: |
            host | role = "api"
            | rolling(batch = 25%, pause = 30s, until = http_ok("http://localhost:8080/health"))
            | restart_service(name = "api")
          enabled: false
          ---
          kind: file
          name: app-conf
          description: App settings.
          path: /etc/app/app.conf
          mode: 0640
          content: |
            key = value
          query: host | role = "api"
          ---
          kind: file
          name: setuid-tool
          path: /usr/local/bin/tool
          mode: "4755"
          content: "#!/bin/sh\\necho hi\\n"
          query: host
        `,
      ],
    );
    expect(r.diagnostics).toEqual([]);
    const [schedule, conf, tool] = r.definitions.slice(4);
    expect(schedule).toMatchObject({ kind: 'schedule', cron: '0 3 * * 1-5', everySeconds: null, enabled: false });
    expect(schedule?.kind === 'schedule' && analyze(schedule.run, r.catalogue).ok).toBe(true);
    expect(conf).toMatchObject({ kind: 'file', path: '/etc/app/app.conf', mode: 0o640, content: 'key = value\n', sha256: sha256Hex('key = value\n'), query: 'host | role = "api"' });
    expect(tool).toMatchObject({ mode: 0o4755, content: '#!/bin/sh\necho hi\n' });
  });

  it('follows YAML anchors and aliases, skips empty documents, and takes several files', () => {
    const r = parse(
      [
        'a.yaml',
        yaml`
          ---
          kind: alarm
          name: web-disk
          query: &web host | role = "web"
          fire: disk_usage > 90
          ---
          # only a comment
          ---
        `,
      ],
      ['b.yaml', 'kind: file\nname: motd\npath: /etc/motd\ncontent: hi\nquery: *web\n'.replace('*web', '"host | role = \\"web\\""')],
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.definitions.map((d) => d.origin)).toEqual([
      { file: 'a.yaml', line: 2 },
      { file: 'b.yaml', line: 1 },
    ]);
  });

  it('lets alarms, schedules and bots use the set\'s own metrics and actions', () => {
    const r = parse([
      'x.yaml',
      yaml`
        kind: schedule
        name: drain
        every: 5m
        run: host | busy_workers > 40 | drain_workers(max = 10)
        ---
        kind: metric
        name: busy_workers
        unit: count
        command: cat /run/app/busy
        ---
        kind: action
        name: drain_workers
        command: app-ctl drain --max "$max"
        params: { max: number }
      `,
    ]);
    expect(r.diagnostics).toEqual([]);
    expect(r.catalogue.actions.drain_workers).toBeDefined();
  });

  it('checks a condition after a query that ends in a comment (they are joined by a new line)', () => {
    const r = parse(['c.yaml', 'kind: alarm\nname: x\nquery: host | role = "web"   # web hosts only\nfire: disk_usge > 90\n']);
    expect(r.diagnostics).toEqual([expect.objectContaining({ line: 4, column: 7, field: 'fire', code: 'BWD_BAD_QUERY', suggestion: 'disk_usage' })]);
  });

  it('reports warnings without failing the set', () => {
    const r = parse(
      [
        'w.yaml',
        yaml`
          kind: alarm
          name: typo-tag
          query: host | nme = "web-1"
          fire: cpu_usage > 90
          ---
          kind: file
          name: motd-web
          path: /etc/motd
          content: web
          query: host | role = "web"
          ---
          kind: file
          name: motd-db
          path: /etc/motd
          content: db
          query: host | role = "db"
        `,
      ],
    );
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ line: 3, column: 15, field: 'query', code: 'BWD_QUERY_WARNING', severity: 'warning', suggestion: 'name' }),
      expect.objectContaining({ line: 14, column: 7, field: 'path', code: 'BWD_DUPLICATE_PATH', severity: 'warning' }),
    ]);
    expect(r.diagnostics[1]?.message).toContain('file `motd-web` (w.yaml:6) is also placed at /etc/motd');
    expect(r.definitions).toHaveLength(3);
  });

  it('parses the scenario fixtures with zero diagnostics', () => {
    const dir = fileURLToPath(new URL('./fixtures/scenarios/', import.meta.url));
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => ({ path: `scenarios/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
    const r = parseDefinitions(files, BUILTIN_CATALOGUE);
    expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
    const names = r.definitions.map((d) => `${d.kind}/${d.name}`);
    for (const expected of [
      'alarm/data-disk-full',
      'action/clean_logs',
      'bot/clean-data-logs',
      'action/restart_service',
      'schedule/nightly-api-restart',
      'metric/busy_workers',
      'alarm/api-workers-exhausted',
      'action/apply_patch',
      'bot/reapply-patch-on-restart',
      'alarm/fs-read-only',
      'action/quarantine',
      'bot/check-joining-host',
      'file/api-worker-patch',
    ]) {
      expect(names).toContain(expected);
    }
    const disk = r.definitions.find((d) => d.name === 'data-disk-full');
    expect(disk).toMatchObject({ query: 'host | role = "web"', fire: 'disk_usage{mount="/data"} > 90' });
    const schedule = r.definitions.find((d) => d.kind === 'schedule');
    expect(schedule?.kind === 'schedule' && schedule.run).toContain('rolling(batch = 2');
    const rw = r.definitions.find((d) => d.name === 'fs-read-only');
    expect(rw).toMatchObject({ fire: 'not ok(`touch /var/tmp/.bw-rw-check`)' });
  });
});

/** Mistakes in one document, each giving exactly one diagnostic: what it is, the text, the diagnostic. */
const ONE_MISTAKE: readonly (readonly [string, string, Expected])[] = [
  ['a YAML syntax error, with its position', 'kind: alarm\nname: x\nquery: host\nfire: [cpu_usage > 90\n', { line: 5, field: '', code: 'BWD_YAML', message: expect.stringContaining('invalid YAML: Flow sequence') }],
  ['a value starting with a backtick, which YAML needs quoted', 'kind: alarm\nname: x\nquery: host\nfire: not ok(`true`)\nfire_for: 1s\nseverity: info\nclear: `true`\n', { line: 7, column: 8, field: '', code: 'BWD_YAML', message: 'invalid YAML: Plain value cannot start with reserved character ` (BAD_SCALAR_START); put the value in quotes' }],
  ['a field given twice in one document', 'kind: alarm\nname: x\nquery: host\nfire: cpu_usage > 90\nfire: cpu_usage > 80\n', { line: 5, column: 1, field: '', code: 'BWD_YAML', message: 'invalid YAML: Map keys must be unique (DUPLICATE_KEY); each field may appear once per definition' }],
  ['a document that is not a mapping', '- kind: alarm\n- name: x\n', { line: 1, column: 1, field: '', code: 'BWD_NOT_A_MAPPING', message: 'expected a definition (a mapping with `kind`, `name` and its fields), found a list' }],
  ['a misspelt kind, with a suggestion', 'kind: alram\nname: x\n', { line: 1, column: 7, field: 'kind', code: 'BWD_UNKNOWN_KIND', suggestion: 'alarm', message: expect.stringContaining('unknown kind "alram": expected one of `action`, `metric`, `alarm`, `bot`, `schedule`, `file`, `secret`, `integration`; did you mean `alarm`?') }],
  ['a missing kind', 'name: x\nquery: host\n', { line: 1, column: 1, field: 'kind', code: 'BWD_MISSING_FIELD', message: expect.stringContaining('missing field `kind`') }],
  ['a missing name', 'kind: file\npath: /etc/motd\ncontent: hi\nquery: host\n', { line: 1, field: 'name', code: 'BWD_MISSING_FIELD', message: expect.stringContaining('missing field `name`: expected a name') }],
  ['a misspelt field, with a suggestion', 'kind: alarm\nname: x\nquery: host\nfire: cpu_usage > 90\nfire_fr: 30s\n', { line: 5, column: 1, field: 'fire_fr', code: 'BWD_UNKNOWN_FIELD', suggestion: 'fire_for', message: 'unknown field `fire_fr` in an alarm; did you mean `fire_for`?' }],
  ['a camelCase field name, with its snake_case form suggested', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: /d }\ncircuitBreaker: { max: 1, window: 1m }\n', { line: 6, column: 1, field: 'circuitBreaker', code: 'BWD_UNKNOWN_FIELD', suggestion: 'circuit_breaker', message: 'unknown field `circuitBreaker` in a bot; did you mean `circuit_breaker`?' }],
  ['a field of another kind', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: /d }\nseverity: critical\n', { line: 6, field: 'severity', code: 'BWD_UNKNOWN_FIELD', message: 'unknown field `severity` in a bot: `severity` is a field of alarm and integration' }],
  ['an action name that breaks the naming rule, with a fixed name suggested', 'kind: action\nname: Clean-Up\ncommand: "true"\n', { line: 2, column: 7, field: 'name', code: 'BWD_BAD_NAME', suggestion: 'clean_up', message: expect.stringContaining('found "Clean-Up"; did you mean `clean_up`?') }],
  ['an alarm name that starts with a digit', 'kind: alarm\nname: 9-disk\nquery: host\nfire: disk_usage > 90\n', { line: 2, field: 'name', code: 'BWD_BAD_NAME', message: expect.stringContaining('expected an alarm name: a lowercase letter, then up to 62 lowercase letters, digits, `_` or `-`; found "9-disk"') }],
  ['an action named like a built-in reduction', 'kind: action\nname: top\ncommand: top -bn1\n', { line: 2, field: 'name', code: 'BWD_RESERVED_NAME', message: 'an action cannot be named `top`: that is a built-in reduction, so statements could not tell them apart' }],
  ['a metric named like a built-in metric', 'kind: metric\nname: cpu_usage\ncommand: echo 1\n', { line: 2, field: 'name', code: 'BWD_RESERVED_NAME', message: expect.stringContaining('that is a built-in metric of host') }],
  ['the same name defined in two files, naming both places', '# again\nkind: alarm\nname: disk_full\nquery: host\nfire: disk_usage > 95\n', { line: 3, column: 7, field: 'name', code: 'BWD_DUPLICATE', message: 'alarm `disk_full` is defined twice: at base.yaml:17 and at bad.yaml:3; names are unique per kind' }],
  ['a duration with an unknown unit', 'kind: alarm\nname: x\nquery: host\nfire: cpu_usage > 90\nfire_for: 5min\n', { line: 5, column: 11, field: 'fire_for', code: 'BWD_BAD_DURATION', message: 'expected a duration such as 30s, 5m or 1h (units ms, s, m, h, d, w), found the string "5min"' }],
  ['a negative duration', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: /d }\ncooldown: -5m\n', { line: 6, column: 11, field: 'cooldown', code: 'BWD_BAD_DURATION', message: 'expected a duration of 0s or more (durations cannot be negative), found the string "-5m"' }],
  ['a duration with no unit', 'kind: action\nname: x\ncommand: "true"\ntimeout: 30\n', { line: 4, field: 'timeout', code: 'BWD_BAD_DURATION', message: expect.stringContaining('found the number 30 with no unit; write e.g. 30s') }],
  ['a size that is not one', 'kind: action\nname: x\ncommand: "true"\noutput_limit: 1 megabyte\n', { line: 4, column: 15, field: 'output_limit', code: 'BWD_BAD_SIZE', message: expect.stringContaining('expected a size such as 512KB or 1MiB') }],
  ['a size with no unit', 'kind: action\nname: x\ncommand: "true"\noutput_limit: 1048576\n', { line: 4, column: 15, field: 'output_limit', code: 'BWD_BAD_SIZE', message: expect.stringContaining('found the number 1048576; add a unit, e.g. 1048576B or 1048576KiB') }],
  ['a parameter named like a reserved environment variable', 'kind: action\nname: x\ncommand: "true"\nparams:\n  PATH: string\n', { line: 5, column: 3, field: 'params.PATH', code: 'BWD_BAD_PARAM', message: '`PATH` is a reserved environment variable (the shell or the agent sets it)' }],
  ['a parameter with a loader prefix', 'kind: action\nname: x\ncommand: "true"\nparams:\n  LD_PRELOAD: string\n', { line: 5, column: 3, field: 'params.LD_PRELOAD', code: 'BWD_BAD_PARAM', message: 'names starting with `LD_` are reserved environment variables (the loader, the shell or the agent sets them)' }],
  ['a parameter name that is no environment variable name', 'kind: action\nname: x\ncommand: "true"\nparams:\n  log-dir: string\n', { line: 5, column: 3, field: 'params.log-dir', code: 'BWD_BAD_PARAM', message: 'expected an environment variable name (a letter or `_`, then letters, digits or `_`, at most 63), found `log-dir`' }],
  ['a parameter type that does not exist', 'kind: action\nname: x\ncommand: "true"\nparams:\n  dir: strng\n', { line: 5, column: 8, field: 'params.dir', code: 'BWD_BAD_VALUE', suggestion: 'string', message: 'expected one of `string`, `number`, `duration`, `bool`, found the string "strng"; did you mean `string`?' }],
  ['a default that does not match the parameter type', 'kind: action\nname: x\ncommand: "true"\nparams:\n  days:\n    type: number\n    default: seven\n', { line: 7, column: 14, field: 'params.days.default', code: 'BWD_BAD_DEFAULT', message: 'the default of a number parameter: expected a number, found the string "seven"' }],
  ['a required parameter with a default', 'kind: action\nname: x\ncommand: "true"\nparams:\n  days: { type: number, default: 7, required: true }\n', { line: 5, column: 37, field: 'params.days.required', code: 'BWD_CONFLICT', message: 'a parameter with a `default` is not required: remove `required: true` or the default' }],
  ['an empty command', 'kind: action\nname: x\ncommand: ""\n', { line: 3, column: 10, field: 'command', code: 'BWD_BAD_VALUE', message: 'expected a shell command, found an empty string' }],
  ['a misspelt resource type', 'kind: action\nname: x\ncommand: "true"\nresources: [host, procss]\n', { line: 4, column: 19, field: 'resources', code: 'BWD_BAD_VALUE', suggestion: 'process', message: 'expected a resource type (host, process, container, pod), found "procss"; did you mean `process`?' }],
  ['an action whose allowed statement is on a resource type it does not run on', 'kind: action\nname: x\ncommand: "true"\nallowed: process | name = "api"\n', { line: 4, column: 10, field: 'allowed', code: 'BWD_QUERY_SHAPE', message: "an action's `allowed` statement starts with `host`, found `process`" }],
  ['a metric sampled by a command and a scrape at once', 'kind: metric\nname: x\ncommand: echo 1\nscrape: { url: "http://localhost:9100/metrics", metric: x }\n', { line: 4, column: 1, field: 'scrape', code: 'BWD_CONFLICT', message: 'a metric is sampled by `command` or by `scrape`, not both' }],
  ['a metric unit written as a unit suffix', 'kind: metric\nname: x\ncommand: echo 1\nunit: "%"\n', { line: 4, column: 7, field: 'unit', code: 'BWD_BAD_VALUE', suggestion: 'percent', message: 'expected one of `seconds`, `bytes`, `percent`, `bytes_per_second`, `count`, `none`, found the string "%"; did you mean `percent`?' }],
  ['a metric timeout longer than its interval', 'kind: metric\nname: x\ncommand: echo 1\ninterval: 5s\ntimeout: 10s\n', { line: 5, field: 'timeout', code: 'BWD_BAD_DURATION', message: expect.stringContaining('no longer than the interval (5s)') }],
  ['an alarm query with a command in it', 'kind: alarm\nname: x\nquery: host | role = "web" | `df -h /data`\nfire: disk_usage > 90\n', { line: 3, column: 30, field: 'query', code: 'BWD_QUERY_SHAPE', message: 'an alarm query is a source and filters only; found a command `df -h /data`; conditions on metrics and checks belong in `fire`' }],
  ['an alarm query on events', 'kind: alarm\nname: x\nquery: events | type = "agent_joined"\nfire: cpu_usage > 90\n', { line: 3, column: 8, field: 'query', code: 'BWD_QUERY_SHAPE', message: 'an alarm query starts with `host` or `process`, found `events`' }],
  ['an alarm query that does not analyse, at the column of the error', 'kind: alarm\nname: x\nquery: "host | rol = \\"web\\" and cpu_usage > \\"x\\""\nfire: cpu_usage > 90\n', { line: 3, field: 'query', code: 'BWD_BAD_QUERY', message: expect.stringContaining('(BW_TYPE_MISMATCH)') }],
  ['a fire condition with an unknown metric, at its line and column in a block', 'kind: alarm\nname: x\nquery: host\nfire: |\n  cpu_usage > 80\n  and disk_usge{mount="/"} > 90\n', { line: 6, column: 7, field: 'fire', code: 'BWD_BAD_QUERY', suggestion: 'disk_usage', message: 'unknown metric `disk_usge` for host; did you mean `disk_usage`? (BW_UNKNOWN_METRIC)' }],
  ['a fire condition using a metric of another resource type than the query', 'kind: alarm\nname: x\nquery: process | name = "api"\nfire: "disk_usage > 90"\n', { line: 4, column: 8, field: 'fire', code: 'BWD_BAD_QUERY', message: expect.stringContaining('(BW_UNKNOWN_METRIC)') }],
  ['a fire condition of two stages', 'kind: alarm\nname: x\nquery: host\nfire: cpu_usage > 90 | count\n', { line: 4, column: 24, field: 'fire', code: 'BWD_QUERY_SHAPE', message: expect.stringContaining('expected one condition') }],
  ['a fire condition that is a value, not a condition', 'kind: alarm\nname: x\nquery: host\nfire: avg(cpu_usage[5m])\n', { line: 4, column: 7, field: 'fire', code: 'BWD_QUERY_SHAPE', message: expect.stringContaining('found a column (a value, not a condition) `avg(cpu_usage[5m])`; compare it with a value') }],
  ['a fire condition that is a command, with the ok(...) hint', "kind: alarm\nname: x\nquery: host\nfire: '`test -w /`'\n", { line: 4, column: 8, field: 'fire', code: 'BWD_QUERY_SHAPE', message: expect.stringContaining('to test a command, write `ok(`...`)`') }],
  ['a clear condition with a language error', 'kind: alarm\nname: x\nquery: host\nfire: cpu_usage > 90\nclear: cpu_usage < "80"\n', { line: 5, field: 'clear', code: 'BWD_BAD_QUERY', message: expect.stringContaining('BW_TYPE_MISMATCH') }],
  ['a misspelt severity', 'kind: alarm\nname: x\nquery: host\nfire: cpu_usage > 90\nseverity: critcal\n', { line: 5, column: 11, field: 'severity', code: 'BWD_BAD_VALUE', suggestion: 'critical', message: 'expected one of `info`, `warning`, `critical`, found the string "critcal"; did you mean `critical`?' }],
  ['a bot on an alarm that does not exist, with a suggestion', 'kind: bot\nname: x\ntrigger:\n  alarm: disk_ful\naction: clean_logs\nargs: { dir: /d }\n', { line: 4, column: 10, field: 'trigger.alarm', code: 'BWD_UNKNOWN_ALARM', suggestion: 'disk_full', message: 'unknown alarm `disk_ful`: did you mean `disk_full`?' }],
  ['a bot running an action that does not exist', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_log\n', { line: 4, column: 9, field: 'action', code: 'BWD_UNKNOWN_ACTION', suggestion: 'clean_logs', message: 'unknown action `clean_log`: did you mean `clean_logs`?' }],
  ['a bot argument the action does not take', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs:\n  dir: /d\n  dri: /e\n', { line: 7, column: 3, field: 'args.dri', code: 'BWD_UNKNOWN_ARG', suggestion: 'dir', message: 'action `clean_logs` has no parameter `dri`: did you mean `dir`?' }],
  ['a bot missing a required argument', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs:\n  minutes: 5\n', { line: 5, field: 'args', code: 'BWD_MISSING_ARG', message: 'action `clean_logs` needs `dir` (a string); add it under `args`' }],
  ['a bot argument of the wrong type', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: /d, window: 300 }\n', { line: 5, column: 26, field: 'args.window', code: 'BWD_BAD_ARG', message: expect.stringContaining('`window` is a duration parameter: expected a duration') }],
  ['a misspelt template variable, at its column', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: "/data/${alarm.nme}" }\n', { line: 5, column: 21, field: 'args.dir', code: 'BWD_BAD_TEMPLATE', suggestion: '${alarm.name}', message: 'unknown template variable `${alarm.nme}`; did you mean `${alarm.name}`?' }],
  ['a template variable the trigger does not give', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: "/proc/${process.pid}" }\n', { line: 5, column: 21, field: 'args.dir', code: 'BWD_BAD_TEMPLATE', message: expect.stringContaining('`${process.pid}` needs a trigger that gives a process') }],
  ['a container template on a trigger that gives no container', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: "/data/${container.name}" }\n', { line: 5, column: 21, field: 'args.dir', code: 'BWD_BAD_TEMPLATE', message: expect.stringContaining('`${container.name}` needs a trigger that gives a container (`event: container_restarted` or `container_oom_killed`') }],
  ['a pod template on a host trigger', 'kind: bot\nname: x\ntrigger: { event: host_joined }\naction: clean_logs\nargs: { dir: "/data/${pod.namespace}" }\n', { line: 5, column: 21, field: 'args.dir', code: 'BWD_BAD_TEMPLATE', message: expect.stringContaining('`${pod.namespace}` needs a trigger that gives a container or a pod') }],
  ['a misspelt container template, with a suggestion', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: "/data/${container.nme}" }\n', { line: 5, column: 21, field: 'args.dir', code: 'BWD_BAD_TEMPLATE', suggestion: '${container.name}', message: 'unknown template variable `${container.nme}`; did you mean `${container.name}`?' }],
  ['a template with no closing brace', 'kind: bot\nname: x\ntrigger: { event: host_joined }\naction: clean_logs\nargs: { dir: "/data/${host" }\n', { line: 5, column: 21, field: 'args.dir', code: 'BWD_BAD_TEMPLATE', message: expect.stringContaining('a `${` with no closing `}`') }],
  ['a trigger with both an alarm and an event', 'kind: bot\nname: x\ntrigger: { alarm: disk_full, event: host_joined }\naction: clean_logs\nargs: { dir: /d }\n', { line: 3, column: 30, field: 'trigger.event', code: 'BWD_CONFLICT', message: 'a trigger is one of `alarm`, `event` or `external`, found both `alarm` and `event`' }],
  ['a misspelt trigger event', 'kind: bot\nname: x\ntrigger: { event: host_join }\naction: clean_logs\nargs: { dir: /d }\n', { line: 3, column: 19, field: 'trigger.event', code: 'BWD_BAD_VALUE', suggestion: 'host_joined', message: 'expected one of `process_restarted`, `host_joined`, `container_restarted`, `container_oom_killed`, found the string "host_join"; did you mean `host_joined`?' }],
  ['verify on a trigger that is not an alarm firing', 'kind: bot\nname: x\ntrigger: { event: host_joined }\naction: clean_logs\nargs: { dir: /d }\nverify: { within: 1m }\n', { line: 6, column: 1, field: 'verify', code: 'BWD_CONFLICT', message: expect.stringContaining('needs a trigger `{ alarm: ..., on: fired }`') }],
  ['an action that cannot run on the resource the trigger gives', 'kind: bot\nname: x\ntrigger: { alarm: api_cpu }\naction: clean_logs\nargs: { dir: /d }\n', { line: 4, column: 9, field: 'action', code: 'BWD_ACTION_RESOURCE', message: expect.stringContaining("action `clean_logs` runs on host, but the bot's trigger (alarm `api_cpu` on process) gives a process") }],
  ['a circuit breaker of zero runs', 'kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: /d }\ncircuit_breaker:\n  max: 0\n  window: 10m\n', { line: 7, column: 8, field: 'circuit_breaker.max', code: 'BWD_BAD_VALUE', message: 'expected a whole number of at least 1, found the number 0' }],
  ['a boolean written as yes', 'kind: schedule\nname: x\nevery: 5m\nrun: host | count\nenabled: yes\n', { line: 5, field: 'enabled', code: 'BWD_BAD_TYPE', message: 'expected true or false, found the string "yes" (YAML 1.2 reads only true and false as booleans)' }],
  ['a cron expression with a value out of range', 'kind: schedule\nname: x\ncron: "61 3 * * *"\nrun: host | count\n', { line: 3, column: 7, field: 'cron', code: 'BWD_BAD_CRON', message: expect.stringContaining('Invalid value for minute: 61') }],
  ['a cron expression with a seconds field', 'kind: schedule\nname: x\ncron: "0 0 3 * * *"\nrun: host | count\n', { line: 3, column: 7, field: 'cron', code: 'BWD_BAD_CRON', message: 'expected five fields (minute hour day-of-month month day-of-week), found 6 in "0 0 3 * * *" (a seconds field is not supported)' }],
  ['a cron expression that never runs', 'kind: schedule\nname: x\ncron: "0 3 31 2 *"\nrun: host | count\n', { line: 3, column: 7, field: 'cron', code: 'BWD_BAD_CRON', message: '"0 3 31 2 *" never runs (no date matches it)' }],
  ['a schedule with both cron and every', 'kind: schedule\nname: x\ncron: "0 3 * * *"\nevery: 1h\nrun: host | count\n', { line: 4, column: 1, field: 'every', code: 'BWD_CONFLICT', message: 'a schedule runs on `cron` or `every`, not both' }],
  ['a schedule with neither cron nor every', 'kind: schedule\nname: x\nrun: host | count\n', { line: 1, field: 'cron', code: 'BWD_MISSING_FIELD', message: expect.stringContaining('expected `cron`') }],
  ['a schedule whose pipeline calls a misspelt action', 'kind: schedule\nname: x\nevery: 1h\nrun: |\n  host | role = "api"\n  | restart_servce(name = "api")\n', { line: 6, column: 5, field: 'run', code: 'BWD_BAD_QUERY', suggestion: 'restart_service', message: expect.stringContaining('did you mean `restart_service`?') }],
  ['a file with a relative path', 'kind: file\nname: x\npath: etc/motd\ncontent: hi\nquery: host\n', { line: 3, column: 7, field: 'path', code: 'BWD_BAD_PATH', message: 'expected an absolute path (starting with /); found "etc/motd"' }],
  ['a file path with ..', 'kind: file\nname: x\npath: /etc/../root/x\ncontent: hi\nquery: host\n', { line: 3, column: 7, field: 'path', code: 'BWD_BAD_PATH', message: 'expected a normalised path (no . or .. segments); found "/etc/../root/x"' }],
  ['a file mode that is not octal', 'kind: file\nname: x\npath: /etc/motd\nmode: "0999"\ncontent: hi\nquery: host\n', { line: 4, column: 7, field: 'mode', code: 'BWD_BAD_MODE', message: 'expected an octal mode such as "0644" or "0755", found the string "0999"' }],
  ['a file query on processes', 'kind: file\nname: x\npath: /etc/motd\ncontent: hi\nquery: process | name = "api"\n', { line: 5, column: 8, field: 'query', code: 'BWD_QUERY_SHAPE', message: "a file's query starts with `host`, found `process`" }],
  ['a file with no content', 'kind: file\nname: x\npath: /etc/motd\ncontent:\nquery: host\n', { line: 4, column: 1, field: 'content', code: 'BWD_MISSING_FIELD', message: expect.stringContaining('`content` has no value') }],
  ['a nested field that is not a mapping', 'kind: bot\nname: x\ntrigger: disk_full\naction: clean_logs\nargs: { dir: /d }\n', { line: 3, column: 10, field: 'trigger', code: 'BWD_NOT_A_MAPPING', message: expect.stringContaining('expected what starts the bot: `{ alarm: <name>, on: fired }`, `{ event: process_restarted, process: <name> }`, `{ event: container_restarted }` or `container_oom_killed` (optionally with `container: <name>`), `{ event: host_joined }` or `{ external: <name> }`, found the string "disk_full"') }],
  ['a string field given a number, with a hint to quote it', 'kind: bot\nname: x\ntrigger: { external: 404 }\naction: clean_logs\nargs: { dir: /d }\n', { line: 3, field: 'trigger.external', code: 'BWD_BAD_TYPE', message: 'expected the name of the external alert, found the number 404; put it in quotes to make it a string' }],
];

describe('parseDefinitions: every mistake is a diagnostic with file, line, field, code and message', () => {
  it.each(ONE_MISTAKE)('%s', (_what, text, expected) => {
    expectOne(text, expected);
  });

  it('a duration too long to be a number (JSON would send it as null)', () => {
    const nines = '9'.repeat(400);
    expectOne(`kind: action\nname: x\ncommand: "true"\ntimeout: ${nines}s\n`, { line: 4, column: 10, field: 'timeout', code: 'BWD_BAD_DURATION', message: `expected a duration such as 30s, 5m or 1h (units ms, s, m, h, d, w), found the string "${'9'.repeat(39)}…"` });
  });

  it('a zero timeout', () => {
    expectOne('kind: action\nname: x\ncommand: "true"\ntimeout: 0s\n', { line: 4, field: 'timeout', code: 'BWD_BAD_DURATION', message: 'expected a duration longer than 0s, found the string "0s"' });
    // Timers cannot wait longer than ~24.8 days: a longer one would fire at once.
    expectOne('kind: bot\nname: x\ntrigger: { alarm: disk_full }\naction: clean_logs\nargs: { dir: /d }\nverify: { within: 30d }\n', { line: 6, field: 'verify.within', code: 'BWD_BAD_DURATION', message: 'expected a duration of at most 24d, found the string "30d"' });
  });
});

describe('parseDefinitions: a set with errors', () => {
  it('returns no definitions at all, and every problem at once, in file order', () => {
    const r = parse(['base.yaml', BASE], ['a.yaml', 'kind: alarm\nname: y\nquery: host\nfire: cpu > 90\n---\nkind: bot\nname: b\ntrigger: { alarm: nope }\naction: clean_logs\nargs: { dir: /d }\n']);
    expect(r.definitions).toEqual([]);
    expect(r.diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`)).toEqual(['a.yaml:4 BWD_BAD_QUERY', 'a.yaml:8 BWD_UNKNOWN_ALARM']);
    expect(r.catalogue.actions.clean_logs).toBeDefined();
  });

  it('never throws, whatever the text', () => {
    for (const text of ['', ':', '---\n---\n', 'kind: [', '\t', 'kind: alarm\n', 'kind: bot\ntrigger: {}\n', '*x', '&a [*a]', 'kind: file\nmode: 0o7777\n', '{'.repeat(200)]) {
      expect(() => parse(['x.yaml', text])).not.toThrow();
    }
  });

  it('uses only codes from the catalogue, and formats them for people', () => {
    const r = parse(['a.yaml', 'kind: alarm\nname: Bad\nquery: events\nfire: x\nfoo: 1\n']);
    for (const d of r.diagnostics) expect(Object.keys(DEFINITION_DIAGNOSTIC_CODES)).toContain(d.code);
    expect(formatDefinitionDiagnostic(r.diagnostics[0] as DefinitionDiagnostic)).toMatch(/^a\.yaml:2:7 name: expected an alarm name: .* \[BWD_BAD_NAME\]$/);
  });
});
