import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { waitUntil } from './helpers.js';
import { describeInModes } from './modes.js';
import type { RunningPrometheus } from './prometheus.js';
import { prometheusUnavailable, startPrometheus } from './prometheus.js';
import { freePort } from './scaled-failures-services.js';
import { query } from './scenarios/scenario-helpers.js';

/*
 * Debian's real Prometheus scrapes a lab: every control-plane replica's GET /metrics over HTTPS
 * with a viewer token (Prometheus's `authorization`, the token in a credentials file, the lab's CA),
 * and the lab agent's own exporter (`--metrics-listen`). Its API must report every target up and
 * answer queries over Breakwater's series: what an operator's Prometheus would see.
 */

const SUITE = 'Prometheus scraping the control plane and an agent (test/prometheus.test.ts)';
const skip = prometheusUnavailable(SUITE) !== undefined;

interface Target {
  readonly labels: Record<string, string>;
  readonly health: string;
  readonly lastError: string;
}
interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

if (skip) describe.skip(SUITE, () => it('needs /usr/bin/prometheus', () => undefined));
else {
  await describeInModes('Prometheus scrapes Breakwater', 'test/prometheus.test.ts', (mode) => {
    let lab: Lab;
    let prom: RunningPrometheus;
    let agentPort: number;

    beforeAll(async () => {
      agentPort = await freePort();
      lab = await startLab(mode.lab({ hosts: 1, agentArgs: () => ['--metrics-listen', `127.0.0.1:${agentPort}`] }));
      await lab.waitConnected();
      const { token } = await lab.api<{ token: string }>('/api/v1/tokens', { role: 'viewer', name: 'prometheus' });
      const tokenFile = join(lab.dir, 'prometheus-token');
      await writeFile(tokenFile, token, { mode: 0o600 });
      prom = await startPrometheus([
        {
          job_name: 'breakwater',
          scheme: 'https',
          authorization: { type: 'Bearer', credentials_file: tokenFile },
          tls_config: { ca_file: lab.ca as string },
          static_configs: [{ targets: lab.replicas.map((r) => new URL(r.server).host) }],
        },
        { job_name: 'breakwater-agents', static_configs: [{ targets: [`127.0.0.1:${agentPort}`] }] },
      ]);
    }, 180_000);

    afterAll(async () => {
      await prom?.stop();
      await lab?.stop();
    }, 60_000);

    const instant = (expr: string) => prom.api<{ result: Sample[] }>(`query?query=${encodeURIComponent(expr)}`).then((d) => d.result);

    it('reports every replica and the agent as targets that are up', async () => {
      let targets: Target[] = [];
      await waitUntil(
        'Prometheus to scrape every target successfully',
        async () => {
          targets = (await prom.api<{ activeTargets: Target[] }>('targets')).activeTargets;
          return targets.length === lab.replicas.length + 1 && targets.every((t) => t.health === 'up');
        },
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(targets)}\n${prom.log()}`);
      });
      expect(targets.map((t) => t.labels.job).sort()).toEqual([...lab.replicas.map(() => 'breakwater'), 'breakwater-agents']);
    }, 90_000);

    it("answers queries over the control plane's series: the connected agent, its joining event, a query run, store timings", async () => {
      await query(lab, 'host | cpu_usage');
      let seen: Record<string, Sample[]> = {};
      const wanted = {
        connected: 'max(breakwater_agents{job="breakwater",state="connected"})',
        joined: 'sum(breakwater_events_ingested_total{job="breakwater",type="agent_joined"})',
        queries: 'sum(breakwater_queries_total{job="breakwater",outcome="succeeded"})',
        fanout: 'sum(breakwater_query_fanout_agents_sum{job="breakwater"})',
        store: 'sum(breakwater_store_operation_duration_seconds_count{job="breakwater",operation="createRun"}) or sum(breakwater_store_operation_duration_seconds_count{job="breakwater",operation="appendEvents"})',
        outbox: 'count(breakwater_agent_outbox_events{job="breakwater"})',
      };
      await waitUntil(
        "Prometheus to hold the control plane's series",
        async () => {
          seen = Object.fromEntries(await Promise.all(Object.entries(wanted).map(async ([k, expr]) => [k, await instant(expr)] as const)));
          return Object.values(seen).every((r) => r.length > 0 && Number(r[0]?.value[1]) >= 1);
        },
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(seen)}`);
      });
      expect(Number(seen.connected?.[0]?.value[1])).toBe(1);
      expect(Number(seen.fanout?.[0]?.value[1])).toBeGreaterThanOrEqual(1);
    }, 90_000);

    it("answers queries over the agent's own series: host CPU, filesystems, its busiest processes, its state", async () => {
      let cpu: Sample[] = [];
      await waitUntil('the agent exporter series', async () => (cpu = await instant('breakwater_host_cpu_usage_percent{job="breakwater-agents"}')).length > 0, 60_000);
      const value = Number(cpu[0]?.value[1]);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(100);
      const info = await instant('breakwater_agent_info{job="breakwater-agents"}');
      expect(info.map((s) => s.metric.host)).toEqual([lab.hosts[0]?.name]);
      expect(Number((await instant('breakwater_agent_connected{job="breakwater-agents"}'))[0]?.value[1])).toBe(1);
      expect((await instant('breakwater_host_filesystem_avail_bytes{job="breakwater-agents"}')).length).toBeGreaterThan(0);
      const processes = await instant('count(breakwater_process_resident_memory_bytes{job="breakwater-agents"})');
      expect(Number(processes[0]?.value[1] ?? 0)).toBeLessThanOrEqual(50);
    }, 90_000);
  });
}
