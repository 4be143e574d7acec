import { Gauge, Registry } from 'prom-client';
import type { AgentStatus } from '../daemon-deps.js';
import type { Sample, Snapshot } from '../metrics/types.js';

/** What the agent's exporter reads at each scrape: the newest collection and the agent's own state. */
export interface ExporterSource {
  readonly name: string;
  readonly version: string;
  lastSnapshot(): Snapshot | undefined;
  status(): AgentStatus;
}

/**
 * The most processes one scrape exports (those using the most CPU, then the most memory): a host
 * runs thousands, and each would be four series. The host's `breakwater_host_processes` counts them all.
 */
export const MAX_EXPORTED_PROCESSES = 50;

/** A host metric as the agent collects it, and the name and help it is exported under (node_exporter's naming where it maps). */
interface HostExport {
  readonly from: string;
  readonly name: string;
  readonly help: string;
  /** The sample's labels, renamed (`mount` is node_exporter's `mountpoint`). */
  readonly labels?: Readonly<Record<string, string>>;
}

const FS = { mount: 'mountpoint', device: 'device', fstype: 'fstype' } as const;
const NET = { iface: 'device' } as const;

/** The host metrics exported, by the names the agent collects them under (docs/integrations.md lists them). */
export const HOST_EXPORTS: readonly HostExport[] = [
  { from: 'cpu_usage', name: 'breakwater_host_cpu_usage_percent', help: 'CPU busy (not idle, not waiting for I/O) over the last collection interval, percent of all CPUs.' },
  { from: 'cpu_iowait', name: 'breakwater_host_cpu_iowait_percent', help: 'CPU time waiting for I/O over the last collection interval, percent of all CPUs.' },
  { from: 'load1', name: 'breakwater_host_load1', help: '1-minute load average.' },
  { from: 'load5', name: 'breakwater_host_load5', help: '5-minute load average.' },
  { from: 'load15', name: 'breakwater_host_load15', help: '15-minute load average.' },
  { from: 'mem_usage', name: 'breakwater_host_memory_usage_percent', help: 'Memory in use (total minus available), percent.' },
  { from: 'mem_available_bytes', name: 'breakwater_host_memory_available_bytes', help: 'Memory available for new work (MemAvailable), bytes.' },
  { from: 'swap_usage', name: 'breakwater_host_swap_usage_percent', help: 'Swap in use, percent (0 without swap).' },
  { from: 'disk_usage', name: 'breakwater_host_filesystem_usage_percent', help: 'Filesystem space in use, percent of what non-root users may use.', labels: FS },
  { from: 'disk_free_bytes', name: 'breakwater_host_filesystem_avail_bytes', help: 'Filesystem space available to non-root users, bytes.', labels: FS },
  { from: 'inode_usage', name: 'breakwater_host_filesystem_inode_usage_percent', help: 'Filesystem inodes in use, percent.', labels: FS },
  { from: 'inode_used', name: 'breakwater_host_filesystem_inodes_used', help: 'Filesystem inodes in use.', labels: FS },
  { from: 'inode_free', name: 'breakwater_host_filesystem_inodes_free', help: 'Filesystem inodes free.', labels: FS },
  { from: 'fd_usage', name: 'breakwater_host_file_descriptor_usage_percent', help: 'Open file handles, percent of the kernel maximum (fs.file-max).' },
  { from: 'net_rx_bytes_rate', name: 'breakwater_host_network_receive_bytes_per_second', help: 'Bytes received per second over the last collection interval, by interface.', labels: NET },
  { from: 'net_tx_bytes_rate', name: 'breakwater_host_network_transmit_bytes_per_second', help: 'Bytes sent per second over the last collection interval, by interface.', labels: NET },
  { from: 'process_count', name: 'breakwater_host_processes', help: 'Processes on the host (in the agent\'s scope).' },
  { from: 'zombie_count', name: 'breakwater_host_zombie_processes', help: 'Processes in state Z (exited, not reaped).' },
  { from: 'oom_kills', name: 'breakwater_host_vmstat_oom_kill', help: 'Processes the kernel\'s OOM killer killed since boot (oom_kill of /proc/vmstat; only goes up, as node_exporter\'s node_vmstat_oom_kill).' },
  { from: 'uptime_seconds', name: 'breakwater_host_uptime_seconds', help: 'Seconds since the host booted.' },
];

/** The process metrics exported, with the labels pid and name. */
export const PROCESS_EXPORTS: readonly Omit<HostExport, 'labels'>[] = [
  { from: 'cpu_usage', name: 'breakwater_process_cpu_usage_percent', help: 'CPU used by the process over the last collection interval, percent of one CPU.' },
  { from: 'mem_rss_bytes', name: 'breakwater_process_resident_memory_bytes', help: 'Resident memory of the process, bytes.' },
  { from: 'thread_count', name: 'breakwater_process_threads', help: 'Threads of the process.' },
  { from: 'uptime_seconds', name: 'breakwater_process_uptime_seconds', help: 'Seconds since the process started.' },
];

/**
 * The agent's exporter registry (a registry of its own): host and process metrics from the newest
 * per-second collection, re-read at each scrape, and the agent's own state. Every gauge is rebuilt
 * at each scrape, so a process or mount that is gone is gone from the next scrape too.
 *
 * @example
 * const registry = agentRegistry({ name: 'web-1', version: AGENT_VERSION, lastSnapshot: () => daemon.lastSnapshot, status: () => daemon.status() });
 * const text = await registry.metrics();
 */
export function agentRegistry(source: ExporterSource): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: readonly string[], fill: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames: [...labelNames],
      registers: [registry],
      collect() {
        this.reset();
        // Without labels, prom-client would say 0 for a value not collected (before the first pass, NaN): say nothing.
        if (labelNames.length === 0) this.remove();
        fill(this);
      },
    });

  for (const e of HOST_EXPORTS) {
    const names = Object.values(e.labels ?? {});
    gauge(e.name, e.help, names, (g) => {
      for (const s of source.lastSnapshot()?.host ?? []) if (s.name === e.from && Number.isFinite(s.value)) g.set(renamed(s, e.labels), s.value);
    });
  }
  // One choice of processes per scrape, shared by the four process gauges.
  let chosen: { at: number | undefined; processes: Snapshot['processes'] } = { at: undefined, processes: [] };
  const processes = () => {
    const snap = source.lastSnapshot();
    if (chosen.at !== snap?.time) chosen = { at: snap?.time, processes: busiest(snap?.processes ?? []) };
    return chosen.processes;
  };
  for (const e of PROCESS_EXPORTS) {
    gauge(e.name, e.help, ['pid', 'name'], (g) => {
      for (const p of processes()) {
        const s = p.samples.find((x) => x.name === e.from);
        if (s && Number.isFinite(s.value)) g.set({ pid: String(p.info.pid), name: p.info.name.slice(0, 64) }, s.value);
      }
    });
  }
  gauge('breakwater_process_exported', `Processes exported in this scrape (at most ${MAX_EXPORTED_PROCESSES}: those using the most CPU, then memory).`, [], (g) => g.set(processes().length));

  gauge('breakwater_agent_info', 'The agent: its host name and version (always 1).', ['host', 'version'], (g) => g.set({ host: source.name, version: source.version }, 1));
  gauge('breakwater_agent_connected', 'Whether the agent is connected to the control plane now (1) or not (0).', [], (g) => g.set(source.status().state === 'connected' ? 1 : 0));
  gauge('breakwater_agent_outbox_events', 'Events waiting in the agent\'s outbox until the control plane confirms them.', [], (g) => g.set(source.status().outboxPending));
  gauge('breakwater_agent_outbox_oldest_seconds', 'How long the oldest event in the outbox has waited (0: none waiting).', [], (g) => g.set(source.status().outboxOldestAgeMs / 1000));
  gauge('breakwater_agent_commands_active', 'Commands running or queued on the agent.', [], (g) => g.set(source.status().commandsActive));
  gauge('breakwater_agent_history_bytes', 'Approximate bytes of metric history the agent holds.', [], (g) => g.set(source.status().historyBytes));
  gauge('breakwater_agent_last_collection_timestamp_seconds', 'When the newest collection was made, seconds since the Unix epoch (0: none yet).', [], (g) => g.set((source.lastSnapshot()?.time ?? 0) / 1000));
  return registry;
}

/** A sample's labels under their exported names; labels the table does not name are left out. */
function renamed(s: Sample, names: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(names ?? {})) out[to] = s.labels?.[from] ?? '';
  return out;
}

const value = (p: Snapshot['processes'][number], name: string) => p.samples.find((s) => s.name === name)?.value ?? 0;

/** The processes to export: the busiest by CPU, then by memory, at most MAX_EXPORTED_PROCESSES. */
function busiest(processes: Snapshot['processes']): Snapshot['processes'] {
  return [...processes].sort((a, b) => value(b, 'cpu_usage') - value(a, 'cpu_usage') || value(b, 'mem_rss_bytes') - value(a, 'mem_rss_bytes') || a.info.pid - b.info.pid).slice(0, MAX_EXPORTED_PROCESSES);
}
