import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, fakeFleet, injectApp, manualClock } from '../../../test/inject-app.js';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { FindPod, PodRef } from '../integrations/index.js';
import { MAX_POD_LOOKUPS, sign } from '../integrations/index.js';
import type { SecretVault } from '../secrets/index.js';
import { integrationsRoutes } from './integrations-routes.js';

/*
 * POST /api/v1/integrations/<name>/alertmanager through the real app (inject), a real SQLite
 * store (the fingerprint claims), a fleet held in memory, and definitions from YAML through the
 * real parser. The secrets' values come from a map behind the vault's one method read here.
 * Which host runs a pod comes from a fake FindPod over a table (pod-hosts.test.ts asks a fleet).
 */

closeAppsAfterEach();

const DEFS = `
kind: secret
name: am-token
---
kind: secret
name: am-signing
---
kind: integration
name: am
type: alertmanager
credentials: { secret: am-token }
signing_secret: { secret: am-signing }
---
kind: integration
name: pager
type: pagerduty
routing_key: { secret: am-token }
---
kind: action
name: note
command: echo "$MSG"
params: { MSG: string }
---
kind: bot
name: on-down
trigger: { external: HostDown }
action: note
args: { MSG: "\${event.labels.severity}" }
cooldown: 5m
---
kind: bot
name: on-up
trigger: { external: HostDown, on: resolved }
action: note
args: { MSG: up }
cooldown: 1m
`;
const TOKEN = 'am-bearer-value-0123456789';
const SIGNING = 'am-signing-key-0123456789';
const URL = '/api/v1/integrations/am/alertmanager';

function definitions() {
  const r = parseDefinitions([{ path: 'defs.yaml', text: DEFS }], BUILTIN_CATALOGUE);
  expect(r.diagnostics).toEqual([]);
  return r.definitions;
}

/** The fleet's pods, as the fake FindPod knows them: `namespace/name` -> the hosts running one. */
const PODS: Record<string, string[]> = { 'prod/api-0': ['web-1'], 'default/web-0': ['web-1'], 'prod/twin': ['web-1', 'web-2'] };

async function setup() {
  const asked: { pod: PodRef; asker: string }[] = [];
  const findPod: FindPod = async (pod, asker) => {
    asked.push({ pod, asker });
    return { hosts: PODS[`${pod.namespace}/${pod.name}`] ?? [], asked: 2, answered: 1 };
  };
  const fleet = fakeFleet([
    { name: 'web-1', connected: true },
    { name: 'web-2', connected: false },
  ]);
  const clock = manualClock(1_770_000_000_000);
  const values: Record<string, string> = { 'am-token': TOKEN, 'am-signing': SIGNING };
  const secrets = { valuesOf: (names: readonly string[]) => Object.fromEntries(names.filter((n) => n in values).map((n) => [n, values[n] as string])) } as unknown as SecretVault;
  const defs = definitions();
  const t = await injectApp((store) => integrationsRoutes({ store, gateway: fleet, clock, remediation: { definitions: () => ({ version: 1, definitions: defs }), secrets } }, findPod));
  return { t, fleet, clock, asked };
}

const alert = (over: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'HostDown', instance: 'web-1:9100', severity: 'critical' },
  annotations: { summary: 'web-1 is down' },
  startsAt: '2026-12-06T08:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus/graph',
  fingerprint: 'a1b2c3d4',
  ...over,
});
const notification = (alerts: unknown[], status = 'firing') => ({ version: '4', groupKey: '{}:{alertname="HostDown"}', truncatedAlerts: 0, status, receiver: 'breakwater', groupLabels: { alertname: 'HostDown' }, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://alertmanager:9093', alerts });

describe('POST /api/v1/integrations/<name>/alertmanager', () => {
  it('passes a firing alert to the host its instance names, with labels and annotations, audited; a repeat within the cooldown is not passed again', async () => {
    const { t, fleet, clock } = await setup();
    const r = await t.call('POST', URL, { secret: TOKEN }, notification([alert()]));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ integration: 'am', status: 'firing', counts: { sent: 1 }, alerts: [{ fingerprint: 'a1b2c3d4', alert: 'HostDown', host: 'web-1', outcome: 'sent' }] });
    expect(fleet.log.sent).toHaveLength(1);
    expect(fleet.log.sent[0]).toMatchObject({ host: 'web-1', message: { type: 'alert', name: 'HostDown', context: { 'labels.severity': 'critical', 'annotations.summary': 'web-1 is down', fingerprint: 'a1b2c3d4', status: 'firing', integration: 'am', receiver: 'breakwater' } } });
    expect((fleet.log.sent[0]?.message as { on?: string }).on).toBeUndefined();
    expect(await t.audit()).toEqual([expect.objectContaining({ principal: 'integration:am', action: 'alert', target: 'HostDown', outcome: 'ok', detail: expect.objectContaining({ integration: 'am', status: 'firing', fingerprint: 'a1b2c3d4', host: 'web-1' }) })]);

    clock.set(1_770_000_000_000 + 299_000);
    const again = await t.call('POST', URL, { secret: TOKEN }, notification([alert()]));
    expect(again.json.alerts[0]).toMatchObject({ outcome: 'repeat', reason: "already passed on within its bots' cooldown (300s)" });
    expect(fleet.log.sent).toHaveLength(1);

    const resolved = await t.call('POST', URL, { secret: TOKEN }, notification([alert({ status: 'resolved', endsAt: '2026-12-06T08:05:00Z' })], 'resolved'));
    expect(resolved.json.alerts[0]).toMatchObject({ outcome: 'sent', host: 'web-1' });
    expect(fleet.log.sent[1]).toMatchObject({ host: 'web-1', message: { type: 'alert', name: 'HostDown', on: 'resolved', context: { status: 'resolved' } } });
  });

  it('reports each alert that goes nowhere with its reason, and passes the others', async () => {
    const { t, fleet } = await setup();
    const r = await t.call('POST', URL, { secret: TOKEN }, notification([
      alert({ fingerprint: 'f1', labels: { instance: 'web-1:9100' } }),
      alert({ fingerprint: 'f2', labels: { alertname: 'HostDown', instance: 'db-9:9100', node: 'db-9' } }),
      alert({ fingerprint: 'f3', labels: { alertname: 'HostDown', pod: 'api-9', namespace: 'prod' } }),
      alert({ fingerprint: 'f4', labels: { alertname: 'Other', host: 'web-1' } }),
      alert({ fingerprint: 'f5', labels: { alertname: 'HostDown', host: 'web-2' } }),
      alert({ fingerprint: 'f6', labels: { alertname: 'HostDown', job: 'node' } }),
      alert({ fingerprint: undefined, labels: { alertname: 'HostDown', instance: 'http://WEB-1:8080/metrics' } }),
    ]));
    expect(r.status).toBe(200);
    expect(r.json.counts).toEqual({ no_trigger: 1, no_target: 3, no_bot: 1, offline: 1, sent: 1 });
    expect(r.json.alerts.map((a: { reason?: string }) => a.reason)).toEqual([
      "the alert has no label `alertname` (the integration's trigger_label) to name its bots' trigger",
      'instance `db-9:9100` (as `db-9`) names no host of the fleet; node `db-9` names no host of the fleet',
      'pod `prod/api-9` runs on no connected host (2 agents asked, 1 of them did not answer in time; a `node` label names its host without asking)',
      'no enabled bot has the trigger `{ external: Other }`',
      'host `web-2` is not connected; Alertmanager sends it again at its repeat_interval',
      'the alert has none of the target labels `instance`, `host`, `node`, `pod`',
      undefined,
    ]);
    expect(r.json.alerts[6]).toMatchObject({ outcome: 'sent', host: 'web-1', fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(fleet.log.sent.map((s) => s.host)).toEqual(['web-1']);
  });

  it('finds the host of a pod by asking the fleet once per distinct pod, and says why when it cannot', async () => {
    const { t, fleet, asked } = await setup();
    const pod = (fingerprint: string, labels: Record<string, string>) => alert({ fingerprint, labels: { alertname: 'HostDown', ...labels } });
    const r = await t.call('POST', URL, { secret: TOKEN }, notification([
      pod('p1', { pod: 'api-0', namespace: 'prod' }),
      pod('p2', { pod: 'api-0', namespace: 'prod', severity: 'page' }),
      pod('p3', { pod: 'web-0' }),
      pod('p4', { pod: 'twin', namespace: 'prod' }),
      pod('p5', { pod: 'api-0', namespace: 'staging' }),
      pod('p6', { pod: 'twin', namespace: 'prod', node: 'web-2' }),
      pod('p7', { pod: 'bad\nname' }),
      pod('p8', { instance: 'web-1:9100', pod: 'never-asked' }),
    ]));
    expect(r.json.alerts.map((a: { outcome: string; host?: string; reason?: string }) => [a.outcome, a.reason ?? a.host])).toEqual([
      ['sent', 'web-1'],
      ['sent', 'web-1'],
      ['sent', 'web-1'],
      ['no_target', 'pod `prod/twin` is ambiguous: hosts `web-1`, `web-2` each run a pod of that name and namespace'],
      ['no_target', 'pod `staging/api-0` runs on no connected host (2 agents asked, 1 of them did not answer in time; a `node` label names its host without asking)'],
      ['offline', 'host `web-2` is not connected; Alertmanager sends it again at its repeat_interval'],
      ['no_target', 'pod `default/bad\nname` names no pod: its pod label cannot be a Kubernetes name (it may not contain a line break)'],
      ['sent', 'web-1'],
    ]);
    // Distinct pods only, each once, as the integration; none for a pod behind a target that names a host.
    expect(asked.map((a) => `${a.asker} ${a.pod.namespace}/${a.pod.name}`)).toEqual(['integration:am prod/api-0', 'integration:am default/web-0', 'integration:am prod/twin', 'integration:am staging/api-0']);
    expect(fleet.log.sent.map((s) => s.host)).toEqual(['web-1', 'web-1', 'web-1', 'web-1']);
  });

  it(`looks up at most ${MAX_POD_LOOKUPS} pods of one notification, and says so for the rest`, async () => {
    const { t, asked } = await setup();
    const alerts = Array.from({ length: MAX_POD_LOOKUPS + 2 }, (_, i) => alert({ fingerprint: `m${i}`, labels: { alertname: 'HostDown', pod: `p-${i}` } }));
    const r = await t.call('POST', URL, { secret: TOKEN }, notification(alerts));
    expect(asked).toHaveLength(MAX_POD_LOOKUPS);
    expect(r.json.counts).toEqual({ no_target: MAX_POD_LOOKUPS + 2 });
    expect(r.json.alerts.at(-1).reason).toBe(`pod \`default/p-${MAX_POD_LOOKUPS + 1}\` was not found: the notification names more than ${MAX_POD_LOOKUPS} pods, and only the first ${MAX_POD_LOOKUPS} are looked up (group_by in alertmanager.yml, e.g. by pod, makes smaller notifications)`);
  });

  it('takes an operator token, refuses a viewer\'s (403), wrong or missing credentials (401, audited)', async () => {
    const { t } = await setup();
    expect((await t.call('POST', URL, 'operator', notification([alert()]))).json.alerts[0].outcome).toBe('sent');
    const viewer = await t.call('POST', URL, 'viewer', notification([alert()]));
    expect(viewer).toMatchObject({ status: 403, json: { code: 'BW_ERR_FORBIDDEN' } });
    const wrong = await t.call('POST', URL, { secret: 'not-it' }, notification([alert()]));
    expect(wrong).toMatchObject({ status: 401, json: { code: 'BW_ERR_UNAUTHENTICATED' } });
    expect(wrong.text).not.toContain(TOKEN);
    const none = await t.call('POST', URL, undefined, notification([alert()]));
    expect(none.json.message).toContain('set http_config.authorization.credentials in alertmanager.yml');
    // Refusals are audited within a budget per address: the first one here is written.
    expect((await t.audit()).filter((e) => e.outcome === 'denied').map((e) => e.detail.reason)).toEqual([expect.stringContaining('neither integration `am`')]);
  });

  it('takes a fresh good signature over the body as sent; refuses a tampered, replayed or unsigned one', async () => {
    const { t, clock } = await setup();
    const body = JSON.stringify(notification([alert()]));
    const now = Math.floor(clock.now() / 1000);
    const post = (headers: Record<string, string>, payload = body) => t.app.inject({ method: 'POST', url: URL, headers: { 'content-type': 'application/json', ...headers }, payload });
    const good = await post({ 'x-breakwater-timestamp': String(now), 'x-breakwater-signature': sign(SIGNING, now, body) });
    expect(good.statusCode).toBe(200);
    const tampered = await post({ 'x-breakwater-timestamp': String(now), 'x-breakwater-signature': sign(SIGNING, now, body) }, body.replace('critical', 'info'));
    expect(JSON.parse(tampered.body)).toMatchObject({ code: 'BW_ERR_UNAUTHENTICATED', message: expect.stringContaining('does not match the body') });
    const old = now - 301;
    const replayed = await post({ 'x-breakwater-timestamp': String(old), 'x-breakwater-signature': sign(SIGNING, old, body) });
    expect(JSON.parse(replayed.body).message).toContain('more than 300s');
    expect((await post({ 'x-breakwater-signature': 'v1=00' })).statusCode).toBe(401);
  });

  it('refuses a body that is not a notification (400, naming the field), an unknown integration and one of another type (404)', async () => {
    const { t, fleet } = await setup();
    const bad = await t.call('POST', URL, { secret: TOKEN }, { ...notification([alert()]), version: '3' });
    expect(bad).toMatchObject({ status: 400, json: { code: 'BW_ERR_INVALID_REQUEST', message: 'invalid Alertmanager notification: version: expected Alertmanager\'s webhook version "4"' } });
    const many = await t.call('POST', URL, { secret: TOKEN }, notification(Array.from({ length: 1001 }, () => alert())));
    expect(many.json.message).toContain('at most 1000 alerts per notification; set max_alerts in alertmanager.yml');
    const label = await t.call('POST', URL, { secret: TOKEN }, notification([alert({ labels: { 'bad-name': 'x' } })]));
    expect(label.json.message).toContain('alerts.0.labels');
    expect((await t.call('POST', '/api/v1/integrations/nope/alertmanager', 'operator', notification([alert()]))).json).toMatchObject({ code: 'BW_ERR_NOT_FOUND', message: 'no integration `nope`: the alertmanager integrations are `am`' });
    expect((await t.call('POST', '/api/v1/integrations/pager/alertmanager', 'operator', notification([alert()]))).json.message).toBe('integration `pager` is of type pagerduty, not alertmanager');
    expect(fleet.log.sent).toEqual([]);
  });

  it('fuzz: 300 mangled notifications each get a 2xx or a 4xx with a code, never a 500', async () => {
    const { t } = await setup();
    let seed = 15;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const junk = [null, 0, -1, 1e308, '', 'x'.repeat(70_000), [], {}, { a: 1 }, true, '\u0000', '__proto__'];
    const pick = <T>(xs: readonly T[]): T => structuredClone(xs[Math.floor(rand() * xs.length)] as T);
    for (let i = 0; i < 300; i++) {
      const body: Record<string, unknown> = JSON.parse(JSON.stringify(notification([alert(), alert({ fingerprint: 'z' })])));
      const target = rand() < 0.5 ? body : ((body.alerts as Record<string, unknown>[])[0] as Record<string, unknown>);
      const key = pick([...Object.keys(target), 'labels', '__proto__', 'constructor']);
      target[key] = pick(junk);
      const labels = target.labels;
      if (rand() < 0.2 && typeof labels === 'object' && labels !== null && !Array.isArray(labels)) (labels as Record<string, unknown>)[pick(['alertname', 'instance', 'x'])] = pick(junk);
      const r = await t.call('POST', URL, { secret: TOKEN }, rand() < 0.1 ? JSON.stringify(body).slice(0, Math.floor(rand() * 200)) : body);
      expect(r.status === 200 || (r.status >= 400 && r.status < 500 && typeof r.json?.code === 'string'), `case ${i}: ${r.status} ${r.text.slice(0, 200)}`).toBe(true);
    }
  });
});
