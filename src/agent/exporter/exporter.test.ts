import fc from 'fast-check';
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleValue } from '../../../test/exposition.js';
import type { AgentStatus } from '../daemon-deps.js';
import type { Snapshot } from '../metrics/types.js';
import { MAX_EXPORTED_PROCESSES, agentRegistry, serveExporter } from './index.js';

const status: AgentStatus = { state: 'connected', outboxPending: 3, outboxOldestAgeMs: 4500, commandsActive: 1, historyBytes: 123_456 };

const proc = (pid: number, cpu: number, rss: number, name = `p${pid}`) => ({
  info: { pid, ppid: 1, name, cmdline: name, user: 'root', state: 'S', startTime: 0 },
  samples: [
    { name: 'cpu_usage', value: cpu },
    { name: 'mem_rss_bytes', value: rss },
    { name: 'thread_count', value: 2 },
    { name: 'uptime_seconds', value: 60 },
  ],
});

const snapshot = (processes: Snapshot['processes'], time = 1_760_000_000_000): Snapshot => ({
  time,
  host: [
    { name: 'cpu_usage', value: 37.5 },
    { name: 'load1', value: 0.5 },
    { name: 'oom_kills', value: 2 },
    { name: 'disk_usage', labels: { mount: '/data', device: '/dev/sdb1', fstype: 'ext4' }, value: 91 },
    { name: 'disk_free_bytes', labels: { mount: '/data', device: '/dev/sdb1', fstype: 'ext4' }, value: 1024 },
    { name: 'net_rx_bytes_rate', labels: { iface: 'eth0' }, value: 2048 },
    { name: 'mem_usage', value: Number.NaN },
    { name: 'entropy_bits', value: 256 },
  ],
  processes,
});

describe('the agent exporter registry', () => {
  it('exports host metrics under node_exporter-like names and labels, the agent state, and skips what is not a number', async () => {
    const text = await agentRegistry({ name: 'web-1', version: '0.1.0', lastSnapshot: () => snapshot([proc(10, 5, 100)]), status: () => status }).metrics();
    expect(sampleValue(text, 'breakwater_host_cpu_usage_percent')).toBe(37.5);
    expect(sampleValue(text, 'breakwater_host_load1')).toBe(0.5);
    expect(sampleValue(text, 'breakwater_host_vmstat_oom_kill')).toBe(2);
    expect(sampleValue(text, 'breakwater_host_filesystem_usage_percent{mountpoint="/data",device="/dev/sdb1",fstype="ext4"}')).toBe(91);
    expect(sampleValue(text, 'breakwater_host_filesystem_avail_bytes{mountpoint="/data",device="/dev/sdb1",fstype="ext4"}')).toBe(1024);
    expect(sampleValue(text, 'breakwater_host_network_receive_bytes_per_second{device="eth0"}')).toBe(2048);
    expect(text).not.toMatch(/^breakwater_host_memory_usage_percent /m);
    expect(text).not.toContain('entropy');
    expect(sampleValue(text, 'breakwater_process_cpu_usage_percent{pid="10",name="p10"}')).toBe(5);
    expect(sampleValue(text, 'breakwater_process_resident_memory_bytes{pid="10",name="p10"}')).toBe(100);
    expect(sampleValue(text, 'breakwater_agent_info{host="web-1",version="0.1.0"}')).toBe(1);
    expect(sampleValue(text, 'breakwater_agent_connected')).toBe(1);
    expect(sampleValue(text, 'breakwater_agent_outbox_events')).toBe(3);
    expect(sampleValue(text, 'breakwater_agent_outbox_oldest_seconds')).toBe(4.5);
    expect(sampleValue(text, 'breakwater_agent_history_bytes')).toBe(123_456);
    expect(sampleValue(text, 'breakwater_agent_last_collection_timestamp_seconds')).toBe(1_760_000_000);
  });

  it(`exports at most ${MAX_EXPORTED_PROCESSES} processes, the busiest; a process gone is gone from the next scrape; hostile names are escaped`, async () => {
    let snap = snapshot([...Array.from({ length: 400 }, (_, i) => proc(1000 + i, i % 7, i)), proc(7, 99, 1, 'evil"\n} 1\nbreakwater_agent_connected 0')]);
    const registry = agentRegistry({ name: 'web-1', version: '0.1.0', lastSnapshot: () => snap, status: () => ({ ...status, state: 'backoff' }) });
    const text = await registry.metrics();
    const cpuLines = text.split('\n').filter((l) => l.startsWith('breakwater_process_cpu_usage_percent{'));
    expect(cpuLines).toHaveLength(MAX_EXPORTED_PROCESSES);
    expect(sampleValue(text, 'breakwater_process_exported')).toBe(MAX_EXPORTED_PROCESSES);
    expect(cpuLines[0]).toBe('breakwater_process_cpu_usage_percent{pid="7",name="evil\\"\\n} 1\\nbreakwater_agent_connected 0"} 99');
    expect(text.split('\n').filter((l) => l.startsWith('breakwater_agent_connected '))).toEqual(['breakwater_agent_connected 0']);
    snap = snapshot([proc(1, 1, 1)], snap.time + 1000);
    const next = await registry.metrics();
    expect(next.split('\n').filter((l) => l.startsWith('breakwater_process_cpu_usage_percent{'))).toEqual(['breakwater_process_cpu_usage_percent{pid="1",name="p1"} 1']);
  });

  it('before the first collection, exports the agent state and no host or process series', async () => {
    const text = await agentRegistry({ name: 'web-1', version: '0.1.0', lastSnapshot: () => undefined, status: () => status }).metrics();
    expect(text).not.toMatch(/^breakwater_host_/m);
    expect(sampleValue(text, 'breakwater_agent_last_collection_timestamp_seconds')).toBe(0);
  });
});

describe('the exporter server', async () => {
  const registry = agentRegistry({ name: 'web-1', version: '0.1.0', lastSnapshot: () => snapshot([proc(10, 5, 100)]), status: () => status });
  const exporter = await serveExporter(registry, { host: '127.0.0.1', port: 0 });
  afterAll(() => exporter.close());

  const send = (method: string, path: string): Promise<{ status: number; type: string | undefined; body: string }> =>
    new Promise((resolve, reject) => {
      // A connection each (no keep-alive): a socket left idle between tests may be closed by the
      // server's keep-alive timeout as it is reused, which a scraper retries and this test would not.
      const req = request(`${exporter.url}${path}`, { method, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
      });
      req.on('error', reject).end();
    });

  it('serves GET /metrics in the exposition format, HEAD without a body; anything else is 404 or 405', async () => {
    const r = await send('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sampleValue(r.body, 'breakwater_host_cpu_usage_percent')).toBe(37.5);
    expect(await send('HEAD', '/metrics')).toMatchObject({ status: 200, body: '' });
    expect((await send('GET', '/metrics?x=1')).status).toBe(200);
    expect(await send('GET', '/')).toMatchObject({ status: 404, body: 'not found: the agent serves only /metrics\n' });
    expect((await send('POST', '/metrics')).status).toBe(405);
  });

  it('fuzz: any path and method gets 200 only for GET or HEAD /metrics, else 404 or 405; the server stays up', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'), fc.oneof(fc.webPath(), fc.constant('/metrics'), fc.string({ maxLength: 200 }).map((s) => `/${encodeURIComponent(s)}`)), async (method, path) => {
        const url = path.startsWith('/') ? path : `/${path}`;
        const r = await send(method, url);
        // The path the server is asked for: the client resolves dot segments and drops a fragment.
        const isMetrics = new URL(`${exporter.url}${url}`).pathname === '/metrics';
        expect(r.status).toBe(!isMetrics ? 404 : method === 'GET' || method === 'HEAD' ? 200 : 405);
      }),
      { numRuns: 150 },
    );
    expect((await send('GET', '/metrics')).status).toBe(200);
  });
});
