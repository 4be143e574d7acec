/**
 * BuiltinRunner: a CommandRunner that starts no processes, for the swarm's simulated agents
 * (thousands of them in one process, where spawning a shell per host and query would measure the
 * machine's fork rate, not Breakwater).
 *
 * It understands a few simple commands, written as one plain command line:
 *   `true`, `false`, `echo [-n] words...`, `uptime`, `hostname` (the host's name, from `BW_HOST`),
 *   `sleep N` (a timer: honours the command's timeout and cancellation).
 * Words may be quoted ('…', "…") and may use `$NAME` / `${NAME}` from the command's environment
 * (`echo $BW_HOST`). Anything else (another program, a pipe, a redirection, `;`, `&&`, command
 * substitution) is answered as a shell answers a missing program: exit code 127, with a stderr line
 * saying that the swarm's runner does not run real commands.
 */
import { MAX_TIMER_MS } from '../../protocol/index.js';
import { commandResult, truncationMarker } from './result.js';
import type { CommandResult, CommandRunner, CommandSpec, OutputListener } from './types.js';

export interface BuiltinRunnerOptions {
  /** Seconds the simulated host has been up, for `uptime` (default: this process's uptime). */
  readonly uptimeSeconds?: () => number | undefined;
  /** 1, 5 and 15 minute load averages for `uptime` (default: zeros). */
  readonly loadAverage?: () => readonly [number, number, number] | undefined;
  /** Wall clock, ms since the epoch (default Date.now). */
  readonly clock?: () => number;
}

/** The commands BuiltinRunner knows, for its error message. */
export const BUILTIN_COMMANDS: readonly string[] = Object.freeze(['true', 'false', 'echo', 'uptime', 'hostname', 'sleep']);

/** Characters that make a command line more than one simple command. */
const SHELL_SYNTAX = /[|;&<>`()]|\$\(/;

export class BuiltinRunner implements CommandRunner {
  #active = 0;
  readonly #options: BuiltinRunnerOptions;

  constructor(options: BuiltinRunnerOptions = {}) {
    this.#options = options;
  }

  get active(): number {
    return this.#active;
  }

  async run(spec: CommandSpec, options: { signal?: AbortSignal; onOutput?: OutputListener } = {}): Promise<CommandResult> {
    const { signal, onOutput } = options;
    if (signal?.aborted) return commandResult({ cancelled: true });
    // Running it on the (synthetic) host instead would mislead.
    if (spec.container !== undefined) return commandResult({ error: 'the built-in runner of synthetic agents cannot run commands inside containers' });
    this.#active++;
    const started = performance.now();
    try {
      const outcome = await this.#execute(spec, signal);
      const stdout = cap(outcome.stdout ?? '', spec.maxOutputBytes);
      const stderr = cap(outcome.stderr ?? '', spec.maxOutputBytes);
      if (stdout.text) onOutput?.('stdout', stdout.text);
      if (stderr.text) onOutput?.('stderr', stderr.text);
      return commandResult({
        ...outcome,
        stdout: stdout.text,
        stderr: stderr.text,
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        durationMs: performance.now() - started,
      });
    } finally {
      this.#active--;
    }
  }

  async #execute(spec: CommandSpec, signal: AbortSignal | undefined): Promise<Partial<CommandResult>> {
    const words = SHELL_SYNTAX.test(spec.command) ? undefined : splitWords(spec.command, spec.env);
    if (words === undefined || words.length === 0) return notRun(spec.command);
    const [program, ...args] = words as [string, ...string[]];
    switch (program) {
      case 'true':
      case ':':
        return { exitCode: 0 };
      case 'false':
        return { exitCode: 1 };
      case 'echo': {
        const noNewline = args[0] === '-n';
        const text = (noNewline ? args.slice(1) : args).join(' ');
        return { exitCode: 0, stdout: noNewline ? text : `${text}\n` };
      }
      case 'hostname':
        return { exitCode: 0, stdout: `${spec.env.BW_HOST ?? 'localhost'}\n` };
      case 'uptime':
        return { exitCode: 0, stdout: `${this.#uptime()}\n` };
      case 'sleep':
        return sleep(args, spec.timeoutMs, signal);
      default:
        return notRun(spec.command);
    }
  }

  /** As procps prints it: ` 10:15:01 up 3 days,  2:04,  0 users,  load average: 0.52, 0.58, 0.59`. */
  #uptime(): string {
    const now = new Date((this.#options.clock ?? Date.now)());
    const up = Math.max(0, Math.floor(this.#options.uptimeSeconds?.() ?? process.uptime()));
    const [l1, l5, l15] = this.#options.loadAverage?.() ?? [0, 0, 0];
    const days = Math.floor(up / 86400);
    const hours = Math.floor((up % 86400) / 3600);
    const minutes = Math.floor((up % 3600) / 60);
    const pad = (n: number) => String(n).padStart(2, '0');
    const clock = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
    const dayText = days > 0 ? `${days} day${days === 1 ? '' : 's'}, ` : '';
    const time = hours > 0 ? `${String(hours).padStart(2, ' ')}:${pad(minutes)}` : `${minutes} min`;
    return ` ${clock} up ${dayText}${time},  0 users,  load average: ${l1.toFixed(2)}, ${l5.toFixed(2)}, ${l15.toFixed(2)}`;
  }
}

function notRun(command: string): Partial<CommandResult> {
  const shown = command.length > 80 ? `${command.slice(0, 77)}...` : command;
  return {
    exitCode: 127,
    stderr: `breakwater swarm: \`${shown}\`: not run: the swarm's simulated agents do not run real commands (they understand only ${BUILTIN_COMMANDS.join(', ')})\n`,
  };
}

function sleep(args: readonly string[], timeoutMs: number, signal: AbortSignal | undefined): Promise<Partial<CommandResult>> {
  const seconds = args.length === 1 ? Number(args[0]) : NaN;
  if (!Number.isFinite(seconds) || seconds < 0) return Promise.resolve({ exitCode: 1, stderr: `sleep: invalid time interval '${args.join(' ')}'\n` });
  const ms = seconds * 1000;
  return new Promise((resolve) => {
    const timedOut = timeoutMs < ms;
    const timer = setTimeout(() => finish(timedOut ? { exitCode: null, signal: 'SIGTERM', timedOut: true } : { exitCode: 0 }), Math.min(MAX_TIMER_MS, timedOut ? timeoutMs : ms));
    const onAbort = () => finish({ exitCode: null, signal: 'SIGTERM', cancelled: true });
    const finish = (r: Partial<CommandResult>) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Splits one simple command line into words as a POSIX shell would for the cases the runner
 * knows: blanks separate words; '…' is literal; "…" and bare words expand `$NAME` / `${NAME}`
 * from `env` (unset names expand to nothing); a backslash quotes the next character.
 * Undefined for what it does not understand (an unterminated quote, `${` without `}`).
 */
export function splitWords(line: string, env: Readonly<Record<string, string>>): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const expand = (): string | undefined => {
    // At a `$`: returns the expansion and advances past the name; a bare `$` stands for itself;
    // undefined for a `${` without a name and `}`.
    const braced = line[i + 1] === '{';
    const start = braced ? i + 2 : i + 1;
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(start));
    const end = m ? start + m[0].length : -1;
    if (!m || (braced && line[end] !== '}')) {
      if (braced) return undefined;
      i++;
      return '$';
    }
    i = braced ? end + 1 : end;
    return env[m[0]] ?? '';
  };
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= line.length) return undefined;
        const d = line[i] as string;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < line.length && '$`"\\\n'.includes(line[i + 1] as string)) {
          word += line[i + 1];
          i += 2;
        } else if (d === '$') {
          const v = expand();
          if (v === undefined) return undefined;
          word += v;
        } else {
          word += d;
          i++;
        }
      }
    } else if (c === '\\') {
      if (i + 1 < line.length) word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (c === '$') {
      const v = expand();
      if (v === undefined) return undefined;
      word += v;
      // An unquoted expansion to nothing adds no word by itself.
      inWord ||= v !== '';
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Keeps at most `maxBytes` UTF-8 bytes, with the same marker as the shell runner. */
function cap(text: string, maxBytes: number): { text: string; truncated: boolean } {
  if (text.length <= maxBytes / 3) return { text, truncated: false }; // at most 3 bytes per UTF-16 unit
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  const kept = new TextDecoder('utf-8').decode(bytes.subarray(0, maxBytes), { stream: true });
  return { text: `${kept}${truncationMarker(maxBytes, bytes.length - maxBytes)}`, truncated: true };
}

