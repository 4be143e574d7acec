import { attr, m } from './catalogue-build.js';
import type { ResourceSpec } from './catalogue.js';

/* The container and pod resource types of the catalogue (src/lang/catalogue.ts), apart for size. */

export const CONTAINER: ResourceSpec = {
  name: 'container',
  description: 'A container on a host or in a pod. Carries its labels as tags.',
  inventory: false,
  related: ['host', 'pod', 'process'],
  env: ['BW_HOST', 'BW_CONTAINER_ID', 'BW_CONTAINER_NAME', 'BW_RESOURCE_TYPE'],
  example: 'container | image =~ "nginx:.*" | cpu_usage',
  attributes: [
    attr('id', 'string', 'Container id.'),
    attr('name', 'string', 'Container name.'),
    attr('image', 'string', 'Image reference.'),
    attr('state', 'string', 'Runtime state, e.g. `running`, `exited`.'),
    attr('host', 'string', 'Name of the host it runs on.'),
    attr('pod', 'string', 'Name of its pod, if any.'),
    attr('runtime', 'string', 'What runs it, from its cgroup: `docker`, `containerd`, `cri-o`, `podman`, or `cri` (a Kubernetes layout that does not say).'),
    { ...attr('init_pid', 'number', 'Host pid of its first process (the one its runtime started).'), shownAs: 'identifier' },
    { ...attr('created', 'number', 'When it was created, seconds since the Unix epoch (no value when neither its runtime nor its OCI state says).', 'seconds'), shownAs: 'timestamp' },
    attr('tags', 'string', 'Its tags (its labels, under the names of tags) as one JSON object, keys sorted, at most 4096 characters: `container | distinct(tags)` lists the tags in use.'),
  ],
  metrics: [
    m('cpu_usage', 'percent', 'CPU time used over the last second, as a share of one core (200 % is two cores busy).', 'container | cpu_usage > 90'),
    m('cpu_limit_usage', 'percent', 'CPU time used over the last second, as a share of its CPU limit (`cpu.max`, or the CFS quota over its period); no value without a limit.', 'container | cpu_limit_usage > 80'),
    m('mem_usage_bytes', 'bytes', 'Memory charged to its cgroup, page cache included.', 'container | mem_usage_bytes > 1GiB'),
    m('mem_working_set_bytes', 'bytes', 'Memory usage less the inactive file cache the kernel reclaims first: what the kubelet and the OOM killer weigh.', 'container | mem_working_set_bytes > 900MiB'),
    m('mem_rss_bytes', 'bytes', 'Anonymous (resident, not file-backed) memory of its processes.', 'container | mem_rss_bytes > 1GiB'),
    m('mem_limit_bytes', 'bytes', 'Its memory limit; no value without a limit.', 'container | mem_working_set_bytes / mem_limit_bytes > 0.9'),
    m('oom_kill_count', 'count', 'Processes the OOM killer has killed in it since it started.', 'container | oom_kill_count > 0'),
    m('pid_count', 'count', 'Processes and threads in it.', 'container | pid_count > 1000'),
    m('io_read_bytes_rate', 'bytes_per_second', 'Bytes read from block devices per second, over the last second.', 'container | io_read_bytes_rate > 50MB'),
    m('io_write_bytes_rate', 'bytes_per_second', 'Bytes written to block devices per second, over the last second.', 'container | io_write_bytes_rate > 50MB'),
    m('net_rx_bytes_rate', 'bytes_per_second', 'Bytes received per second over the last second, on every interface of its network namespace but loopback.', 'container | net_rx_bytes_rate > 10MB'),
    m('net_tx_bytes_rate', 'bytes_per_second', 'Bytes sent per second over the last second, on every interface of its network namespace but loopback.', 'container | net_tx_bytes_rate > 10MB'),
    m('restart_count', 'count', 'Restarts as its runtime counts them: the kubelet\'s (the CRI\'s attempt number) or its restart policy\'s (the Docker Engine API\'s `RestartCount`); no value when no runtime API answers.', 'container | restart_count > 3'),
  ],
};

export const POD: ResourceSpec = {
  name: 'pod',
  description: 'A Kubernetes pod. Carries its labels as tags.',
  inventory: false,
  related: ['host', 'container'],
  env: ['BW_HOST', 'BW_POD', 'BW_NAMESPACE', 'BW_RESOURCE_TYPE'],
  example: 'pod | namespace = "prod" | app = "checkout" | container | `cat /proc/loadavg`',
  attributes: [
    attr('name', 'string', 'Pod name.'),
    attr('namespace', 'string', 'Kubernetes namespace.'),
    attr('node', 'string', 'Name of the node (host) it is scheduled on.'),
    attr('phase', 'string', 'Pod phase: `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.'),
    attr('containers', 'number', 'How many of its containers run on the node.', 'count'),
    attr('tags', 'string', 'The tags all its containers share, as one JSON object, keys sorted, at most 4096 characters.'),
  ],
  metrics: [
    m('cpu_usage', 'percent', 'CPU time used by its containers over the last second, as a share of one core.', 'pod | cpu_usage > 90'),
    m('mem_usage_bytes', 'bytes', 'Memory charged to its containers, page cache included.', 'pod | mem_usage_bytes > 2GB'),
    m('mem_working_set_bytes', 'bytes', 'Working set of its containers (usage less inactive file cache).', 'pod | mem_working_set_bytes > 2GB'),
    m('mem_rss_bytes', 'bytes', 'Anonymous memory of its containers.', 'pod | mem_rss_bytes > 2GB'),
    m('oom_kill_count', 'count', 'OOM kills in its containers, summed.', 'pod | oom_kill_count > 0'),
    m('pid_count', 'count', 'Processes and threads in its containers.', 'pod | pid_count > 2000'),
    m('io_read_bytes_rate', 'bytes_per_second', 'Bytes its containers read from block devices per second.', 'pod | io_read_bytes_rate > 50MB'),
    m('io_write_bytes_rate', 'bytes_per_second', 'Bytes its containers write to block devices per second.', 'pod | io_write_bytes_rate > 50MB'),
    m('net_rx_bytes_rate', 'bytes_per_second', 'Bytes received per second by its network namespace (shared by its containers, counted once).', 'pod | net_rx_bytes_rate > 10MB'),
    m('net_tx_bytes_rate', 'bytes_per_second', 'Bytes sent per second by its network namespace (shared by its containers, counted once).', 'pod | net_tx_bytes_rate > 10MB'),
    m('restart_count', 'count', 'Container restarts, summed.', 'pod | restart_count > 5'),
  ],
};
