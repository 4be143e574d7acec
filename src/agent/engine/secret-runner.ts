import { redactSecrets, secretEnvName } from '../../definitions/index.js';
import { commandResult } from '../exec/result.js';
import type { CommandResult, CommandRunner, CommandSpec, OutputListener } from '../exec/types.js';

/**
 * Wraps the agent's command runner with the secrets the control plane sent
 * this host (kept in memory only: never in the outbox, a log or a file). A
 * command that declares secrets gets each as `BW_SECRET_<NAME>`; the output of
 * every command has every known value replaced with `[secret:NAME]` before it
 * leaves the host. A guard against accidents, not a sandbox: a command can
 * still transform a value it was given (docs/security.md "## Secrets").
 */
export class SecretRunner implements CommandRunner {
  private secrets = new Map<string, string>();

  constructor(private readonly inner: CommandRunner) {}

  /** Replaces the known values (a definitions message carries all of this host's, or none). */
  setSecrets(values: Readonly<Record<string, string>>): void {
    this.secrets = new Map(Object.entries(values));
  }

  get active(): number {
    return this.inner.active;
  }

  async run(spec: CommandSpec, options: { signal?: AbortSignal; onOutput?: OutputListener } = {}): Promise<CommandResult> {
    const { secrets: names = [], ...plain } = spec;
    const missing = names.filter((n) => !this.secrets.has(n));
    if (missing.length) {
      return commandResult({ error: `secret ${missing.join(', ')} is not available on this host: its \`hosts\` query does not select this host, or it has no value yet (see \`breakwater secret list\`)` });
    }
    const env = { ...plain.env, ...Object.fromEntries(names.map((n) => [secretEnvName(n), this.secrets.get(n) as string])) };
    const redact = (text: string) => (this.secrets.size ? redactSecrets(text, this.secrets) : text);
    const onOutput = options.onOutput;
    // Streamed chunks are redacted one by one: a value split across two chunks is caught in the final result only.
    const result = await this.inner.run({ ...plain, env }, { ...options, ...(onOutput ? { onOutput: (stream, chunk) => onOutput(stream, redact(chunk)) } : {}) });
    return { ...result, stdout: redact(result.stdout), stderr: redact(result.stderr), ...(result.error ? { error: redact(result.error) } : {}) };
  }
}
