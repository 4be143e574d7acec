import { describe, expect, it } from 'vitest';
import type { BotDefinition } from '../../definitions/index.js';
import type { InventoryHost } from '../fleet/index.js';
import type { AlertmanagerIntegration } from './index.js';
import { mapAlert, sign, signatureProblem, stripPort } from './index.js';

const host = (name: string, ip = ''): InventoryHost => ({ name, agentId: name, connected: true, lastSeenAt: null, tags: {}, attrs: { ip } });
const HOSTS = [host('web-1', '10.0.0.1'), host('db-1', '10.0.0.2')];
const AM: AlertmanagerIntegration = { kind: 'integration', name: 'am', description: '', type: 'alertmanager', triggerLabel: 'alertname', targets: ['instance', 'host', 'node', 'pod'] };
const bot = (name: string, trigger: BotDefinition['trigger'], cooldownSeconds: number, enabled = true): BotDefinition => ({ kind: 'bot', name, description: '', trigger, action: 'a', args: {}, cooldownSeconds, circuitBreaker: { max: 1, windowSeconds: 60 }, offline: 'run', enabled });
const BOTS = [bot('a', { external: 'Down' }, 60), bot('b', { external: 'Down' }, 600), bot('off', { external: 'Down' }, 9000, false), bot('r', { external: 'Down', on: 'resolved' }, 30)];
const alert = (labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing') => ({ status, labels, annotations: {}, fingerprint: 'fp' });

describe('stripPort', () => {
  it.each([
    ['web-1:9100', 'web-1'],
    ['web-1', 'web-1'],
    ['10.0.0.1:9100', '10.0.0.1'],
    ['[::1]:9100', '::1'],
    ['::1', '::1'],
    ['http://web-1:8080/metrics', 'web-1'],
    ['', ''],
  ])('%s -> %s', (input, out) => expect(stripPort(input)).toBe(out));
});

describe('mapAlert', () => {
  it('finds the host by name, address or the first label of a fully qualified name; the window is the longest enabled cooldown of its status', () => {
    expect(mapAlert(AM, alert({ alertname: 'Down', instance: '10.0.0.2:9100' }), {}, HOSTS, BOTS)).toMatchObject({ ok: true, host: 'db-1', on: 'fired', windowMs: 600_000 });
    expect(mapAlert(AM, alert({ alertname: 'Down', node: 'web-1.prod.example.com' }), {}, HOSTS, BOTS)).toMatchObject({ ok: true, host: 'web-1' });
    expect(mapAlert(AM, alert({ alertname: 'Down', host: 'web-1' }, 'resolved'), {}, HOSTS, BOTS)).toMatchObject({ ok: true, on: 'resolved', windowMs: 30_000 });
  });

  it('tries the target labels in the integration\'s order, and its own trigger label', () => {
    const am = { ...AM, triggerLabel: 'rule', targets: ['host', 'instance'] as AlertmanagerIntegration['targets'] };
    expect(mapAlert(am, alert({ rule: 'Down', instance: 'db-1:1', host: 'web-1' }), {}, HOSTS, BOTS)).toMatchObject({ ok: true, alert: 'Down', host: 'web-1' });
    expect(mapAlert(am, alert({ alertname: 'Down', host: 'web-1' }), {}, HOSTS, BOTS)).toMatchObject({ ok: false, outcome: 'no_trigger' });
  });

  it('asks for a pod (namespace `default` when unlabelled) when no earlier target names a host, then targets the one host the fleet found it on', () => {
    const pod = alert({ alertname: 'Down', pod: 'api-0', host: 'nowhere' });
    expect(mapAlert(AM, pod, {}, HOSTS, BOTS)).toMatchObject({ ok: false, outcome: 'no_target', pod: { name: 'api-0', namespace: 'default' } });
    const found = (hosts: string[]) => new Map([['default/api-0', { hosts, asked: 2, answered: 2 }]]);
    expect(mapAlert(AM, pod, {}, HOSTS, BOTS, found(['db-1']))).toMatchObject({ ok: true, host: 'db-1' });
    const twice = mapAlert(AM, pod, {}, HOSTS, BOTS, found(['db-1', 'web-1']));
    expect(twice).toMatchObject({ ok: false, outcome: 'no_target', reason: 'host `nowhere` names no host of the fleet; pod `default/api-0` is ambiguous: hosts `db-1`, `web-1` each run a pod of that name and namespace' });
    expect('pod' in twice).toBe(false);
    expect(mapAlert(AM, pod, {}, HOSTS, BOTS, new Map([['default/api-0', { problem: 'the fleet could not be asked: x' }]]))).toMatchObject({ reason: expect.stringContaining('pod `default/api-0` was not found: the fleet could not be asked: x') });
  });

  it('cuts long values to what an agent takes', () => {
    const m = mapAlert(AM, { ...alert({ alertname: 'Down', host: 'web-1' }), annotations: { description: 'x'.repeat(10_000) } }, {}, HOSTS, BOTS);
    expect(m.ok && m.context['annotations.description']?.length).toBe(4096);
  });
});

describe('signatures', () => {
  it('accepts its own signature within five minutes, and nothing else', () => {
    const body = '{"version":"4"}';
    const t = 1_700_000_000;
    expect(signatureProblem('k', String(t), sign('k', t, body), body, t * 1000 + 299_000)).toBeUndefined();
    expect(signatureProblem('k', String(t), sign('k', t, body), body, t * 1000 + 301_000)).toContain('more than 300s');
    expect(signatureProblem('other', String(t), sign('k', t, body), body, t * 1000)).toContain('does not match');
    expect(signatureProblem('k', String(t + 1), sign('k', t, body), body, t * 1000)).toContain('does not match');
    expect(signatureProblem('k', 'soon', sign('k', t, body), body, t * 1000)).toContain('unix time');
    expect(signatureProblem('k', String(t), undefined, body, t * 1000)).toContain('no x-breakwater-signature');
  });
});
