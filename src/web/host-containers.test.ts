import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE, analyze } from '../lang/index.js';
import type { ResultRow } from '../protocol/index.js';
import { tagsText } from '../protocol/index.js';
import { consoleHref, containerRows, containerStatement, failureText, noContainersText, noPodsText, podRows, podStatement } from './host-containers.js';

const HOST = 'web-"1"';
const statementOf = (href: string) => decodeURIComponent(href.replace(/^\/console\?q=/, ''));

describe('the host panel’s containers and pods', () => {
  it('asks statements that check, with the columns the tables show', () => {
    const c = analyze(containerStatement(HOST), BUILTIN_CATALOGUE);
    expect(c.diagnostics).toEqual([]);
    expect(c.plan?.columns.map((x) => x.name)).toEqual(['name', 'image', 'state', 'cpu_usage', 'mem_working_set_bytes', 'restart_count', 'created', 'tags']);
    const p = analyze(podStatement(HOST), BUILTIN_CATALOGUE);
    expect(p.diagnostics).toEqual([]);
    expect(p.plan?.columns.map((x) => x.name)).toEqual(['namespace', 'name', 'containers', 'cpu_usage', 'mem_working_set_bytes']);
  });

  it('links into the Console with statements on this host that check', () => {
    const links = [consoleHref(HOST, 'container'), consoleHref(HOST, 'container', { name: 'we"b' }), consoleHref(HOST, 'pod', { namespace: 'shop', name: 'checkout-7d9f8' })];
    expect(links.map(statementOf)).toEqual(['host | name = "web-\\"1\\"" | container', 'host | name = "web-\\"1\\"" | container | name = "we\\"b"', 'host | name = "web-\\"1\\"" | pod | namespace = "shop" and name = "checkout-7d9f8"']);
    for (const href of links) expect(analyze(statementOf(href), BUILTIN_CATALOGUE).ok).toBe(true);
  });

  it('reads containers from the answer, their pod from their kubelet tags', () => {
    const rows: ResultRow[] = [
      { resource: { type: 'container', id: 'h/abc', name: 'web', host: 'h' }, status: 'ok', values: { name: 'web', image: 'nginx', state: 'running', cpu_usage: 12.5, mem_working_set_bytes: 1048576, restart_count: 2, created: 1700000000, tags: tagsText({ app: 'shop', io_kubernetes_pod_name: 'checkout', io_kubernetes_pod_namespace: 'shop' }) } },
      { resource: { type: 'container', id: 'h/def', name: 'plain', host: 'h' }, status: 'ok', values: { name: 'plain', image: '', state: 'running', cpu_usage: null, tags: 'not json' } },
      // The host's failure is not a container.
      { resource: { type: 'host', id: 'h', name: 'h', host: 'h' }, status: 'offline', values: {} },
    ];
    expect(containerRows(rows)).toEqual([
      { id: 'h/abc', name: 'web', image: 'nginx', state: 'running', pod: 'shop/checkout', podNamespace: 'shop', podName: 'checkout', cpu: 12.5, mem: 1048576, restarts: 2, created: 1700000000, tags: { app: 'shop', io_kubernetes_pod_name: 'checkout', io_kubernetes_pod_namespace: 'shop' } },
      { id: 'h/def', name: 'plain', image: '', state: 'running', pod: '', podNamespace: '', podName: '', cpu: undefined, mem: undefined, restarts: undefined, created: undefined, tags: {} },
    ]);
    expect(failureText([rows[2] as ResultRow])).toBe('h did not answer: offline');
    expect(failureText([])).toBeUndefined();
  });

  it('reads pods from the answer', () => {
    const rows: ResultRow[] = [{ resource: { type: 'pod', id: 'h/shop/checkout', name: 'checkout', host: 'h' }, status: 'ok', values: { namespace: 'shop', name: 'checkout', containers: 2, cpu_usage: 3, mem_working_set_bytes: 10 } }];
    expect(podRows(rows)).toEqual([{ id: 'h/shop/checkout', namespace: 'shop', name: 'checkout', containers: 2, cpu: 3, mem: 10 }]);
  });

  it('says whether the agent looks for containers when there are none', () => {
    expect(noContainersText('web-1', 'on')).toBe('No containers on web-1 (container discovery is on).');
    expect(noContainersText('web-1', 'off')).toMatch(/^Container discovery is off on web-1's agent \(--containers off\)/);
    expect(noContainersText('web-1', '')).toMatch(/does not say whether it discovers containers/);
    expect(noPodsText('web-1', 'off')).toBe('No pods on web-1 (container discovery is off): pods come from the labels the kubelet puts on containers.');
    expect(noPodsText('web-1', 'on')).toBe('No pods on web-1: pods come from the labels the kubelet puts on containers.');
  });
});
