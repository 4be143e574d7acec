import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import type { Definition } from './index.js';
import { formatDefinitionDiagnostic, formatDuration, formatSize, parseDefinitions, toYaml } from './index.js';

const withoutOrigin = (defs: readonly Definition[]) => defs.map(({ origin: _origin, ...rest }) => rest);

function parseOk(files: { path: string; text: string }[]): Definition[] {
  const r = parseDefinitions(files, BUILTIN_CATALOGUE);
  expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
  return r.definitions;
}

/** Export, parse the export, and compare: the same definitions, origin aside. */
function roundTrip(defs: Definition[]): void {
  const files = toYaml(defs);
  const again = parseOk(files);
  expect(withoutOrigin(again)).toEqual(withoutOrigin(defs));
  expect(again.map((d) => d.origin)).toEqual(defs.map((d) => ({ file: `${d.kind}s/${d.name}.yaml`, line: 1 })));
}

const scenarios = () => {
  const dir = fileURLToPath(new URL('./fixtures/scenarios/', import.meta.url));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ path: f, text: readFileSync(join(dir, f), 'utf8') }));
};

const EVERYTHING = `
kind: action
name: tidy
description: |
  Tidy a directory.
  Two lines of description.
command: |
  set -eu
  find "$dir" -mindepth 1 -mmin +"$minutes" -delete   # a comment: with a colon
params:
  dir: string
  minutes: { type: number, default: 1.5, description: "minutes, may be fractional" }
  grace: { type: duration, default: 500ms }
  verbose: { type: bool, default: true }
  label: { type: string, required: false }
timeout: 1.5s
user: "1000"
output_limit: 512KB
resources: [host, pod, container]
allowed: host | env = "prod" and name =~ "^web-\\d+$"
---
kind: metric
name: queue_depth
unit: bytes_per_second
labels: [queue, shard]
scrape: { url: "http://localhost:9100/metrics?x=1#y", metric: "app:queue_depth" }
interval: 1m
timeout: 250ms
---
kind: alarm
name: queue-full
description: "quotes \\" and 'apostrophes' and a # hash"
query: |
  host
  | role = "worker"   # a comment
fire: avg(queue_depth{queue="mail"}[5m]) > 100MB
fire_for: 90s
clear: 'queue_depth < 1KiB'
clear_for: 1w
severity: critical
interval: 2s
runbook: "https://runbooks.example.com/queue?id=1&x=: y"
---
kind: bot
name: tidy-on-full
trigger: { alarm: queue-full, on: cleared }
action: tidy
args:
  dir: "/var/$\${queue}/\${host}"
  minutes: 3
  grace: 2h
  verbose: false
  label: "\${alarm.value}"
cooldown: 0s
circuit_breaker: { max: 1, window: 1d }
offline: skip
approval: { expires: 45m }
enabled: false
---
kind: bot
name: external
trigger: { external: "Disk Full: /var" }
action: tidy
args: { dir: "\${event.labels}" }
---
kind: schedule
name: every-ten
every: 10m
run: "host | tidy(dir = \\"/tmp\\")"
enabled: false
---
kind: schedule
name: weekdays
cron: "*/15 9-17 * * MON-FRI"
run: host | count
---
kind: file
name: weird-content
path: /etc/weird/x.conf
mode: "4755"
content: "  leading spaces\\n\\ttab\\ntrailing spaces   \\n---\\n# not a comment\\nkey: value\\n\\n\\n"
query: host
---
kind: file
name: no-newline
path: /etc/x
mode: "0600"
content: "no newline at the end"
query: host | role = "db"
---
kind: file
name: empty
path: /etc/empty
content: ""
query: host
`;

describe('toYaml', () => {
  it('writes one file per definition at <kind>s/<name>.yaml', () => {
    const files = toYaml(parseOk(scenarios()));
    expect(files.map((f) => f.path)).toContain('alarms/data-disk-full.yaml');
    expect(files.map((f) => f.path)).toContain('actions/clean_logs.yaml');
    expect(files.map((f) => f.path)).toContain('files/api-worker-patch.yaml');
    const bot = files.find((f) => f.path === 'bots/clean-data-logs.yaml');
    expect(bot?.text).toBe(
      [
        'kind: bot',
        'name: clean-data-logs',
        'description: Frees /data on web hosts by deleting old application logs.',
        'trigger:',
        '  alarm: data-disk-full',
        '  on: fired',
        'action: clean_logs',
        'args:',
        '  dir: /data/logs',
        '  minutes: 10',
        'cooldown: 1m',
        'circuit_breaker:',
        '  max: 5',
        '  window: 10m',
        'offline: run',
        'verify:',
        '  within: 2m',
        'enabled: true',
        '',
      ].join('\n'),
    );
    const action = files.find((f) => f.path === 'actions/restart_service.yaml');
    expect(action?.text).toContain('params:\n  name: string\n');
    expect(action?.text).toContain('resources: [ host ]\n');
    const file = files.find((f) => f.path === 'files/api-worker-patch.yaml');
    expect(file?.text).toContain('mode: "0644"\n');
  });

  it('round-trips the scenario fixtures', () => {
    roundTrip(parseOk(scenarios()));
  });

  it('round-trips every field of every kind, with awkward values', () => {
    const defs = parseOk([{ path: 'everything.yaml', text: EVERYTHING }]);
    expect(defs).toHaveLength(10);
    roundTrip(defs);
  });

  it('round-trips any file content and description', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'binary-ascii', maxLength: 80 }), (content, description) => {
        const text = `kind: file\nname: f\npath: /etc/f\ncontent: ${JSON.stringify(content)}\ndescription: ${JSON.stringify(description)}\nquery: host\n`;
        const defs = parseOk([{ path: 'f.yaml', text }]);
        expect(defs[0]).toMatchObject({ content, description });
        roundTrip(defs);
      }),
      { numRuns: 200 },
    );
  });
});

describe('formatDuration and formatSize', () => {
  it('write the largest whole unit, and what parses back', () => {
    expect([0, 0.5, 1.5, 30, 60, 90, 3600, 86400, 604800].map(formatDuration)).toEqual(['0s', '500ms', '1500ms', '30s', '1m', '90s', '1h', '1d', '1w']);
    expect([1, 1000, 1024, 512_000, 1_048_576, 1_500_000, 3 * 1024 ** 3].map(formatSize)).toEqual(['1B', '1KB', '1KiB', '500KiB', '1MiB', '1500KB', '3GiB']);
  });
});
