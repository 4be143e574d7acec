import type { HostFacts, MetricSource, OnDemandMetric, ProcessInfo, Sample, Snapshot } from './types.js';

/*
 * SyntheticSource: a host that does not exist, for load tests that run thousands of simulated
 * agents in one process. No I/O; values are pseudo-random but deterministic: the same seed gives
 * the same sequence of values, pass after pass (the clock only stamps snapshots and drives
 * uptimes). Values wander like a real host's: cpu_usage on a bounded random walk over 0–100 with
 * occasional bursts, load averages smoothed from it, disks that fill slowly and get cleaned up,
 * and a handful of processes (systemd, sshd, cron, nginx master and workers, postgres, an app).
 *
 * `override()` pins a host metric to a value, for fault injection (`disk_usage{mount="/"}` = 97).
 */

/** Every synthetic process's soft RLIMIT_NOFILE: systemd's default for services. */
const SYNTHETIC_FD_LIMIT = 1024;

export interface SyntheticSourceOptions {
  readonly hostname: string;
  readonly seed: number | string;
  /** Wall clock, ms since the epoch (default Date.now). */
  readonly clock?: () => number;
}

type Labels = Readonly<Record<string, string>>;

/** mulberry32: tiny, fast, good enough for simulated metrics. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string seed; numbers are used as they are. */
function seedOf(seed: number | string): number {
  if (typeof seed === 'number') return seed >>> 0 || 1;
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}

const GiB = 1024 ** 3;

interface Disk {
  readonly labels: Labels;
  readonly size: number;
  usage: number;
  inodes: number;
  /** ext4's default: one inode per 16 KiB. */
  readonly inodeTotal: number;
  readonly growth: number;
}

interface FakeProcess {
  readonly info: ProcessInfo;
  cpu: number;
  readonly cpuMean: number;
  rss: number;
  readonly rssBase: number;
  readonly threads: number;
  readonly fds: number;
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

export class SyntheticSource implements MetricSource {
  private readonly rand: () => number;
  private readonly clock: () => number;
  private readonly hostFacts: HostFacts;
  private readonly cores: number;
  private readonly memTotal: number;
  private readonly swapTotal: number;
  private readonly bootTime: number;
  private readonly disks: Disk[];
  private readonly ifaceLabels: Labels = Object.freeze({ iface: 'eth0' });
  private readonly procs: FakeProcess[];
  private readonly overrides = new Map<string, Sample>();
  private cpu: number;
  private burst = 0;
  private mem: number;
  private swap: number;
  private load1: number;
  private load5: number;
  private load15: number;
  private rx: number;
  private baseProcesses: number;

  constructor(options: SyntheticSourceOptions) {
    const r = prng(seedOf(options.seed));
    this.rand = r;
    this.clock = options.clock ?? Date.now;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const hex = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16)).join('');
    const arch = r() < 0.8 ? 'x64' : 'arm64';
    this.hostFacts = {
      hostname: options.hostname,
      machineId: hex,
      os: 'linux',
      distro: pick(['debian 12', 'ubuntu 22.04', 'ubuntu 24.04', 'rhel 9.4', 'amzn 2023']),
      arch,
      kernel: pick(['6.1.0-18', '5.15.0-105', '6.8.0-31', '5.14.0-427']) + (arch === 'x64' ? '-amd64' : '-arm64'),
      ip: `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`,
    };
    this.cores = pick([2, 4, 8, 16]);
    this.memTotal = pick([4, 8, 16, 32, 64]) * GiB;
    this.swapTotal = r() < 0.3 ? 2 * GiB : 0;
    this.bootTime = Math.floor(this.clock() / 1000) - Math.floor(3600 + r() * 90 * 86400);
    this.cpu = 5 + r() * 40;
    this.mem = 20 + r() * 50;
    this.swap = this.swapTotal > 0 ? r() * 10 : 0;
    this.load1 = this.load5 = this.load15 = (this.cpu / 100) * this.cores;
    this.rx = 1e4 + r() * 1e6;
    this.baseProcesses = 90 + Math.floor(r() * 200);
    const disk = (mount: string, device: string, size: number): Disk => ({
      labels: Object.freeze({ mount, device, fstype: 'ext4' }),
      size,
      usage: 10 + r() * 70,
      inodes: 1 + r() * 20,
      inodeTotal: Math.floor(size / 16384),
      growth: r() * 0.002, // percent per pass
    });
    this.disks = [disk('/', '/dev/sda1', pick([20, 40, 80]) * GiB), disk('/var', '/dev/sdb1', pick([50, 100, 500]) * GiB)];

    const nowSec = Math.floor(this.clock() / 1000);
    const started = (): number => this.bootTime + 5 + Math.floor(r() * Math.max(1, nowSec - this.bootTime - 60));
    let nextPid = 300 + Math.floor(r() * 2000);
    const proc = (name: string, cmdline: string, user: string, ppid: number, cpuMean: number, rssMiB: number, threads: number, pid = nextPid++): FakeProcess => ({
      info: Object.freeze({ pid, ppid, name, cmdline, user, state: 'S', startTime: pid === 1 ? this.bootTime + 1 : started() }),
      cpu: cpuMean,
      cpuMean,
      rss: rssMiB * 1024 * 1024,
      rssBase: rssMiB * 1024 * 1024,
      threads,
      fds: 8 + Math.floor(r() * 200),
    });
    const init = proc('systemd', '/sbin/init', 'root', 0, 0.1, 12, 1, 1);
    const nginx = proc('nginx', 'nginx: master process /usr/sbin/nginx', 'root', 1, 0.1, 8, 1);
    const app = pick([
      ['java', 'java -Xmx2g -jar /opt/app/app.jar', 'app', 40, 900, 60],
      ['node', 'node /srv/app/server.js', 'app', 15, 250, 11],
      ['python3', 'python3 -m gunicorn app:wsgi', 'app', 10, 180, 4],
    ] as const);
    this.procs = [
      init,
      proc('sshd', 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups', 'root', 1, 0.05, 9, 1),
      proc('cron', '/usr/sbin/cron -f', 'root', 1, 0.01, 3, 1),
      nginx,
      proc('nginx', 'nginx: worker process', 'www-data', nginx.info.pid, 2, 14, 1),
      proc('nginx', 'nginx: worker process', 'www-data', nginx.info.pid, 2, 14, 1),
      proc('postgres', '/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main', 'postgres', 1, 3, 120, 1),
      proc(app[0], app[1], app[2], 1, app[3], app[4], app[5]),
    ];
  }

  async facts(): Promise<HostFacts> {
    return this.hostFacts;
  }

  async onDemand(pid: number, metric: OnDemandMetric): Promise<number | undefined> {
    const fds = this.procs.find((p) => p.info.pid === pid)?.fds;
    if (fds === undefined) return undefined;
    return metric === 'fd_count' ? fds : metric === 'fd_limit' ? SYNTHETIC_FD_LIMIT : (fds / SYNTHETIC_FD_LIMIT) * 100;
  }

  /**
   * Pins a host metric (with exactly these labels) to `value` in every following snapshot;
   * `undefined` releases it. The pinned series is reported even if the host would not have it.
   */
  override(name: string, value: number | undefined, labels?: Labels): void {
    const key = overrideKey(name, labels);
    if (value === undefined) this.overrides.delete(key);
    else this.overrides.set(key, labels ? { name, labels: Object.freeze({ ...labels }), value } : { name, value });
  }

  async collect(): Promise<Snapshot> {
    const r = this.rand;
    const time = this.clock();
    const uptime = Math.max(0, time / 1000 - this.bootTime);

    // cpu: a reflected random walk, with bursts now and then.
    if (this.burst > 0) this.burst--;
    else if (r() < 0.002) this.burst = 10 + Math.floor(r() * 120);
    this.cpu += (r() - 0.5) * 8 + (this.burst > 0 ? 3 : (25 - this.cpu) * 0.01);
    if (this.cpu < 0) this.cpu = -this.cpu;
    if (this.cpu > 100) this.cpu = 200 - this.cpu;
    const cpu = clamp(this.cpu, 0, 100);
    const iowait = clamp(r() * r() * Math.min(cpu, 20), 0, 100);
    const running = (cpu / 100) * this.cores;
    this.load1 += (running - this.load1) * (1 - Math.exp(-1 / 60));
    this.load5 += (running - this.load5) * (1 - Math.exp(-1 / 300));
    this.load15 += (running - this.load15) * (1 - Math.exp(-1 / 900));
    this.mem = clamp(this.mem + (r() - 0.5) * 0.6, 5, 98);
    if (this.swapTotal > 0) this.swap = clamp(this.swap + (r() - 0.5) * 0.2 + (this.mem > 90 ? 0.3 : -0.05), 0, 100);
    this.rx = clamp(this.rx * (0.8 + r() * 0.4), 1e3, 1.2e9);

    const host: Sample[] = [
      { name: 'cpu_usage', value: cpu },
      { name: 'cpu_iowait', value: iowait },
      { name: 'load1', value: this.load1 },
      { name: 'load5', value: this.load5 },
      { name: 'load15', value: this.load15 },
      { name: 'mem_usage', value: this.mem },
      { name: 'mem_available_bytes', value: Math.round(this.memTotal * (1 - this.mem / 100)) },
      { name: 'swap_usage', value: this.swap },
    ];
    for (const d of this.disks) {
      d.usage += d.growth * r() * 2;
      if (d.usage > 96 || r() < 0.0005) d.usage = 20 + r() * 40; // a cleanup
      d.inodes = clamp(d.inodes + (r() - 0.5) * 0.01, 0, 100);
      host.push(
        { name: 'disk_usage', labels: d.labels, value: d.usage },
        { name: 'disk_free_bytes', labels: d.labels, value: Math.round(d.size * (1 - d.usage / 100)) },
        { name: 'inode_usage', labels: d.labels, value: d.inodes },
        { name: 'inode_used', labels: d.labels, value: Math.round((d.inodeTotal * d.inodes) / 100) },
        { name: 'inode_free', labels: d.labels, value: d.inodeTotal - Math.round((d.inodeTotal * d.inodes) / 100) },
      );
    }
    host.push(
      { name: 'net_rx_bytes_rate', labels: this.ifaceLabels, value: this.rx },
      { name: 'net_tx_bytes_rate', labels: this.ifaceLabels, value: this.rx * (0.2 + r() * 0.3) },
    );
    this.baseProcesses = clamp(this.baseProcesses + Math.round((r() - 0.5) * 2), 60, 2000);
    const zombies = r() < 0.01 ? 1 : 0;
    host.push(
      { name: 'process_count', value: this.baseProcesses + this.procs.length },
      { name: 'zombie_count', value: zombies },
      { name: 'fd_usage', value: 0.5 + (cpu / 100) * 2 },
      // A healthy host's OOM killer never ran; `override` makes one that did.
      { name: 'oom_kills', value: 0 },
      { name: 'uptime_seconds', value: uptime },
    );
    if (this.overrides.size > 0) applyOverrides(host, this.overrides);

    const processes: { info: ProcessInfo; samples: Sample[] }[] = [];
    for (const p of this.procs) {
      p.cpu = clamp(p.cpu + (r() - 0.5) * Math.max(0.5, p.cpuMean * 0.3) + (p.cpuMean - p.cpu) * 0.05, 0, 100 * this.cores);
      p.rss = clamp(p.rss + (r() - 0.5) * p.rssBase * 0.01, p.rssBase * 0.5, p.rssBase * 3);
      processes.push({
        info: p.info,
        samples: [
          { name: 'cpu_usage', value: p.cpu },
          { name: 'mem_rss_bytes', value: Math.round(p.rss) },
          { name: 'thread_count', value: p.threads },
          { name: 'uptime_seconds', value: Math.max(0, time / 1000 - p.info.startTime) },
        ],
      });
    }
    return { time, host, processes };
  }
}

function overrideKey(name: string, labels: Labels | undefined): string {
  if (!labels) return name;
  const names = Object.keys(labels).sort();
  return JSON.stringify([name, ...names.map((n) => [n, labels[n]])]);
}

function applyOverrides(host: Sample[], overrides: ReadonlyMap<string, Sample>): void {
  const applied = new Set<string>();
  for (let i = 0; i < host.length; i++) {
    const s = host[i]!;
    const key = overrideKey(s.name, s.labels);
    const o = overrides.get(key);
    if (o !== undefined) {
      host[i] = s.labels ? { name: s.name, labels: s.labels, value: o.value } : { name: s.name, value: o.value };
      applied.add(key);
    }
  }
  for (const [key, o] of overrides) if (!applied.has(key)) host.push(o);
}
