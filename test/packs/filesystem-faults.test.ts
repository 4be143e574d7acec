import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { chmod, mkdir, utimes, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import type { ResultRow } from '../../src/protocol/index.js';
import type { AuditRow } from '../scenarios/scenario-helpers.js';
import { jsonLines } from '../scenarios/scenario-helpers.js';
import type { FleetEventRow, RunDetail } from './pack-lab.js';
import { botTimeline, cli, events, installPack, labHost, packLab, query, waitFor } from './pack-lab.js';

/*
 * The filesystem packs (issue 16), each against its real fault on its own lab host:
 * - inode-exhaustion (web-1): a tmpfs of 200 inodes filled by a real process until ENOSPC;
 * - read-only-filesystem-quarantine (web-2): its /var/tmp tmpfs remounted read-only;
 * - stale-pid-lock (db-3): a small service killed -9, leaving its pid file behind;
 * - tls-certificate-expiry (cache-4): a self-signed certificate that expires in a day.
 * One lab, all four packs installed once with short intervals.
 */

/** A webhook on loopback: what the control plane notifies (alarm_fired of critical alarms). */
const received: FleetEventRow[] = [];
const receiver: Server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8').on('data', (d: string) => (body += d));
  req.on('end', () => {
    received.push((JSON.parse(body) as { event: FleetEventRow }).event);
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks/breakwater`;

/** Each pack with the values this lab installs it with: paths relative to the host's root, short intervals. */
const PACKS: Record<string, Record<string, string>> = {
  'inode-exhaustion': { mount: '/data', dir: 'data/spool', pattern: '*.tmp', older_than: '1h', fire_above: '95%', clear_below: '80%', interval: '1s', cooldown: '5s' },
  'read-only-filesystem-quarantine': { path: 'var/tmp', interval: '1s' },
  'stale-pid-lock': { pid_file: 'run/app.pid', process_name: 'app-svc', start_command: 'opt/app/app-svc', interval: '1s', cooldown: '5s' },
  'tls-certificate-expiry': { cert: 'etc/tls/app.pem', key: 'etc/tls/app.key', warn_days: '7', renew: 'self-signed', renew_days: '30', interval: '1s' },
};

let lab: Lab;
packLab({ hosts: 4, webhooks: [hook] }, (l) => (lab = l)); // web-1, web-2, db-3, cache-4
beforeAll(async () => {
  for (const [name, values] of Object.entries(PACKS)) {
    const installed = await installPack(lab, name, values);
    expect(installed.runbooks.map((r) => r.op)).toEqual(['create']);
  }
}, 120_000);
/** Undoes each fault (unmounts, kills) before the lab stops, even when a test failed: after hooks run last-registered first. */
const undo: (() => void)[] = [];
afterAll(async () => {
  for (const u of undo.reverse()) u();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

/**
 * Waits until `alarm` fired, `bot` ran and the alarm cleared on `host` since `since`, and checks
 * the order, the principal, and that the bot's run is a run record like any other, and audited.
 */
async function expectFixed(host: LabHost, alarm: string, bot: string, action: string, since: number): Promise<{ fired: FleetEventRow; ran: FleetEventRow; cleared: FleetEventRow; run: RunDetail }> {
  const ordered = await botTimeline(lab, { host: host.name, alarm, bot, since });
  expect(ordered.map((e) => e.type)).toEqual(['alarm_fired', 'bot_ran', 'alarm_cleared']);
  const [fired, ran, cleared] = ordered as [FleetEventRow, FleetEventRow, FleetEventRow];
  const principal = `bot:${bot}@${host.name}`;
  expect(ran).toMatchObject({ bot, action, alarm, principal });
  expect(ran.details).toMatchObject({ ok: true, exitCode: 0 });
  const run = await lab.api<RunDetail>(`/api/v1/runs/${String(ran.runId)}`);
  expect(run.run).toMatchObject({ principal, status: 'succeeded', targets: 1, failures: 0 });
  expect(run.results).toEqual([expect.objectContaining({ host: host.name, exitCode: 0 })]);
  const audit = await lab.api<AuditRow[]>(`/api/v1/audit?principal=${encodeURIComponent(principal)}&limit=100`);
  expect(audit).toContainEqual(expect.objectContaining({ principal, action: 'run', runId: ran.runId, outcome: 'ok' }));
  return { fired, ran, cleared, run };
}

/** Runs a statement by hand (the admin's CLI) and returns its result rows. */
async function runByHand(statement: string): Promise<ResultRow[]> {
  const r = await cli(lab, ['run', '--yes', '--json', statement]);
  return jsonLines(r.stdout)
    .filter((l) => l.type === 'row')
    .map((l) => l.row as ResultRow);
}

/** Which hosts a statement selects, by name. */
const selected = async (statement: string) => (await query(lab, statement)).map((r) => r.resource?.name).sort();

describe('inode-exhaustion: a real process fills a tmpfs of 200 inodes', () => {
  it('fires on inode usage, deletes only the old *.tmp files, and files can be created again', async () => {
    const h = labHost(lab, 'web-1');
    const spool = join(h.dataDir, 'spool');
    // The host's /data tmpfs, made small in inodes (space stays plenty: 16 MiB).
    execFileSync('mount', ['-o', 'remount,size=16m,nr_inodes=200', h.dataDir]);
    await mkdir(spool, { recursive: true });
    const old = new Date(Date.now() - 2 * 3600_000);
    // Kept: old files of another pattern, and *.tmp files younger than older_than (1h).
    for (let i = 0; i < 5; i++) {
      await writeFile(join(spool, `keep-${i}.dat`), 'x');
      await utimes(join(spool, `keep-${i}.dat`), old, old);
      await writeFile(join(spool, `fresh-${i}.tmp`), 'x');
    }
    const since = Date.now();
    // The fault: a job writing small files (each born two hours old) until the filesystem refuses.
    const job = spawnSync('sh', ['-c', `seq 0 400 | sed 's/.*/job-&.tmp/' | xargs touch -d @${Math.floor(old.getTime() / 1000)}`], { cwd: spool, encoding: 'utf8' });
    expect(job.stderr).toContain('No space left on device');
    const full = statfsSync(h.dataDir);
    expect(full.ffree).toBe(0);
    expect(full.bavail * full.bsize).toBeGreaterThan(15 * 1024 * 1024); // space is left: only inodes ran out
    const jobs = readdirSync(spool).filter((f) => f.startsWith('job-'));
    expect(jobs.length).toBeGreaterThan(150);
    // The agent saw it too: no inode left on /data (inode_free; over a window, as the bot may be quick).
    const inodeFree = async (window = '') => Object.values((await query(lab, `host | name = "${h.name}" | ${window ? `min(inode_free{mount="/data"}[${window}])` : 'inode_free{mount="/data"}'}`))[0]?.values ?? {})[0];
    await waitFor('inode_free{mount="/data"} to reach 0', async () => (await inodeFree('1m')) === 0, 15_000);

    const { fired, ran, cleared, run } = await expectFixed(h, 'inodes-exhausted', 'free-inodes', 'delete_old_files', since);
    expect(fired.value).toBeGreaterThan(95);
    expect(ran.details).toMatchObject({ args: { dir: 'data/spool', pattern: '*.tmp', older_than: 3600 } });
    expect(run.results[0]?.stdout).toContain(`deleted ${jobs.length} file(s) named *.tmp older than 3600s under data/spool`);
    expect(cleared.value).toBeLessThan(80);
    // Exactly the job's old files went; the others stayed.
    expect(readdirSync(spool).sort()).toEqual([...[0, 1, 2, 3, 4].map((i) => `fresh-${i}.tmp`), ...[0, 1, 2, 3, 4].map((i) => `keep-${i}.dat`)].sort());
    await writeFile(join(spool, 'after.tmp'), 'files can be created again');
    expect(await inodeFree()).toBeGreaterThan(150);
    // Nothing of the pack ran on the other hosts.
    expect((await events(lab, { bot: 'free-inodes' })).map((e) => e.host)).toEqual([h.name]);
  }, 60_000);
});

describe('read-only-filesystem-quarantine: a host\'s /var/tmp goes read-only', () => {
  it('quarantines it (quarantine=true), notifies, takes it out of selections, and a person releases it after the repair', async () => {
    const h = labHost(lab, 'web-2');
    const varTmp = join(h.dir, 'var', 'tmp');
    // As the S5 scenario's broken host, but at run time: a tmpfs on its /var/tmp, remounted read-only.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', varTmp]);
    undo.push(() => spawnSync('umount', ['-l', varTmp]));
    const everyone = lab.hosts.map((x) => x.name).sort();
    expect(await selected('host | quarantine != "true"')).toEqual(everyone);
    const since = Date.now();
    execFileSync('mount', ['-o', 'remount,ro', varTmp]);
    expect(spawnSync('touch', [join(varTmp, 'probe')]).status).not.toBe(0);

    const ran = await waitFor('the quarantine bot to run', async () => (await events(lab, { type: 'bot_ran', bot: 'quarantine-read-only-host', since }))[0], 20_000);
    expect(ran).toMatchObject({ host: h.name, principal: `bot:quarantine-read-only-host@${h.name}`, action: 'quarantine_read_only', details: { ok: true, exitCode: 0 } });
    expect(String(ran.details.stdout)).toContain(`quarantined ${h.name} (quarantine=true): var/tmp does not accept writes`);
    await waitFor(`${h.name} tagged quarantine=true`, async () => (await lab.api<{ name: string; tags: Record<string, string> }[]>('/api/v1/agents')).find((a) => a.name === h.name)?.tags.quarantine === 'true', 15_000);
    // Rollouts that select quarantine != "true" leave it out; the others are still there.
    expect(await selected('host | quarantine != "true"')).toEqual(everyone.filter((n) => n !== h.name));
    expect(await selected('host | quarantine = "true"')).toEqual([h.name]);
    const rolled = await runByHand('host | quarantine != "true" | rolling(batch = 2) | `echo "restarted on $BW_HOST"`');
    expect(rolled.map((r) => r.resource?.name).sort()).toEqual(everyone.filter((n) => n !== h.name));
    // The on-call heard of it: the critical alarm_fired reached the webhook.
    const notified = await waitFor('the webhook to hear of fs-read-only', () => received.find((e) => e.type === 'alarm_fired' && e.alarm === 'fs-read-only'), 15_000);
    expect(notified).toMatchObject({ host: h.name, severity: 'critical' });
    expect(new Set(received.filter((e) => e.alarm === 'fs-read-only').map((e) => e.host))).toEqual(new Set([h.name]));

    // Releasing it before the repair is refused: it stays quarantined.
    const early = await runByHand(`host | name = "${h.name}" | release_quarantine(path = "var/tmp")`);
    expect(early).toEqual([expect.objectContaining({ values: expect.objectContaining({ exit_code: 3 }) })]);
    expect(await selected('host | quarantine = "true"')).toEqual([h.name]);

    // The repair (read-write again) clears the alarm; the person releases the host.
    execFileSync('mount', ['-o', 'remount,rw', varTmp]);
    const { fired, cleared } = await expectFixed(h, 'fs-read-only', 'quarantine-read-only-host', 'quarantine_read_only', since);
    expect(fired.time).toBeLessThanOrEqual(cleared.time);
    const released = await runByHand(`host | name = "${h.name}" | release_quarantine(path = "var/tmp")`);
    expect(released).toEqual([expect.objectContaining({ values: expect.objectContaining({ exit_code: 0 }) })]);
    await waitFor(`${h.name} back in selections`, async () => (await selected('host | quarantine != "true"')).join() === everyone.join(), 15_000);
  }, 60_000);
});

/** A small service with an init script's habit: `start` refuses while its pid file exists. */
const SERVICE = `#!/bin/sh
root=$(cd "$(dirname "$0")/../.." && pwd)
pidfile="$root/run/app.pid"
case "$1" in
  start)
    if [ -e "$pidfile" ]; then echo "app-svc: $pidfile exists (pid $(cat "$pidfile")): not starting" >&2; exit 1; fi
    setsid "$0" run </dev/null >/dev/null 2>&1 &
    i=0; while [ ! -s "$pidfile" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done ;;
  run)
    echo $$ > "$pidfile"
    trap 'rm -f "$pidfile"; exit 0' TERM
    while :; do sleep 1; done ;;
esac
`;

describe('stale-pid-lock: the service dies and leaves its pid file', () => {
  it('removes the stale pid file and starts the service, and never touches the file of a live service', async () => {
    const h = labHost(lab, 'db-3');
    const script = join(h.dir, 'opt', 'app', 'app-svc');
    const pidFile = join(h.dir, 'run', 'app.pid');
    await mkdir(join(h.dir, 'opt', 'app'), { recursive: true });
    await writeFile(script, SERVICE);
    await chmod(script, 0o755);
    const pidNow = () => Number(readFileSync(pidFile, 'utf8').trim());
    /** A running app-svc (a killed one may stay a zombie: this machine's pid 1 does not reap). */
    const alive = (pid: number) => {
      try {
        return !/^State:\s*[ZX]/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('app-svc');
      } catch {
        return false;
      }
    };
    // Every service this test starts (or the bot starts) is stopped at the end, whatever happens.
    const started = new Set<number>();
    undo.push(() => {
      // The pid file goes first, so the pack's bot (still watching) does not start it once more.
      if (existsSync(pidFile)) started.add(pidNow());
      rmSync(pidFile, { force: true });
      for (const pid of started) {
        try {
          process.kill(-pid, 'SIGKILL'); // its process group: the service and its sleep
        } catch {
          // already gone
        }
      }
    });
    const startService = () => spawnSync(script, ['start'], { cwd: h.dir, encoding: 'utf8' });

    expect(startService().status).toBe(0);
    const first = pidNow();
    started.add(first);
    expect(alive(first)).toBe(true);

    // Conservative: with the service alive, the action refuses and leaves everything as it was.
    const refused = await runByHand(`host | name = "${h.name}" | clear_stale_pid_and_start(pid_file = "run/app.pid", process_name = "app-svc", start_command = "opt/app/app-svc")`);
    expect(refused).toEqual([expect.objectContaining({ values: expect.objectContaining({ exit_code: 3 }) })]);
    expect(pidNow()).toBe(first);
    expect(alive(first)).toBe(true);

    // The fault: the service is killed (-9: no clean-up), its pid file stays, and it will not start.
    const since = Date.now();
    process.kill(-first, 'SIGKILL');
    await waitFor('the service to be gone', () => !alive(first), 5000, 50);
    expect(existsSync(pidFile)).toBe(true);
    const blocked = startService();
    expect(blocked.status).toBe(1);
    expect(blocked.stderr).toContain('not starting');

    const { fired, ran, run } = await expectFixed(h, 'stale-pid-file', 'restart-after-stale-pid', 'clear_stale_pid_and_start', since);
    expect(fired.host).toBe(h.name);
    const second = pidNow();
    started.add(second);
    expect(second).not.toBe(first);
    expect(alive(second)).toBe(true);
    // Not running, or (the pid reused since by a short-lived process of the busy machine) another program.
    expect(run.results[0]?.stdout).toMatch(new RegExp(`pid ${first} in run/app.pid (is not running|is another program \\(.*\\)): removing the stale pid file`));
    expect(run.results[0]?.stdout).toContain(`started app-svc: pid ${second}`);
    expect(ran.details).toMatchObject({ args: { pid_file: 'run/app.pid', process_name: 'app-svc', start_command: 'opt/app/app-svc', start_arg: 'start' } });
    expect((await events(lab, { bot: 'restart-after-stale-pid' })).map((e) => e.host)).toEqual([h.name]);
  }, 60_000);
});

describe('tls-certificate-expiry: a certificate that expires tomorrow', () => {
  /** Seconds from now until the certificate's notAfter, by openssl. */
  const secondsLeft = (pem: string) => (Date.parse(/notAfter=(.*)/.exec(execFileSync('openssl', ['x509', '-enddate', '-noout', '-in', pem], { encoding: 'utf8' }))![1]!) - Date.now()) / 1000;
  const selfSigned = (dir: string, name: string, days: number) =>
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', String(days), '-subj', '/CN=app.lab'], { stdio: 'ignore' });

  it('fires with the days left (warn_days 7), renews it self-signed for renew_days, and clears', async () => {
    const h = labHost(lab, 'cache-4');
    const dir = join(h.dir, 'etc', 'tls');
    await mkdir(dir, { recursive: true });
    const since = Date.now();
    selfSigned(dir, 'app', 1);
    const before = readFileSync(join(dir, 'app.pem'), 'utf8');

    const { fired, ran, cleared, run } = await expectFixed(h, 'tls-cert-expiring', 'renew-expiring-cert', 'renew_tls_cert', since);
    // The event carries the days left: one at most (printed to a thousandth).
    expect(fired.value).toBeGreaterThan(0.9);
    expect(fired.value).toBeLessThanOrEqual(1);
    expect(ran.details).toMatchObject({ args: { cert: 'etc/tls/app.pem', key: 'etc/tls/app.key', mode: 'self-signed', days: 30 } });
    expect(run.results[0]?.stdout).toContain(`renewed etc/tls/app.pem (${fired.value} days were left)`);
    expect(run.results[0]?.stdout).toContain('self-signed for 30 days, subject /CN=app.lab, old one kept as etc/tls/app.pem.bak');
    expect(cleared.value).toBeGreaterThan(29);
    // A fresh certificate with the same key and subject; the old one kept beside it.
    expect(secondsLeft(join(dir, 'app.pem')) / 86400).toBeGreaterThan(29);
    expect(readFileSync(join(dir, 'app.pem.bak'), 'utf8')).toBe(before);
    const pub = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
    expect(pub(['x509', '-in', join(dir, 'app.pem'), '-noout', '-pubkey'])).toBe(pub(['pkey', '-in', join(dir, 'app.key'), '-pubout']));
    expect(pub(['x509', '-in', join(dir, 'app.pem'), '-noout', '-subject'])).toContain('CN = app.lab');
  }, 60_000);

  it('only says how many days are left when renew is notify (the default), and leaves the certificate alone', async () => {
    const h = labHost(lab, 'web-1');
    const dir = join(h.dir, 'etc', 'other-tls'); // not the watched certificate: only the action is run, by hand
    await mkdir(dir, { recursive: true });
    selfSigned(dir, 'other', 1);
    const before = readFileSync(join(dir, 'other.pem'), 'utf8');
    const rows = await runByHand(`host | name = "${h.name}" | renew_tls_cert(cert = "etc/other-tls/other.pem", key = "etc/other-tls/other.key", days_left = "0.99")`);
    expect(rows).toEqual([expect.objectContaining({ values: expect.objectContaining({ exit_code: 0 }) })]);
    expect(String(rows[0]?.values.stdout)).toContain(`etc/other-tls/other.pem on ${h.name} expires in 0.99 days; renew is notify`);
    expect(readFileSync(join(dir, 'other.pem'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'other.pem.bak'))).toBe(false);
  }, 30_000);
});

describe('hostile values', () => {
  it('are refused against the parameter\'s pattern, naming it, and nothing is installed', async () => {
    const before = (await lab.api<{ version: number }>('/api/v1/definitions')).version;
    for (const [pack, set, param] of [
      ['inode-exhaustion', 'dir=/data/../etc', 'dir'],
      ['inode-exhaustion', 'pattern=*.tmp;rm', 'pattern'],
      ['tls-certificate-expiry', 'renew=rm -rf', 'renew'],
      ['stale-pid-lock', 'start_command=/bin/sh -c reboot', 'start_command'],
    ] as const) {
      const r = await cli(lab, ['pack', 'install', pack, '--set', set, '--yes']);
      expect(r.code, set).toBe(1);
      expect(r.stderr).toContain(`parameter \`${param}\``);
      expect(r.stderr).toContain('[BWD_PACK_BAD_VALUE]');
      expect(r.stderr).toContain(`pack ${pack}: nothing was installed.`);
    }
    expect((await lab.api<{ version: number }>('/api/v1/definitions')).version).toBe(before);
  }, 30_000);
});
