import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TAG_KEY } from '../../protocol/index.js';
import type { ContainerInfo } from './catalog.js';
import { labelTagName, labelTags, podsOf } from './pods.js';

const container = (id: string, labels: Record<string, string>): ContainerInfo => ({ id: id.repeat(64), runtime: 'cri', cgroupPath: '/', initPid: 1, pids: [1], name: '', image: '', state: 'running', created: undefined, labels, metadataFrom: 'oci' });

describe('label tags', () => {
  it('names a label as the language can write it', () => {
    expect(labelTagName('app')).toBe('app');
    expect(labelTagName('io.kubernetes.pod.name')).toBe('io_kubernetes_pod_name');
    expect(labelTagName('app.kubernetes.io/part-of')).toBe('app_kubernetes_io_part_of');
    expect(labelTagName('9lives')).toBe('_9lives');
  });

  it('keeps the first of two labels that make one name, and own properties only', () => {
    expect(labelTags({ 'a-b': '2', 'a.b': '1', constructor: 'c', toString: 't' })).toEqual({ a_b: '2', constructor: 'c', toString: 't' });
  });

  it('makes only names the language and the protocol accept (bounded fuzz)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 100 }), fc.string({ maxLength: 20 }), { maxKeys: 10 }), (labels) => {
        for (const name of Object.keys(labelTags(labels))) {
          expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/);
          expect(name).toMatch(TAG_KEY);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('podsOf', () => {
  it('groups containers by the kubelet’s pod labels, with the tags they all share', () => {
    const pod = { 'io.kubernetes.pod.name': 'web-1', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.uid': 'u-1', app: 'web' };
    const pods = podsOf([
      container('a', { ...pod, 'io.kubernetes.container.name': 'nginx', tier: 'front' }),
      container('b', { app: 'other' }),
      container('c', { ...pod, 'io.kubernetes.container.name': 'envoy', tier: 'mesh' }),
    ]);
    expect(pods).toEqual([{ name: 'web-1', namespace: 'shop', uid: 'u-1', containers: ['a'.repeat(64), 'c'.repeat(64)], tags: { app: 'web', io_kubernetes_pod_name: 'web-1', io_kubernetes_pod_namespace: 'shop', io_kubernetes_pod_uid: 'u-1' } }]);
  });

  it('groups a podman pod’s containers (no kubelet labels) by the pod their cgroup names, with the pod’s own labels as tags', () => {
    const podmanPod = { id: 'f'.repeat(64), name: 'checkout', namespace: '', labels: { app: 'checkout', 'app.kubernetes.io/part-of': 'shop' }, infraId: 'i'.repeat(64) };
    const pods = podsOf([
      { ...container('i', { 'io.buildah.version': '1.28.2' }), podmanPod },
      container('b', { app: 'checkout' }),
      { ...container('w', { app: 'checkout', extra: '1' }), podmanPod },
    ]);
    expect(pods).toEqual([{ name: 'checkout', namespace: 'default', uid: 'f'.repeat(64), containers: ['i'.repeat(64), 'w'.repeat(64)], tags: { app: 'checkout', app_kubernetes_io_part_of: 'shop' } }]);
    // The kubelet's labels win over podman's pod (a kubelet on podman is not a thing, but labels are anyone's).
    expect(podsOf([{ ...container('k', { 'io.kubernetes.pod.name': 'kube' }), podmanPod }]).map((p) => [p.name, p.namespace])).toEqual([['kube', 'default']]);
  });

  it('leaves each container’s tags whole (they are cached per labels object, and a pod keeps fewer)', () => {
    const labels = { 'io.kubernetes.pod.name': 'p', 'io.kubernetes.container.name': 'a', tier: 'front' };
    const first = labelTags(labels);
    expect(labelTags(labels)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const [pod] = podsOf([container('a', labels), container('b', { 'io.kubernetes.pod.name': 'p', tier: 'mesh' })]);
    expect(pod?.tags).toEqual({ io_kubernetes_pod_name: 'p' });
    expect(labelTags(labels)).toEqual({ io_kubernetes_container_name: 'a', io_kubernetes_pod_name: 'p', tier: 'front' });
    // Equal labels in another object are renamed afresh, to the same tags.
    expect(labelTags({ ...labels })).not.toBe(first);
    expect(labelTags({ ...labels })).toEqual(first);
  });
});
