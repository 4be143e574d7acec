import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import type { FleetEvent } from '../src/protocol/index.js';
import { waitUntil } from './helpers.js';
import { stopLabAndContainers } from './lab-query.js';
import type { PodmanContainers } from './podman.js';
import { PodmanContainers as Podman, kubeletLabels, podmanUnavailable } from './podman.js';
import { freePort } from './scaled-failures-services.js';

/*
 * Debian's real Alertmanager notifies a lab (control plane + one real agent) through the
 * alertmanager integration: an alert posted to Alertmanager's own API runs a bot on the host its
 * `instance` label names, and its resolution runs the `on: resolved` bot and is audited. With
 * podman, a real container with the kubelet's labels makes a pod, and an alert naming only that pod
 * (and its namespace) runs a bot on the host whose agent found it; without podman that part skips loudly.
 * Needs `npm run build` (the lab starts dist/ processes). Skips loudly without the binary, unless
 * BREAKWATER_REQUIRE_SERVICES=1.
 */

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

function alertmanagerUnavailable(suite: string): string | undefined {
  if (existsSync(ALERTMANAGER)) return undefined;
  const reason = `${ALERTMANAGER} missing (install it: apt-get install -y prometheus-alertmanager)`;
  if (process.env.BREAKWATER_REQUIRE_SERVICES === '1') throw new Error(`${suite}: ${reason}; BREAKWATER_REQUIRE_SERVICES=1 makes this a failure`);
  console.warn(`\n⚠  SKIPPING ${suite}: ${reason}.\n`);
  return reason;
}

const DEFINITIONS = `
kind: integration
name: lab-am
type: alertmanager
targets: [instance, host, pod]
---
kind: action
name: note_alert
command: echo "alert $SEV $WHAT"
params: { SEV: string, WHAT: string }
---
kind: bot
name: am-fired
trigger: { external: DiskFull }
action: note_alert
args: { SEV: "\${event.labels.severity}", WHAT: "\${event.annotations.summary}" }
---
kind: bot
name: am-resolved
trigger: { external: DiskFull, on: resolved }
action: note_alert
args: { SEV: resolved, WHAT: "\${event.labels.instance}" }
---
kind: bot
name: am-pod
trigger: { external: PodCrash }
action: note_alert
args: { SEV: "\${event.labels.severity}", WHAT: "\${event.labels.namespace}/\${event.labels.pod}" }
`;

async function postAlert(base: string, alert: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([alert]) });
  expect(res.status, await res.text()).toBe(200);
}

const skip = alertmanagerUnavailable('test/alertmanager.test.ts');
const noPods = skip === undefined ? podmanUnavailable('test/alertmanager.test.ts, its pod alert') : undefined;

describe.skipIf(skip !== undefined)('the real Alertmanager notifies a lab', () => {
  it('an alert runs a bot on the host it names (by instance, or by pod), and its resolution runs the on: resolved bot', async () => {
    const run = `r${Date.now().toString(36)}`;
    const pod = { name: `api-${run}`, namespace: 'shop', uid: '5d0c7a3e-1b2f-4c6d-8e9f-0a1b2c3d4e5f' };
    let podman: PodmanContainers | undefined;
    if (!noPods) {
      podman = await Podman.start();
      await podman.run(`api-${run}`, kubeletLabels(pod, 'api'));
    }
    // Every process, as on a real host: a container's processes do not work under the lab's folder.
    const lab: Lab = await startLab({ hosts: 1, ...(podman ? { containers: { socket: podman.socket }, isolateProcesses: false } : {}) }).catch(async (e: unknown) => {
      await podman?.stop();
      throw e;
    });
    const dir = mkdtempSync(join(tmpdir(), 'bw-alertmanager-'));
    let am: ChildProcess | undefined;
    try {
      const host = lab.hosts[0]!.name;
      const plan = await lab.api<{ baseVersion: number }>('/api/v1/definitions/plan', { files: [{ path: 'am.yaml', text: DEFINITIONS }] });
      await lab.api('/api/v1/definitions/apply', { files: [{ path: 'am.yaml', text: DEFINITIONS }], baseVersion: plan.baseVersion });

      const port = await freePort();
      const tls = lab.ca ? `\n          tls_config: { ca_file: ${JSON.stringify(lab.ca)} }` : '';
      writeFileSync(
        join(dir, 'alertmanager.yml'),
        `route:
  receiver: breakwater
  group_by: [alertname, instance]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 4h
receivers:
  - name: breakwater
    webhook_configs:
      - url: ${lab.server}/api/v1/integrations/lab-am/alertmanager
        send_resolved: true
        http_config:
          authorization: { credentials: ${JSON.stringify(lab.token)} }${tls}
`,
      );
      am = spawn(ALERTMANAGER, [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], { stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      am.stderr?.on('data', (d: Buffer) => void (log = (log + d.toString()).slice(-20_000)));
      const base = `http://127.0.0.1:${port}`;
      await waitUntil('Alertmanager ready', async () => (await fetch(`${base}/-/ready`).catch(() => undefined))?.ok === true || am?.exitCode !== null, 30_000);
      expect(am.exitCode, `Alertmanager exited: ${log}`).toBeNull();

      const labels = { alertname: 'DiskFull', instance: `${host}:9100`, severity: 'critical' };
      await postAlert(base, { labels, annotations: { summary: 'data disk full' }, startsAt: new Date().toISOString() });
      const ran = async (bot: string) => (await lab.api<FleetEvent[]>('/api/v1/events?limit=200')).filter((e) => e.type === 'bot_ran' && e.bot === bot);
      await waitUntil('bot am-fired ran', async () => (await ran('am-fired')).length === 1, 60_000).catch((e: Error) => {
        throw new Error(`${e.message}; Alertmanager's log: ${log.slice(-3000)}`);
      });
      const [fired] = await ran('am-fired');
      expect(fired).toMatchObject({ host, bot: 'am-fired', action: 'note_alert' });
      expect(fired?.details).toMatchObject({ ok: true, args: { SEV: 'critical', WHAT: 'data disk full' }, trigger: 'external DiskFull fired' });
      const runs = await lab.api<{ id: string }[]>('/api/v1/runs?bot=am-fired');
      expect(runs.length).toBeGreaterThanOrEqual(1);

      await postAlert(base, { labels, annotations: { summary: 'data disk full' }, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() - 1000).toISOString() });
      await waitUntil('bot am-resolved ran', async () => (await ran('am-resolved')).length === 1, 60_000).catch((e: Error) => {
        throw new Error(`${e.message}; Alertmanager's log: ${log.slice(-3000)}`);
      });
      expect((await ran('am-resolved'))[0]?.details).toMatchObject({ ok: true, args: { SEV: 'resolved', WHAT: `${host}:9100` }, trigger: 'external DiskFull resolved' });
      const audit = await lab.api<{ action: string; target: string; detail: { status?: string } }[]>('/api/v1/audit?limit=200');
      expect(audit.filter((e) => e.action === 'alert' && e.target === 'DiskFull').map((e) => e.detail.status).sort()).toEqual(['firing', 'resolved']);
      // Repeats of the firing notification (Alertmanager re-sends at group_interval on changes) ran the bot once.
      expect(await ran('am-fired')).toHaveLength(1);

      if (podman) {
        // Only the pod names the target: the control plane asks the fleet which host runs it.
        await postAlert(base, { labels: { alertname: 'PodCrash', pod: pod.name, namespace: pod.namespace, severity: 'page' }, startsAt: new Date().toISOString() });
        await waitUntil('bot am-pod ran', async () => (await ran('am-pod')).length === 1, 60_000).catch((e: Error) => {
          throw new Error(`${e.message}; Alertmanager's log: ${log.slice(-3000)}`);
        });
        const [onPod] = await ran('am-pod');
        expect(onPod).toMatchObject({ host, bot: 'am-pod', action: 'note_alert' });
        expect(onPod?.details).toMatchObject({ ok: true, args: { SEV: 'page', WHAT: `shop/${pod.name}` } });
      }
    } finally {
      am?.kill('SIGTERM');
      await stopLabAndContainers(lab, podman);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
