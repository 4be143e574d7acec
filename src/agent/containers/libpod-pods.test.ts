import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENGINE_LIMITS } from './engine-api.js';
import { parseLibpodPods } from './libpod-pods.js';

const POD = '1f3e3d0caed69266f4c3c753b67c6eb1a2ee5c828eb0a77b1a5ed1da8fd789ee';
const INFRA = '9b0d430d0aeeb6b37ff127387ec56b744c61ebffce8982ba6ed1671f7cb9bd86';

describe('parseLibpodPods', () => {
  it('reads podman 4’s answer (podman kube play of a two-container manifest, as this machine’s podman gave it)', () => {
    const body = JSON.stringify([
      {
        Cgroup: '/libpod_parent',
        Containers: [{ Id: INFRA, Names: '1f3e3d0caed6-infra', Status: 'running' }],
        Created: '2026-12-06T08:36:06.602115235Z',
        Id: POD,
        InfraId: INFRA,
        Name: 'bwexp',
        Namespace: '',
        Networks: ['podman-default-kube-network'],
        Status: 'Running',
        Labels: { app: 'checkout', tier: 'web' },
      },
    ]);
    expect(parseLibpodPods(body)).toEqual(new Map([[POD, { name: 'bwexp', namespace: '', labels: { app: 'checkout', tier: 'web' }, infraId: INFRA }]]));
  });

  it('skips entries that are not pods, and refuses what is not a list', () => {
    expect([...parseLibpodPods(JSON.stringify([null, 1, { Id: 'short' }, { Id: POD, InfraId: 'x', Labels: ['a'] }])).values()]).toEqual([{ name: '', namespace: '', labels: {}, infraId: '' }]);
    expect(() => parseLibpodPods('{"message":"not found"}')).toThrow('answer is not a list of pods');
    expect(() => parseLibpodPods('<html>')).toThrow('answer is not JSON');
  });

  it('never throws on a hostile list, and keeps what it holds bounded (bounded fuzz)', () => {
    const value = fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 300 }), fc.string({ maxLength: 2000 }), { maxKeys: 200 }));
    const pod = fc.record({ Id: fc.oneof(fc.constant(POD), fc.string({ maxLength: 70 })), Name: value, Namespace: value, Labels: value, InfraId: value });
    fc.assert(
      fc.property(fc.array(pod, { maxLength: 5 }), (pods) => {
        for (const p of parseLibpodPods(JSON.stringify(pods)).values()) {
          expect(p.name.length).toBeLessThanOrEqual(253);
          expect(p.namespace.length).toBeLessThanOrEqual(63);
          expect(Object.keys(p.labels).length).toBeLessThanOrEqual(ENGINE_LIMITS.maxLabels);
          expect(p.infraId).toMatch(/^([0-9a-f]{64})?$/);
        }
      }),
      { numRuns: 200 },
    );
  });
});
