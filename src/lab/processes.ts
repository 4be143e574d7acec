import type { ChildProcess } from 'node:child_process';
import { BreakwaterError } from '../protocol/index.js';

/** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Reads BREAKWATER_SERVER and (unless it serves plain HTTP: `tls` false) BREAKWATER_CA from the
 * server's stdout and, on a first start, the admin token from its stderr.
 */
export function readServerBanner(child: ChildProcess, { firstStart = true, tls = true } = {}): Promise<{ server: string; ca: string | undefined; token: string | undefined }> {
  return new Promise((resolve, reject) => {
    let server: string | undefined;
    let ca: string | undefined;
    let stdout = '';
    let token: string | undefined;
    let stderr = '';
    const done = () => {
      if (server && (ca || !tls) && (token || !firstStart)) {
        clearTimeout(timer);
        resolve({ server, ca, token });
      }
    };
    const timer = setTimeout(() => reject(new BreakwaterError('BW_ERR_UNAVAILABLE', `lab: the control plane did not start within 20s: ${stderr.slice(-2000)}`)), 20_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      server ??= /BREAKWATER_SERVER=(\S+)/.exec(stdout)?.[1];
      ca ??= /BREAKWATER_CA=(\S+)/.exec(stdout)?.[1];
      done();
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      token ??= /BREAKWATER_TOKEN=(\S+)/.exec(stderr)?.[1];
      done();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new BreakwaterError('BW_ERR_UNAVAILABLE', `lab: the control plane exited with code ${code}: ${stderr.slice(-2000)}`));
    });
  });
}
