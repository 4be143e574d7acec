import { connect } from 'node:net';
import type { CheckName, Value } from '../../lang/index.js';
import { EvalError } from '../../lang/index.js';
import type { CommandRunner, ContainerTarget } from '../exec/types.js';
import { InvalidUrlError, request } from '../http-request.js';

export interface CheckLimits {
  readonly commandTimeoutMs: number;
  readonly maxOutputBytes: number;
}

/**
 * Runs the language's checks on this host: `ok` and `number` run a command,
 * `http_ok` and `tcp_ok` open a connection. Failures to run become EvalErrors,
 * shown on the resource's row.
 */
export async function runCheck(
  name: CheckName,
  args: readonly Value[],
  env: Readonly<Record<string, string>>,
  runner: CommandRunner,
  limits: CheckLimits,
  signal?: AbortSignal,
  /** Where `ok` and `number` run their command: inside this container, else on the host. */
  container?: ContainerTarget,
): Promise<boolean | number> {
  switch (name) {
    case 'ok':
    case 'number': {
      const command = String(args[0] ?? '');
      const r = await runner.run({ command, env, timeoutMs: limits.commandTimeoutMs, maxOutputBytes: limits.maxOutputBytes, ...(container ? { container } : {}) }, signal ? { signal } : {});
      if (r.error) throw new EvalError(`${name}(\`${command}\`) could not run: ${r.error}`);
      if (r.timedOut) throw new EvalError(`${name}(\`${command}\`) timed out after ${limits.commandTimeoutMs} ms`);
      // Killed because the query was cancelled or ran out of time: no verdict (exit code null is not "false").
      if (r.cancelled) throw new EvalError(`${name}(\`${command}\`) was cancelled before it finished`);
      if (name === 'ok') return r.exitCode === 0;
      const text = r.stdout.trim();
      const n = text === '' ? NaN : Number(text);
      if (!Number.isFinite(n)) throw new EvalError(`number(\`${command}\`): output ${JSON.stringify(text.slice(0, 80))} is not a number${r.exitCode ? ` (exit code ${r.exitCode})` : ''}`);
      return n;
    }
    case 'http_ok': {
      const url = String(args[0] ?? '');
      const timeoutMs = Number(args[1] ?? 2) * 1000;
      try {
        const res = await request(url, { timeoutMs, readBody: false });
        return res.status >= 200 && res.status < 300;
      } catch (err) {
        if (err instanceof InvalidUrlError) throw new EvalError(`http_ok: ${err.message}`);
        return false;
      }
    }
    case 'tcp_ok': {
      const address = String(args[0] ?? '');
      const m = /^(.*):(\d+)$/.exec(address);
      if (!m) throw new EvalError(`tcp_ok: expected host:port, found ${JSON.stringify(address)}`);
      const timeoutMs = Number(args[1] ?? 2) * 1000;
      return new Promise((resolve) => {
        const socket = connect({ host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) });
        const done = (ok: boolean) => {
          socket.destroy();
          resolve(ok);
        };
        socket.setTimeout(timeoutMs, () => done(false));
        socket.once('connect', () => done(true));
        socket.once('error', () => done(false));
      });
    }
  }
}
