// @ts-check
/**
 * The baseline the CLI suite compares `breakwater run` with: pdsh over SSH with persistent
 * (ControlMaster) connections to N hosts. The hosts are N aliases of this machine, each with a
 * master connection of its own, served by an sshd of the suite's own on a loopback port, with a
 * throwaway host key, client key and config in a temporary folder: the system's sshd and its
 * configuration are not touched.
 *
 *   const ssh = await startSshFleet(50, log);   // undefined, with `why`, when pdsh or sshd is missing
 *   const ms = await ssh.time();                 // one `pdsh -R ssh -w <all> uptime`, whole process
 *   await ssh.stop();
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian puts them (`apt-get install pdsh openssh-server`). */
const SSHD = '/usr/sbin/sshd';
const PDSH_CANDIDATES = ['/usr/bin/pdsh', '/usr/local/bin/pdsh'];

/** Why the baseline cannot run on this machine, or undefined when it can. */
export function sshFleetMissing() {
  const missing = [...(PDSH_CANDIDATES.some((p) => existsSync(p)) ? [] : ['pdsh']), ...(existsSync(SSHD) ? [] : ['sshd (openssh-server)'])];
  return missing.length ? `${missing.join(' and ')} not installed (Debian: apt-get install pdsh openssh-server)` : undefined;
}

/**
 * @typedef {object} SshFleet
 * @property {number} hosts
 * @property {() => Promise<number>} time One pdsh run of `uptime` on every host, ms; rejects when a host did not answer.
 * @property {() => Promise<void>} stop Ends the masters and sshd, removes the folder.
 */

/**
 * Starts sshd and one warm master connection per host.
 * @param {number} hosts @param {(m: string) => void} log
 * @returns {Promise<SshFleet>}
 */
export async function startSshFleet(hosts, log) {
  const missing = sshFleetMissing();
  if (missing) throw new Error(missing);
  const pdsh = /** @type {string} */ (PDSH_CANDIDATES.find((p) => existsSync(p)));
  const dir = await mkdtemp(path.join(tmpdir(), 'bw-ssh-'));
  const port = await freePort();
  const names = Array.from({ length: hosts }, (_, i) => `bwbench-${i + 1}`);
  const config = path.join(dir, 'ssh_config');
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let sshd;
  const stop = async () => {
    await Promise.allSettled(names.map((n) => run('ssh', ['-F', config, '-O', 'exit', n], { timeout: 5000 })));
    if (sshd && sshd.exitCode === null) {
      sshd.kill('SIGTERM');
      await new Promise((resolve) => sshd?.once('exit', resolve));
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id')]);
    await run('cp', [path.join(dir, 'id.pub'), path.join(dir, 'authorized_keys')]);
    await writeFile(
      path.join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no', // the temporary folder's modes are the suite's, not a user's home
        'PermitRootLogin prohibit-password',
        // Every host's master connects at once while warming up.
        `MaxStartups ${hosts + 10}:30:${hosts + 20}`,
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    await writeFile(
      config,
      [
        'Host bwbench-*',
        '  HostName 127.0.0.1',
        `  Port ${port}`,
        `  User ${userInfo().username}`,
        `  IdentityFile ${path.join(dir, 'id')}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`,
        '  StrictHostKeyChecking no',
        '  BatchMode yes',
        // One persistent connection per host alias (%n), as to N real hosts.
        '  ControlMaster auto',
        `  ControlPath ${path.join(dir, 'cm-%n')}`,
        '  ControlPersist 30m',
        '  LogLevel ERROR',
        '',
      ].join('\n'),
    );
    // sshd's privilege separation needs this folder; systemd's unit makes it, a container may not
    // have it. Not ours to make without root: sshd then says what it lacks.
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => undefined);
    sshd = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let sshdErr = '';
    sshd.stderr?.on('data', (d) => (sshdErr = (sshdErr + d).slice(-2000)));
    await waitForPort(port, sshd, () => sshdErr);
    log(`ssh: sshd on 127.0.0.1:${port}; warming ${hosts} master connections`);
    for (let i = 0; i < names.length; i += 25) await Promise.all(names.slice(i, i + 25).map((n) => run('ssh', ['-F', config, n, 'true'], { timeout: 60_000 })));
    const env = { ...process.env, PDSH_SSH_ARGS: `-F ${config} %h` };
    const time = async () => {
      const start = process.hrtime.bigint();
      // -f: every host at once (pdsh's default fan-out is 32), as `breakwater run` reaches every host at once.
      const { stdout } = await run(pdsh, ['-R', 'ssh', '-f', String(hosts), '-w', names.join(','), 'uptime'], { env, maxBuffer: 16 << 20 });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const answered = new Set(stdout.split('\n').map((l) => l.split(':')[0]).filter(Boolean));
      if (answered.size !== hosts) throw new Error(`pdsh: ${answered.size} of ${hosts} hosts answered`);
      return ms;
    };
    await time(); // the first run after warming: pdsh's own start-up files into the page cache
    return { hosts, time, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Resolves once something listens on the port; rejects when sshd exits first.
 * @param {number} port @param {import('node:child_process').ChildProcess} child @param {() => string} stderr
 */
async function waitForPort(port, child, stderr) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited (code ${child.exitCode}): ${stderr()}`);
    const open = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within 10 s: ${stderr()}`);
}

/** A TCP port free on loopback now. @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
