import { describe, expect, it } from 'vitest';
import { agentCommand, parseAgentFlags } from './agent-command.js';
import { processIo } from './io.js';
import { agentUsage } from './agent-flags.js';

describe('parseAgentFlags', () => {
  it('reads single and repeated flags into camelCase fields', () => {
    expect(parseAgentFlags(['--server', 'http://cp:7070', '--tag', 'role=web', '--tag', 'zone=a', '--collect-interval', '250ms', '--log-level=warn'])).toEqual({
      server: 'http://cp:7070',
      tag: ['role=web', 'zone=a'],
      collectInterval: '250ms',
      logLevel: 'warn',
    });
  });

  it('reads --containers on|off, --container-socket and --cri-socket', () => {
    expect(parseAgentFlags(['--containers', 'on', '--container-socket', '/run/podman/podman.sock'])).toEqual({ containers: 'on', containerSocket: '/run/podman/podman.sock' });
    expect(parseAgentFlags(['--cri-socket', '/run/crio/crio.sock'])).toEqual({ criSocket: '/run/crio/crio.sock' });
  });

  it('reads --host-proc, where a pod mounts the host\'s /proc, and --health-file', () => {
    expect(parseAgentFlags(['--host-proc=/host/proc', '--health-file=/tmp/h'])).toEqual({ hostProc: '/host/proc', healthFile: '/tmp/h' });
    expect(parseAgentFlags(['--host-cgroup=/host/sys/fs/cgroup'])).toEqual({ hostCgroup: '/host/sys/fs/cgroup' });
  });

  it('refuses --containers other than on or off before starting anything', async () => {
    await expect(agentCommand({ server: 'http://127.0.0.1:1', containers: 'yes' }, processIo)).rejects.toThrow('--containers: expected on or off, found "yes"');
  });

  it('asks for help with -h or --help', () => {
    expect(parseAgentFlags(['-h'])).toBe('help');
    expect(parseAgentFlags(['--server', 'x', '--help'])).toBe('help');
  });

  it('names an unknown flag and lists the known ones', () => {
    expect(() => parseAgentFlags(['--sever', 'http://cp'])).toThrow(/Unknown option '--sever' \(flags: --server, --token, .*--log-level\)/);
  });

  it('names a flag without its value', () => {
    expect(() => parseAgentFlags(['--name'])).toThrow(/--name <value>' argument missing/);
  });

  it('refuses a single-valued flag given twice', () => {
    expect(() => parseAgentFlags(['--server', 'a', '--server', 'b'])).toThrow('--server was given more than once');
  });

  it('reads --insecure as a switch and the CA flags as values', () => {
    expect(parseAgentFlags(['--server', 'http://cp:7070', '--insecure', '--ca', '/etc/bw/ca.pem'])).toEqual({ server: 'http://cp:7070', insecure: true, ca: '/etc/bw/ca.pem' });
    expect(parseAgentFlags(['--ca-fingerprint', 'AB:CD'])).toEqual({ caFingerprint: 'AB:CD' });
  });

  it('reads the scaled mode`s NATS flags', () => {
    expect(parseAgentFlags(['--server', 'https://cp:7070', '--bus', 'nats://cp:4222', '--nats-creds', '/etc/bw/agent.creds', '--nats-prefix', 'prod', '--nats-ca', '/etc/bw/nats-ca.pem'])).toEqual({
      server: 'https://cp:7070',
      bus: 'nats://cp:4222',
      natsCreds: '/etc/bw/agent.creds',
      natsPrefix: 'prod',
      natsCa: '/etc/bw/nats-ca.pem',
    });
  });

  it('refuses positional arguments', () => {
    expect(() => parseAgentFlags(['agent'])).toThrow(/Unexpected argument 'agent'/);
  });

  it('lists every flag in the help, aligned', () => {
    const lines = agentUsage().split('\n').filter((l) => l.startsWith('  --'));
    expect(lines.map((l) => l.trim().split(' ')[0])).toEqual(['--server', '--token', '--name', '--tag', '--data', '--mount', '--collect-interval', '--env', '--file-root', '--process-root', '--host-proc', '--host-cgroup', '--health-file', '--containers', '--container-socket', '--cri-socket', '--ca', '--ca-fingerprint', '--client-cert', '--client-key', '--insecure', '--bus', '--nats-creds', '--nats-prefix', '--nats-ca', '--metrics-listen', '--metrics-allow-remote', '--log-level']);
    expect(new Set(lines.map((l) => l.search(/ {2}\S/g))).size).toBe(1);
  });
});
