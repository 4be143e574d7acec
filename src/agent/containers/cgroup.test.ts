import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CGROUP_FILE, parseCgroup } from './cgroup.js';

const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const POD = '8f3a2b1c-4d5e-4f60-9a7b-0c1d2e3f4a5b';
const LIBPOD_POD = 'fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210';
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.txt`, import.meta.url), 'utf8');

describe('parseCgroup: one fixture per runtime layout', () => {
  it.each([
    ['docker-cgroupfs-v1', 'docker', `/docker/${ID}`, undefined],
    ['docker-systemd-v2', 'docker', `/system.slice/docker-${ID}.scope`, undefined],
    ['containerd-cri-cgroupfs-v1', 'cri', `/kubepods/burstable/pod${POD}/${ID}`, POD],
    ['containerd-cri-systemd-v2', 'containerd', `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD.replaceAll('-', '_')}.slice/cri-containerd-${ID}.scope`, POD],
    ['crio-systemd-v2', 'cri-o', `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD.replaceAll('-', '_')}.slice/crio-${ID}.scope`, POD],
    ['crio-cgroupfs-v1', 'cri-o', `/kubepods/besteffort/pod${POD}/crio-${ID}`, POD],
    ['podman-systemd-v2', 'podman', `/machine.slice/libpod-${ID}.scope`, undefined],
    ['podman-rootless-systemd-v2', 'podman', `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope`, undefined],
  ])('%s', (name, runtime, cgroupPath, podUid) => {
    expect(parseCgroup(fixture(name))).toEqual({ id: ID, runtime, cgroupPath, ...(podUid ? { podUid } : {}) });
  });

  it('podman on cgroupfs v1 (taken from this project’s CI machine)', () => {
    const found = parseCgroup(fixture('podman-cgroupfs-v1'));
    expect(found?.runtime).toBe('podman');
    expect(found?.cgroupPath).toBe(`/libpod_parent/libpod-${found?.id}`);
    expect(found?.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['podman-pod-cgroupfs-v1', `/libpod_parent/${LIBPOD_POD}/libpod-${ID}`],
    ['podman-pod-systemd-v2', `/machine.slice/machine-libpod_pod_${LIBPOD_POD}.slice/libpod-${ID}.scope`],
  ])('%s: a container of a podman pod (podman kube play), with the pod’s id', (name, cgroupPath) => {
    expect(parseCgroup(fixture(name))).toEqual({ id: ID, runtime: 'podman', cgroupPath, libpodPod: LIBPOD_POD });
  });

  it('read from inside a cgroup namespace of its own (the agent in a pod): the path climbs out of it, and is kept as read', () => {
    expect(parseCgroup(fixture('containerd-cri-systemd-v2-from-pod'))).toEqual({
      id: ID,
      runtime: 'containerd',
      cgroupPath: `/../../../kubepods-burstable.slice/kubepods-burstable-pod${POD.replaceAll('-', '_')}.slice/cri-containerd-${ID}.scope`,
      podUid: POD,
    });
  });

  it.each(['host-process-v1', 'host-process-v2', 'crio-conmon-systemd-v2'])('%s is no container (a conmon scope is the runtime’s monitor)', (name) => {
    expect(parseCgroup(fixture(name))).toBeUndefined();
  });

  it('a bare id outside docker/ or a pod is not believed to be a container', () => {
    expect(parseCgroup(`0::/somewhere/${ID}\n`)).toBeUndefined();
  });

  it('looks no further than its bound', () => {
    expect(parseCgroup(`${'x'.repeat(MAX_CGROUP_FILE)}\n0::/docker/${ID}\n`)).toBeUndefined();
  });

  it('never throws on hostile text, and what it finds is well-formed (bounded fuzz)', () => {
    const segment = fc.oneof(fc.constantFrom('docker', `docker-${ID}.scope`, `libpod-${ID}`, `crio-conmon-${ID}.scope`, `pod${POD}`, ID, '', ':'), fc.string({ maxLength: 80 }));
    const line = fc.tuple(fc.string({ maxLength: 8 }), fc.array(segment, { maxLength: 8 })).map(([head, segs]) => `${head}:${segs.join('/')}`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        const found = parseCgroup(lines.join('\n'));
        if (found) {
          expect(found.id).toMatch(/^[0-9a-f]{64}$/);
          expect(found.cgroupPath.length).toBeLessThanOrEqual(MAX_CGROUP_FILE);
        }
      }),
      { numRuns: 500 },
    );
  });
});
