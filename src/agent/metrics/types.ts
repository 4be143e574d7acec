/** Attributes of a process as /proc shows them. */
export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** comm, e.g. `nginx`. */
  readonly name: string;
  readonly cmdline: string;
  readonly user: string;
  /** Kernel state letter: R, S, D, Z, T, ... */
  readonly state: string;
  /** Seconds since the Unix epoch. */
  readonly startTime: number;
}

/** One numeric sample of one series: a metric name plus labels (`disk_usage{mount="/"}`). */
export interface Sample {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Everything one collection pass saw at one instant. */
export interface Snapshot {
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
  /** Host metrics: cpu_usage, load1, disk_usage{mount,device,fstype}, ... */
  readonly host: readonly Sample[];
  /**
   * Per process: its attributes and cpu_usage, mem_rss_bytes, thread_count, uptime_seconds. A real
   * source's readings are its own objects, rewritten by its next collect() as soon as that starts
   * (see ProcessReading): copy what must outlive the pass.
   */
  readonly processes: readonly { readonly info: ProcessInfo; readonly samples: readonly Sample[] }[];
  /** The names the pass listed in procfs (`root`: where it is mounted), every one, for the container discovery to use rather than list it again. */
  readonly procListing?: ProcListing;
}

/** A listing of a procfs directory: its entries' names, as `readdir` gave them. */
export interface ProcListing {
  readonly root: string;
  readonly names: readonly string[];
}

/** Static facts about the host, read once at start (and on demand). */
export interface HostFacts {
  readonly hostname: string;
  readonly machineId: string;
  readonly os: string;
  readonly distro: string;
  readonly arch: string;
  readonly kernel: string;
  readonly ip: string;
}

/**
 * Process metrics read only when a statement asks for them, for the processes it selected by then:
 * counting /proc/<pid>/fd of every process every second would cost more than the whole scan.
 */
export const ON_DEMAND_METRICS = ['fd_count', 'fd_limit', 'fd_usage'] as const;
export type OnDemandMetric = (typeof ON_DEMAND_METRICS)[number];

/**
 * Where metrics come from. The real source reads /proc and statfs; the swarm's
 * synthetic agents generate values; tests use fakes.
 */
export interface MetricSource {
  facts(): Promise<HostFacts>;
  /** One collection pass. Called once a second; must not spawn processes. */
  collect(): Promise<Snapshot>;
  /** Metrics too costly to collect every second, read on demand for the processes a statement selects (`fd_count` of one process). */
  onDemand(pid: number, metric: OnDemandMetric): Promise<number | undefined>;
  /** Cheap host metrics only (disk, memory, load), for alarms faster than the collection. */
  collectFast?(): Promise<Sample[]>;
}

/** Label matchers as plans carry them. */
export interface LabelMatcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/**
 * Unlabelled series of one resource that a source writes together every pass (a container's
 * metrics), by position in `metrics`: the series are found once, not by name at each append.
 * A NaN value is a metric absent that pass. The writer survives a drop of its resource or a sweep
 * of a series (the next append makes them again).
 * @example
 * const w = tsdb.writer('container/abc', ['cpu_usage', 'pid_count']);
 * w.append(Date.now(), [12.5, NaN]); // pid_count absent this pass
 */
export interface SeriesWriter {
  readonly resource: string;
  readonly metrics: readonly string[];
  append(time: number, values: ArrayLike<number>): void;
}

/**
 * The agent's local time-series store: per-second samples for at least an
 * hour, coarser roll-ups for a day, in bounded memory.
 */
export interface TimeSeriesStore {
  /**
   * Adds one snapshot's samples, keyed by resource (`host`, `process/4242`). A frozen `samples`
   * array may be appended again with its samples' values rewritten, never their names or labels:
   * the store may find its series by the array's identity.
   */
  append(resource: string, time: number, samples: readonly Sample[]): void;
  /** The newest sample of each matching series, at most `maxAgeMs` old. */
  latest(resource: string, metric: string, matchers: readonly LabelMatcher[], maxAgeMs?: number): { labels: Readonly<Record<string, string>>; value: number }[];
  /** Samples of each matching series within the last `seconds` before `now`, oldest first. */
  range(resource: string, metric: string, matchers: readonly LabelMatcher[], seconds: number, now: number): { labels: Readonly<Record<string, string>>; points: { time: number; value: number }[] }[];
  /** A writer of `metrics` of one resource, appended together each pass by position: see {@link SeriesWriter}. */
  writer(resource: string, metrics: readonly string[]): SeriesWriter;
  /** Forgets a resource (a process that exited) after its history is no longer wanted. */
  drop(resource: string): void;
  /** Approximate bytes held, for the memory budget. */
  readonly bytes: number;
}
