import { describe, expect, it } from 'vitest';

import { collectPass, fixtureTree } from '../../../../test/proc-fixture.js';
import type { Sample } from '../types.js';
import { NetCollector } from './net.js';

const rate = (host: readonly Sample[], name: string, iface: string): number | undefined => host.find((s) => s.name === name && s.labels?.iface === iface)?.value;

describe('NetCollector', () => {
  it('reports bytes per second per interface from the second pass on, loopback left out', () => {
    const tree = fixtureTree();
    const net = new NetCollector(tree.ctx);
    expect(collectPass(net, 1)).toEqual([]);

    tree.advance(2000);
    tree.write('net/dev', tree.read('net/dev').replace('1000       9', '5000      19').replace('500       6', '2500      16'));
    const host = collectPass(net, 2);
    expect(rate(host, 'net_rx_bytes_rate', 'eth0')).toBeCloseTo(2000, 10);
    expect(rate(host, 'net_tx_bytes_rate', 'eth0')).toBeCloseTo(1000, 10);
    expect(rate(host, 'net_rx_bytes_rate', 'docker0')).toBe(0);
    expect(host.some((s) => s.labels?.iface === 'lo')).toBe(false);
  });

  it('gives no rate for a counter that went backwards, then rates from the new count', () => {
    const tree = fixtureTree();
    const net = new NetCollector(tree.ctx);
    net.collect([], 1);
    tree.advance(1000);
    tree.write('net/dev', tree.read('net/dev').replace('1000       9', '  10       9'));
    const reset = collectPass(net, 2);
    expect(rate(reset, 'net_rx_bytes_rate', 'eth0')).toBeUndefined();
    tree.advance(1000);
    tree.write('net/dev', tree.read('net/dev').replace('  10       9', ' 110       9'));
    const after = collectPass(net, 3);
    expect(rate(after, 'net_rx_bytes_rate', 'eth0')).toBe(100);
  });

  it('forgets an interface that disappeared: back again, its first reading gives no rate', () => {
    const tree = fixtureTree();
    const net = new NetCollector(tree.ctx);
    const full = tree.read('net/dev');
    net.collect([], 1);
    tree.write('net/dev', full.split('\n').filter((l) => !l.includes('eth0')).join('\n'));
    tree.advance(1000);
    net.collect([], 2);
    tree.write('net/dev', full);
    tree.advance(1000);
    const back = collectPass(net, 3);
    expect(rate(back, 'net_rx_bytes_rate', 'eth0')).toBeUndefined();
    expect(rate(back, 'net_rx_bytes_rate', 'docker0')).toBe(0);
  });
});
