import type { ActionSpec } from './catalogue.js';
import type { FleetInventory } from './fleet-check.js';
import { summarizeFleet } from './fleet-check.js';

/*
 * The statements the language guide promises work, shared by the tests that
 * hold the language to them and the benchmark that times them.
 */

/**
 * The examples of docs/language.md ("Examples (each must work)"), verbatim.
 *
 * @example
 * for (const statement of LANGUAGE_EXAMPLES) analyze(statement, catalogue);
 */
export const LANGUAGE_EXAMPLES: readonly string[] = [
  'host',
  'host | count',
  'host | group_by(region) | count',
  'host | env = "prod" and name =~ "^web-" | cpu_usage',
  'host | avg(cpu_usage[5m]) > 80 | top(5, cpu_usage)',
  'host | disk_usage{mount="/"} > 90 | `du -xsh /var/log/* 2>/dev/null | sort -h | tail -3`',
  'host | not ok(`touch /var/tmp/.bw-rw-check`)                  # read-only filesystem',
  'host | process | name = "java" | mem_rss_bytes > 2GB | `jcmd $BW_PID GC.heap_info`',
  'host | zombie_count > 0 | count',
  'host | `cat /etc/os-release | grep VERSION_ID`                   # grouped output',
  'host | count_true(cpu_usage > 40, 60s) >= 48',
  'host | app = "api" | sample(1) | restart_service(name = "api")',
  'host | app = "api" | rolling(batch = 2, pause = 30s, until = http_ok("http://localhost:8080/health")) | restart_service(name = "api")',
  'pod | namespace = "prod" | app = "checkout" | container | `cat /proc/loadavg`',
  'events | type = "alarm_fired" | alarm = "disk_full" | count',
];

/**
 * The actions the guide's examples assume are defined, as `breakwater check`
 * learns them from definitions.
 *
 * @example
 * const catalogue = extendCatalogue(BUILTIN_CATALOGUE, { actions: EXAMPLE_ACTIONS });
 */
export const EXAMPLE_ACTIONS: readonly ActionSpec[] = [
  {
    name: 'restart_service',
    description: 'Restarts a systemd service.',
    resources: ['host'],
    params: [{ name: 'name', type: 'string', required: true, description: 'the service name' }],
  },
  {
    name: 'clean_logs',
    description: 'Deletes old log files under a directory.',
    resources: ['host'],
    params: [
      { name: 'dir', type: 'string', required: true, description: 'the directory to clean' },
      { name: 'days', type: 'number', required: false, default: 7, description: 'delete files older than this many days' },
    ],
  },
];

/**
 * The hosts of `breakwater lab --hosts 12` (roles web, web, db, cache in turn; zones a, b, c): the
 * fleet the guide's examples of fleet warnings (BW_NO_MATCH) are checked against.
 *
 * @example
 * analyze('host | role = "wbe"', BUILTIN_CATALOGUE, () => EXAMPLE_FLEET); // warns: did you mean "web" (6 hosts)?
 */
export const EXAMPLE_FLEET: FleetInventory = summarizeFleet(
  Array.from({ length: 12 }, (_, i) => {
    const role = ['web', 'web', 'db', 'cache'][i % 4] as string;
    return { tags: { role, zone: ['a', 'b', 'c'][i % 3] as string, env: 'lab' }, attributes: { name: `${role}-${i + 1}`, os: 'linux', status: 'connected' } };
  }),
);
