/*
 * The agent's flags and its help, apart from the agent itself: `breakwater --help` shows them
 * without loading the agent (agent-command.ts reads them; see index.ts on what loads when).
 */

export interface FlagSpec {
  readonly flag: string;
  readonly value: string;
  readonly help: string;
  readonly repeat?: true;
  /** A switch: takes no value. */
  readonly boolean?: true;
}

/**
 * The agent's flags, read with node:util's parseArgs rather than commander: the agent binary loads
 * nothing it does not need (see agent-main.ts).
 */
export const AGENT_FLAGS: readonly FlagSpec[] = [
  { flag: 'server', value: '<url>', help: 'control plane URL (default: $BREAKWATER_SERVER)' },
  { flag: 'token', value: '<token>', help: 'join token for the first start (default: $BREAKWATER_JOIN_TOKEN; prefer it: every local user can read a command line)' },
  { flag: 'name', value: '<name>', help: "host name to register as (default: the machine's)" },
  { flag: 'tag', value: '<key=value>', help: 'a tag; repeat for more', repeat: true },
  { flag: 'data', value: '<dir>', help: 'where the agent keeps its credential' },
  { flag: 'mount', value: '<path=alias>', help: 'report only these mounts, under these names; repeat for more', repeat: true },
  { flag: 'collect-interval', value: '<duration>', help: 'metric collection interval (default 1s)' },
  { flag: 'env', value: '<key=value>', help: 'environment for every command; repeat for more', repeat: true },
  { flag: 'file-root', value: '<dir>', help: "where the host's filesystem is mounted, for file definitions (e.g. /host)" },
  { flag: 'process-root', value: '<dir>', help: 'report only processes working under this folder (lab hosts sharing one machine)' },
  { flag: 'host-proc', value: '<dir>', help: "where the host's /proc is mounted (default /proc; /host/proc in a Kubernetes pod with hostPID)" },
  { flag: 'host-cgroup', value: '<dir>', help: "where the host's cgroup tree is mounted (default /sys/fs/cgroup; /host/sys/fs/cgroup in a Kubernetes pod)" },
  { flag: 'health-file', value: '<file>', help: "keep the agent's state in this file, touched after each collection pass (for Kubernetes exec probes)" },
  { flag: 'containers', value: '<on|off>', help: 'discover containers and pods (default on, off with --process-root)' },
  { flag: 'container-socket', value: '<path>', help: "the runtime's Docker Engine API socket (default: /run/docker.sock or /run/podman/podman.sock, if there)" },
  { flag: 'cri-socket', value: '<path>', help: "the runtime's CRI socket (default: /run/containerd/containerd.sock or CRI-O's /run/crio/crio.sock, if there)" },
  { flag: 'ca', value: '<file>', help: "trust the control plane's CA from this PEM file (its <data>/tls/ca.pem; default: $BREAKWATER_CA)" },
  { flag: 'ca-fingerprint', value: '<sha256>', help: "or trust the CA whose SHA-256 fingerprint the control plane printed (default: $BREAKWATER_CA_FINGERPRINT)" },
  { flag: 'client-cert', value: '<file>', help: 'mutual TLS: a client certificate of your own (PEM; default: the one issued at enrollment, if any)' },
  { flag: 'client-key', value: '<file>', help: "that certificate's private key (PEM)" },
  { flag: 'insecure', value: '', help: 'allow plain http:// to a control plane that is not on loopback (behind a TLS proxy)', boolean: true },
  { flag: 'bus', value: '<nats-url>', help: 'scaled mode: talk to the control plane over NATS (nats://HOST:PORT; enrollment still uses --server)' },
  { flag: 'nats-creds', value: '<file>', help: 'NATS credentials file (default: <data>/nats.creds when enrollment left one, else none)' },
  { flag: 'nats-prefix', value: '<prefix>', help: 'NATS subject prefix of the fleet (default bw)' },
  { flag: 'nats-ca', value: '<file>', help: "trust the NATS server's CA from this PEM file" },
  { flag: 'metrics-listen', value: '<host:port>', help: "serve the host's and the agent's metrics for Prometheus at http://<host:port>/metrics (e.g. 127.0.0.1:9464; loopback only without --metrics-allow-remote)" },
  { flag: 'metrics-allow-remote', value: '', help: 'let --metrics-listen be an address other hosts reach (it has no token: let only your Prometheus reach it)', boolean: true },
  { flag: 'log-level', value: '<level>', help: 'debug, info, warn or error' },
];

/** The options part of the agent's help. */
export function agentUsage(): string {
  const width = Math.max(...AGENT_FLAGS.map((f) => f.flag.length + f.value.length + 3));
  const lines = AGENT_FLAGS.map((f) => `  ${`--${f.flag} ${f.value}`.padEnd(width)}  ${f.help}`);
  return `Options:\n${lines.join('\n')}\n  ${'-h, --help'.padEnd(width)}  show this help\n`;
}
