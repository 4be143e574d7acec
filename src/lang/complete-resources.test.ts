import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from './catalogue.js';
import type { FleetValues } from './complete.js';
import { complete, fleetValues, resourceValues, resourcesNamed } from './complete.js';

const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
const HOSTS = fleetValues([{ tags: { role: 'web' }, attributes: { name: 'web-1' } }], byName);
const FLEET: FleetValues = {
  ...HOSTS,
  resources: {
    container: resourceValues(
      [
        { tags: { app: 'checkout', io_kubernetes_pod_name: 'checkout-7d9f8' }, attributes: { name: 'web', image: 'nginx:1.27', pod: 'checkout-7d9f8' } },
        { tags: { app: 'batch', team_name: 'ops' }, attributes: { name: 'plain-2', image: '', pod: '' } },
        { tags: { app: 'checkout' }, attributes: { name: 'plain-10', image: 'busybox' } },
      ],
      byName,
    ),
    pod: resourceValues([{ tags: { app: 'checkout' }, attributes: { name: 'checkout-7d9f8', namespace: 'shop' } }], byName),
  },
};

/** `‸` marks the cursor. */
const labels = (text: string, fleet = FLEET) => complete(text.replace('‸', ''), text.indexOf('‸'), BUILTIN_CATALOGUE, fleet)?.candidates.map((c) => c.label);
const tags = (text: string) => complete(text.replace('‸', ''), text.indexOf('‸'), BUILTIN_CATALOGUE, FLEET)?.candidates.filter((c) => c.kind === 'tag');

describe('completion on containers and pods', () => {
  it('offers the tags containers carry after `container |` and `host | container |`, not the hosts’', () => {
    for (const text of ['container | ‸', 'host | container | ‸', 'host | role = "web" | container | cpu_usage > 1 and ‸']) {
      expect(tags(text)?.map((c) => c.label)).toEqual(['app', 'io_kubernetes_pod_name', 'team_name']);
    }
    expect(tags('container | a‸')).toEqual([{ label: 'app', insert: 'app', kind: 'tag', detail: 'batch, checkout' }]);
    expect(tags('pod | ‸')?.map((c) => c.label)).toEqual(['app']);
    // Hosts keep their own tags after traversing back.
    expect(tags('container | host | ‸')?.map((c) => c.label)).toEqual(['role']);
  });

  it('offers their tags’ values and their attributes’ values inside the quotes', () => {
    expect(labels('container | app = "‸')).toEqual(['batch', 'checkout']);
    expect(labels('host | container | team_name = "‸')).toEqual(['ops']);
    expect(labels('container | name = "‸')).toEqual(['plain-2', 'plain-10', 'web']);
    expect(labels('container | image in ["‸')).toEqual(['busybox', 'nginx:1.27']);
    expect(labels('container | pod = "‸')).toEqual(['checkout-7d9f8']);
    expect(labels('pod | namespace = "‸')).toEqual(['shop']);
    expect(labels('pod | app = "c‸')).toEqual(['checkout']);
    // A host's name is not a container's.
    expect(labels('host | name = "‸')).toEqual(['web-1']);
  });

  it('offers no container tags and no values before they are known', () => {
    expect(labels('container | app = "‸', HOSTS)).toBeUndefined();
    expect(complete('container | ', 12, BUILTIN_CATALOGUE, HOSTS)?.candidates.filter((c) => c.kind === 'tag')).toEqual([]);
  });

  it('says which of the two a statement names, as a stage', () => {
    expect(resourcesNamed('container | ')).toEqual(['container']);
    expect(resourcesNamed('host | container')).toEqual(['container']);
    expect(resourcesNamed('pod|container | app = "')).toEqual(['container', 'pod']);
    expect(resourcesNamed('host | role = "containers" | cpu_usage')).toEqual([]);
    expect(resourcesNamed('host | podman_thing')).toEqual([]);
  });
});
