import { execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../src/lab/index.js';
import type { AuditRow } from '../scenarios/scenario-helpers.js';
import type { MemoryCgroup } from './kernel-faults.js';
import { alive, closeWaitCount, fdCount, installService, memoryCgroup, perlAs, pidFile, readLog, script, stopService } from './kernel-faults.js';
import type { FleetEventRow, PackInstallAnswer, RunDetail } from './pack-lab.js';
import { botTimeline, events, installPack, labHost, packLab, query, waitFor } from './pack-lab.js';

/*
 * The kernel-counter packs (oom-killed, file-descriptor-leak, close-wait-sockets) in one lab,
 * each fault real and on a host of its own: a service the kernel's OOM killer kills in a 32 MiB
 * memory cgroup (db-3), a service leaking descriptors up to `ulimit -n 256` (web-1), a node TCP
 * server leaving the sockets its clients closed in CLOSE_WAIT (cache-4). Each pack is installed
 * with the real CLI and short settings; each test asserts the fix (a new process, few
 * descriptors, no CLOSE_WAIT), the events in order and the bot's run record and audit. The
 * three faults run side by side (describe.concurrent): they touch different hosts, alarms and bots.
 */

let lab: Lab;
packLab({ hosts: 4 }, (l) => (lab = l));
const services: [LabHost, string][] = [];
let cgroup: MemoryCgroup | undefined;
// Registered after packLab's: runs before the lab stops, also when a test failed.
afterAll(async () => {
  for (const [host, name] of services) await stopService(host, name);
  await cgroup?.remove();
});

/** A free TCP port on loopback now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The alarm's and bot's events on `host` since `since`, once the alarm cleared, oldest first;
 * asserts they are exactly fired, ran, cleared and that the run is a succeeded, audited run of the
 * bot on that host. Returns the bot_ran event and the run's output.
 */
async function assertFixed(host: LabHost, alarm: string, bot: string, since: number): Promise<{ ran: FleetEventRow; stdout: string }> {
  const timeline = await botTimeline(lab, { host: host.name, alarm, bot, since });
  // bot_ran is recorded when the run ends: a restart can clear the alarm (its process gone, its
  // sockets closed) before the run reports back. Ordered by when each began, it is exactly fired,
  // ran, cleared.
  const began = (e: FleetEventRow) => e.time - (e.type === 'bot_ran' ? Number(e.details.durationMs ?? 0) : 0);
  const ordered = [...timeline].sort((a, b) => began(a) - began(b));
  expect(ordered.map((e) => e.type)).toEqual(['alarm_fired', 'bot_ran', 'alarm_cleared']);
  const ran = ordered[1]!;
  const principal = `bot:${bot}@${host.name}`;
  expect(ran).toMatchObject({ bot, alarm, principal, details: expect.objectContaining({ ok: true, exitCode: 0 }) });
  const run = await lab.api<RunDetail>(`/api/v1/runs/${String(ran.runId)}`);
  expect(run.run).toMatchObject({ principal, status: 'succeeded', targets: 1, failures: 0 });
  expect(run.results).toEqual([expect.objectContaining({ host: host.name, exitCode: 0 })]);
  const audit = await lab.api<AuditRow[]>(`/api/v1/audit?principal=${encodeURIComponent(principal)}&limit=100`);
  expect(audit).toContainEqual(expect.objectContaining({ principal, action: 'run', runId: ran.runId, outcome: 'ok' }));
  // No other host of the lab saw this pack's alarm or bot.
  const elsewhere = (await events(lab, { since })).filter((e) => (e.alarm === alarm || e.bot === bot) && e.host !== host.name);
  expect(elsewhere).toEqual([]);
  return { ran, stdout: run.results[0]?.stdout ?? '' };
}

/** What the tests need of the setup: each pack's answer to its install and its service's commands. */
interface Installed {
  readonly answer: PackInstallAnswer;
  readonly svc: { start: string; restart: string };
}
const installed: Record<string, Installed> = {};
let port = 0;

/*
 * The three services (idle and healthy) and the three packs, installed one after the other
 * (each install is a plan and apply of its own); the faults then run side by side.
 */
beforeAll(async () => {
  const db = labHost(lab, 'db-3');
  cgroup = await memoryCgroup(`bw-pack-oom-${process.pid}`, 32 * 1024 * 1024);
  await perlAs(db, 'oomsvc');
  // Idle until a "huge request" (the fault file) arrives, then allocates until the kernel kills it.
  await script(
    db,
    'oomsvc.pl',
    `$| = 1;
print "oomsvc $$ started\\n";
for (;;) {
  if (-e "run/oom-fault") { unlink "run/oom-fault"; print "a huge request: allocating\\n"; my @held; push @held, "x" x (1 << 20) for 1 .. 100000; }
  select(undef, undef, undef, 0.1);
}
`,
  );
  const oom = await installService(db, 'oomsvc', './bin/oomsvc ./bin/oomsvc.pl', `echo $$ > ${cgroup.procs}; `);
  services.push([db, 'oomsvc']);
  execFileSync(oom.start);
  installed['oom-killed'] = { svc: oom, answer: await installPack(lab, 'oom-killed', { role: 'db', service: 'oomsvc', start_command: oom.start, window: '4s', start_wait: 10, cooldown: '1s', max_starts: 10 }) };

  const web = labHost(lab, 'web-1');
  await perlAs(web, 'fdleaker');
  // Leaks LEAK_PER_SECOND descriptors a second: the buggy build does, the restarted one (no LEAK_PER_SECOND) does not.
  await script(
    web,
    'fdleaker.pl',
    `$| = 1;
my @held;
my $rate = $ENV{LEAK_PER_SECOND} || 0;
print "fdleaker $$ started, leaking $rate descriptors a second\\n";
for (;;) {
  for (1 .. $rate / 10) { open(my $fh, '<', '/dev/null') or last; push @held, $fh; }
  select(undef, undef, undef, 0.1);
}
`,
  );
  const fd = await installService(web, 'fdleaker', 'prlimit --nofile=256:256 ./bin/fdleaker ./bin/fdleaker.pl');
  services.push([web, 'fdleaker']);
  installed['file-descriptor-leak'] = { svc: fd, answer: await installPack(lab, 'file-descriptor-leak', { process: 'fdleaker', threshold: '50%', fire_for: '1s', interval: '1s', restart_command: fd.restart, cooldown: '1s', max_restarts: 10 }) };

  const cache = labHost(lab, 'cache-4');
  port = await freePort();
  // allowHalfOpen: a client's FIN does not end the socket, and the handler never ends it (the bug).
  await script(
    cache,
    'cwserver.mjs',
    `import net from 'node:net';
const server = net.createServer({ allowHalfOpen: true }, (socket) => socket.on('data', () => undefined));
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('cwserver', process.pid, 'listening on', process.argv[2]));
`,
  );
  const cw = await installService(cache, 'cwserver', `${process.execPath} ./bin/cwserver.mjs ${port}`);
  services.push([cache, 'cwserver']);
  execFileSync(cw.start);
  installed['close-wait-sockets'] = { svc: cw, answer: await installPack(lab, 'close-wait-sockets', { role: 'cache', port, threshold: 10, fire_for: '1s', interval: '1s', restart_command: cw.restart, cooldown: '1s', max_restarts: 10 }) };
}, 90_000);

describe.concurrent('kernel-counter packs: the real fault, fixed by the installed pack', () => {
  it('oom-killed: the OOM killer kills a service in its memory cgroup; the bot starts it again', async () => {
    const db = labHost(lab, 'db-3');
    expect(installed['oom-killed']!.answer.runbooks).toEqual([{ name: 'oom-killed', op: 'create' }]);
    const first = pidFile(db, 'oomsvc')!;
    expect(alive(first)).toBe(true);
    await waitFor('oom_kills sampled on db-3', async () => typeof (await query(lab, 'host | name = "db-3" | oom_kills'))[0]?.values.oom_kills === 'number', 15_000);

    const since = Date.now();
    await writeFile(join(db.dir, 'run', 'oom-fault'), 'a request bigger than the memory limit\n');
    await waitFor(`the kernel to OOM-kill oomsvc (pid ${first})`, () => !alive(first), 15_000, 50);
    const { ran, stdout } = await assertFixed(db, 'oom-killed', 'restart-after-oom', since);
    expect(ran.action).toBe('start_after_oom');
    expect(stdout).toContain('oomsvc is not running after an OOM kill');
    // A new process of the service runs, in the limited cgroup again, and it was the kernel that killed the old one.
    const second = pidFile(db, 'oomsvc')!;
    expect(second).not.toBe(first);
    expect(alive(second)).toBe(true);
    expect(execFileSync('cat', [cgroup!.procs], { encoding: 'utf8' }).split('\n')).toContain(String(second));
    expect(await readLog(db, 'oomsvc')).toContain('a huge request: allocating');

    // Later the OOM killer takes another process of the cgroup: the bot starts nothing and says so.
    await perlAs(db, 'oomhog');
    await script(db, 'oomhog.pl', 'my @held; push @held, "x" x (1 << 20) for 1 .. 100000;\n');
    const again = Date.now();
    const hog = spawn('sh', ['-c', `echo $$ > ${cgroup!.procs}; exec ./bin/oomhog ./bin/oomhog.pl`], { cwd: db.dir, stdio: 'ignore' });
    const killedBy = await new Promise<NodeJS.Signals | null>((resolve) => hog.once('exit', (_code, signal) => resolve(signal)));
    expect(killedBy).toBe('SIGKILL');
    const other = await assertFixed(db, 'oom-killed', 'restart-after-oom', again);
    expect(other.stdout).toContain(`oomsvc is running (pid ${second}): the OOM killer took another process; nothing started`);
    expect(pidFile(db, 'oomsvc')).toBe(second);
    expect(alive(second)).toBe(true);
  }, 60_000);

  it('file-descriptor-leak: a service leaks descriptors towards ulimit -n 256; the bot restarts it', async () => {
    const web = labHost(lab, 'web-1');
    const { svc, answer } = installed['file-descriptor-leak']!;
    expect(answer.runbooks).toEqual([{ name: 'file-descriptor-leak', op: 'create' }]);

    const since = Date.now();
    execFileSync(svc.start, { env: { ...process.env, LEAK_PER_SECOND: '60' } });
    const first = pidFile(web, 'fdleaker')!;
    const limit = await waitFor('fd_limit of fdleaker', async () => (await query(lab, `host | name = "web-1" | process | pid = ${first} | fd_limit`))[0]?.values.fd_limit, 10_000);
    expect(limit).toBe(256);
    const { ran, stdout } = await assertFixed(web, 'fd-leak', 'restart-fd-leak', since);
    expect(ran).toMatchObject({ action: 'restart_leaking_service', resource: `web-1/${first}` });
    expect(ran.value ?? 0).toBeGreaterThan(50);
    expect(stdout).toMatch(new RegExp(`fdleaker \\(pid ${first}\\) holds \\d+ descriptors`));
    const second = pidFile(web, 'fdleaker')!;
    expect(second).not.toBe(first);
    expect(alive(first)).toBe(false);
    expect(fdCount(second)).toBeLessThan(20);
    // The fleet sees the new process's usage low (read on demand for the named process only).
    const usage = await waitFor('fd_usage of the new fdleaker', async () => (await query(lab, `host | name = "web-1" | process | pid = ${second} | fd_usage`))[0]?.values.fd_usage, 10_000);
    expect(usage).toBeLessThan(10);
  }, 60_000);

  it('close-wait-sockets: a node server never closes sockets its clients closed; the bot restarts it', async () => {
    const cache = labHost(lab, 'cache-4');
    expect(installed['close-wait-sockets']!.answer.runbooks).toEqual([{ name: 'close-wait-sockets', op: 'create' }]);
    const first = pidFile(cache, 'cwserver')!;
    await waitFor(`cwserver listening on ${port}`, async () => (await readLog(cache, 'cwserver')).includes(`listening on ${port}`), 10_000, 50);
    await waitFor('close_wait_sockets sampled on cache-4', async () => (await query(lab, 'host | name = "cache-4" | close_wait_sockets'))[0]?.values.close_wait_sockets === 0, 15_000);

    // 30 clients connect and hang up; the server's ends of their sockets stay in CLOSE_WAIT.
    const since = Date.now();
    const clients: Socket[] = [];
    for (let i = 0; i < 30; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      clients.push(socket);
    }
    for (const c of clients) c.end();
    await waitFor('30 sockets in CLOSE_WAIT', () => closeWaitCount(port) >= 30, 10_000, 50);
    try {
      const { stdout } = await assertFixed(cache, 'close-wait-sockets', 'restart-close-wait', since);
      expect(stdout).toMatch(/^30 sockets in CLOSE_WAIT on port \d+: restarting/m);
      expect(stdout).toMatch(/^0 sockets in CLOSE_WAIT on port \d+ after the restart$/m);
    } finally {
      for (const c of clients) c.destroy();
    }
    const second = pidFile(cache, 'cwserver')!;
    expect(second).not.toBe(first);
    expect(alive(second)).toBe(true);
    expect(closeWaitCount(port)).toBe(0);
  }, 60_000);
});
