/**
 * The agent's structured log: one JSON object a line on stderr, the same shape pino writes
 * (`level` 20–50, `time`, `component`, fields, `msg`), so the control plane's and the agents'
 * logs read alike. Its own small writer rather than pino: an agent logs a few lines a minute,
 * and every kilobyte of code it loads is resident on every host of the fleet.
 */
import { writeSync } from 'node:fs';
import { isSecretKey, redactText } from '../protocol/index.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What the agent needs of a logger; pino's Logger fits too. */
export interface AgentLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 20, info: 30, warn: 40, error: 50 };

export interface JsonLoggerOptions {
  readonly level: LogLevel | 'silent';
  /** Added to every line, e.g. `agent` or `swarm`. */
  readonly component: string;
  /** Where lines go (default: stderr, written synchronously so nothing is lost on exit). */
  readonly write?: (line: string) => void;
}

/**
 * @example
 * const log = jsonLogger({ level: 'info', component: 'agent' });
 * log.warn({ code: 1006 }, 'connection closed');
 * // {"level":40,"time":1764072000000,"component":"agent","code":1006,"msg":"connection closed"}
 */
export function jsonLogger(options: JsonLoggerOptions): AgentLogger {
  const min = options.level === 'silent' ? Infinity : LEVELS[options.level];
  const write = options.write ?? ((line: string) => writeToStderr(line));
  const at = (level: LogLevel) => (fields: object, message: string) => {
    if (LEVELS[level] < min) return;
    write(`${safeStringify({ level: LEVELS[level], time: Date.now(), component: options.component, ...fields, msg: message })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function writeToStderr(line: string): void {
  try {
    writeSync(2, line);
  } catch {
    // stderr closed or full (EAGAIN on a non-blocking pipe): a log line is not worth stopping the agent.
  }
}

/**
 * Errors become { type, message, stack, code }; cycles and BigInts do not throw. Secrets never
 * reach the line: every string (the message too) goes through redactText, and secret fields
 * (`authorization`, `token`, ...) are replaced whole.
 */
function safeStringify(value: object): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (key, v: unknown) => {
    if (typeof v === 'string') return isSecretKey(key) ? '[redacted]' : redactText(v);
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return { type: v.name, message: v.message, ...('code' in v ? { code: v.code } : {}), stack: v.stack };
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
}
