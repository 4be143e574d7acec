import { describe, expect, it } from 'vitest';
import { alarmContext, runbookTarget } from './runbook-link.js';

describe('alarm -> runbook link', () => {
  const site = { alarm: 'data-disk-full', host: 'web-1', resource: 'web-1', severity: 'critical', value: 95.123 };

  it('an http(s) URL is opened as it is', () => {
    expect(runbookTarget('https://runbooks.example.com/disk?x=1', { host: 'web-1' })).toEqual({ external: true, href: 'https://runbooks.example.com/disk?x=1' });
    expect(runbookTarget('HTTP://wiki/disk', {})).toMatchObject({ external: true });
  });

  it('a name opens the Runbooks page by name with the context as parameter values, never overriding the selection', () => {
    const t = runbookTarget('disk full', { host: 'web-1', mount: '/data', id: 'x', runbook: 'other' });
    expect(t.external).toBe(false);
    const url = new URL(t.href, 'http://ui');
    expect(url.pathname).toBe('/runbooks');
    expect(Object.fromEntries(url.searchParams)).toEqual({ runbook: 'disk full', host: 'web-1', mount: '/data' });
    // Not a URL scheme the browser would run.
    expect(runbookTarget('javascript:alert(1)', {}).href).toBe('/runbooks?runbook=javascript%3Aalert%281%29');
  });

  it('fills host, alarm and the labels and filters the definition states', () => {
    expect(alarmContext(site, { query: 'host | role = "web" and zone = "a"', fire: 'disk_usage{mount="/data"} > 90' })).toEqual({
      role: 'web',
      zone: 'a',
      mount: '/data',
      alarm: 'data-disk-full',
      severity: 'critical',
      value: '95.12',
      resource: 'web-1',
      host: 'web-1',
    });
  });

  it('a process alarm gives the process name (as process and service) and its pid', () => {
    const ctx = alarmContext({ ...site, resource: 'web-1/4242', value: null }, { query: 'process | name = "nginx"', fire: 'mem_rss_bytes > 1GB' });
    expect(ctx).toMatchObject({ name: 'nginx', process: 'nginx', service: 'nginx', pid: '4242', host: 'web-1', resource: 'web-1/4242' });
    expect(ctx.value).toBeUndefined();
  });

  it('what only some firing resources have is not a fact: either side of an `or`, under `not`', () => {
    const ctx = alarmContext(site, { query: 'host | role = "web" or role = "api"', fire: 'not disk_usage{mount="/"} > 90 and disk_usage{mount="/data"} > 95' });
    expect(ctx.role).toBeUndefined();
    expect(ctx.mount).toBe('/data');
  });

  it('an equality inside a list item is not a fact; one inside a call argument or a range is', () => {
    const ctx = alarmContext(site, { query: 'host | zone in [role = "web"]', fire: 'count_true(disk_usage{mount="/data"} > 90, 60s) >= 48 and avg(net_rx_bytes_rate{iface="eth0"}[5m]) > 1MB' });
    expect(ctx.role).toBeUndefined();
    expect(ctx).toMatchObject({ mount: '/data', iface: 'eth0' });
  });

  it('the event wins over the definition', () => {
    expect(alarmContext(site, { query: 'host | host = "elsewhere" and alarm = "x"', fire: 'cpu_usage > 1' })).toMatchObject({ host: 'web-1', alarm: 'data-disk-full' });
  });
});
